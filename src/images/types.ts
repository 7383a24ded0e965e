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
  /** Resolves a name, full or short id, or name@digest; NotFound "No such image: X". */
  get(ref: string): ImageRecord;
  list(opts?: { all?: boolean }): ImageRecord[];
  import(opts: ImportOptions, progress?: (line: object) => void): Promise<ImageRecord>;
  tag(source: string, repo: string, tag?: string): void;
  /** docker rmi: returns Docker's [{Untagged}|{Deleted}] list. */
  remove(ref: string, opts: { force?: boolean; noprune?: boolean }): { Untagged?: string; Deleted?: string }[];
  history(ref: string): { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[];

  /** Creates the container's read-write layer on top of the image. */
  createContainerLayer(containerId: string, imageId: string): Promise<void>;
  /** Mounts the container's root (idempotent) and returns the merged directory. */
  mountContainerLayer(containerId: string): Promise<string>;
  unmountContainerLayer(containerId: string): Promise<void>;
  removeContainerLayer(containerId: string): Promise<void>;
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
  /** Removes leftovers of interrupted imports and layer unpacks (called once at start-up). */
  reconcile(): Promise<void>;
}
