import type { Readable } from 'node:stream';
import type { ImageConfigFile } from '../api/types';

/**
 * What the rest of the engine needs from the image store. Images are content-addressed:
 * the image ID is `sha256:<hex of its config JSON>`. Layers live on overlayfs laid out like
 * Docker's overlay2; a container's root is a read-write layer on top of its image's layers.
 *
 * Errors: NotFound "No such image: <ref>"; Conflict for rmi of an image in use or with
 * several tags without force; InvalidParameter for malformed references.
 */
export interface ImageRecord {
  id: string;               // sha256:...
  repoTags: string[];       // normalized familiar form as docker shows it: "busybox:latest", "localhost:5000/x:1"
  repoDigests: string[];
  created: string;          // RFC 3339
  size: number;             // bytes of all layers, unpacked
  config: ImageConfigFile;
  parent: string;           // "" unless built locally
}

export interface ImportOptions {
  /** tar (plain, gzip, bzip2 or xz) of a root file system */
  source: Readable;
  /** "repo:tag" to tag the result with, optional */
  repo?: string;
  tag?: string;
  /** Dockerfile instructions to apply to the config (`changes` of docker import) */
  changes?: string[];
  message?: string;
  platform?: string;
}

export interface ImageService {
  /**
   * Resolves as dockerd's GetImage: a full id (with or without `sha256:`), a name
   * (`busybox` = docker.io/library/busybox:latest), name@digest, then a unique short-id
   * prefix. InvalidParameter for a malformed name ("invalid reference format: ...");
   * NotFound "No such image: busybox:latest" (the tagged familiar form) otherwise.
   */
  get(ref: string): ImageRecord;
  /** All images; without `all`, untagged images that have children are left out (as docker images). */
  list(opts?: { all?: boolean }): ImageRecord[];
  /**
   * docker import: one layer from a tar (plain, gzip, bzip2, xz). InvalidParameter for a bad
   * repo/tag, a bad `changes` line ("run is not a valid change command") or a bad archive;
   * all checked or failing before anything is visible. Logs `tag` (with a repo) then `import`.
   */
  import(opts: ImportOptions, progress?: (line: object) => void): Promise<ImageRecord>;
  /**
   * Points repo[:tag] (default tag latest; a tag inside repo is replaced by `tag`) at the
   * image, moving it from any other image. InvalidParameter for a bad reference, NotFound
   * for the source. Logs `tag`.
   */
  tag(source: string, repo: string, tag?: string): void;
  /**
   * docker rmi with dockerd's rules: by name it untags (Conflict "unable to remove repository
   * reference ... (must force)" when it is the last reference of an image a container uses),
   * by id it deletes (Conflict "unable to delete <id> (must be forced) - image is referenced
   * in multiple repositories" / "... is being used by stopped container <id>"; "(cannot be
   * forced) - image is being used by running container <id>"). Returns Docker's
   * [{Untagged}|{Deleted}] list; layers no longer used are removed right after, in the background.
   */
  remove(ref: string, opts: { force?: boolean; noprune?: boolean }): { Untagged?: string; Deleted?: string }[];
  /** docker history: newest first; Id "<missing>" for entries of other images; Tags null when none. */
  history(ref: string): { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[];

  /**
   * Creates the container's read-write layer on top of the image (any reference `get` takes).
   * Crash-safe: made in a temp dir, renamed, then recorded. InvalidParameter if it exists.
   */
  createContainerLayer(containerId: string, imageId: string): Promise<void>;
  /**
   * Mounts the container's root on overlayfs (idempotent: an existing mount, e.g. kept over a
   * daemon restart, is reused) and returns the merged directory. NotFound without a layer.
   */
  mountContainerLayer(containerId: string): Promise<string>;
  /** Unmounts (idempotent; a busy mount is detached lazily). NotFound without a layer. */
  unmountContainerLayer(containerId: string): Promise<void>;
  /** Unmounts and deletes the layer, then frees image layers nothing uses any more. Idempotent. */
  removeContainerLayer(containerId: string): Promise<void>;
  /**
   * Drops the layer's record now and returns the removal of its files (unmount, delete, free
   * unused image layers) to run later; a crash in between is cleaned up at start-up. Null
   * without a layer.
   */
  detachContainerLayer(containerId: string): Promise<(() => Promise<void>) | null>;
  /** Bytes in the container's upper dir, and of the whole root (image + upper). */
  containerLayerSize(containerId: string): Promise<{ sizeRw: number; sizeRootFs: number }>;
  /** Directory holding the container's read-write layer (the overlay upperdir). */
  containerLayerDiffDir(containerId: string): string;
  /** GraphDriver as `docker inspect <container>` shows it: overlay2 with Lower/Merged/Upper/WorkDir (Data null without a layer). */
  containerGraphDriver?(containerId: string): { Name: string; Data: { LowerDir?: string; MergedDir: string; UpperDir: string; WorkDir: string } | null };

  /**
   * Lets rmi refuse images used by containers: `fn` returns ids of all containers using the
   * image; `running` (optional) those of them that run. Docker treats a running user as a
   * hard conflict (even `rmi -f` refuses) and a stopped one as soft (`-f` overrides);
   * without `running` every user counts as stopped.
   */
  setUsageCheck(fn: (imageId: string) => string[], running?: (imageId: string) => string[]): void;
  /**
   * Start-up clean-up, once, before any other call: removes temp dirs and ingests of
   * interrupted work, layer dirs without a record, records whose dir is gone, config blobs
   * of no image, and layers nothing uses. Mounts of known container layers are left alone.
   */
  reconcile(): Promise<void>;
}
