/**
 * Volumes: named directories managed by the daemon (the local driver keeps them under
 * <data-root>/volumes/<name>/_data, like Docker), mounted into containers by name.
 *
 * Errors: NotFound "get <name>: no such volume"; Conflict "remove <name>: volume is in use -
 * [<container ids>]"; InvalidParameter for bad names and driver options.
 */
export interface VolumeRecord {
  name: string;
  driver: string;
  /** RFC 3339, seconds, as Docker shows CreatedAt. */
  createdAt: string;
  labels: Record<string, string>;
  /** Local driver options: type, device, o. */
  options: Record<string, string>;
}

/** Label Docker (23+) puts on anonymous volumes; prune without `all` only removes these. */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

/** One mount of a container, as stored at create and shown by inspect's Mounts. */
export interface MountPoint {
  Type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name (volumes only). */
  Name?: string;
  /** Host path (binds), the volume's _data dir (volumes), "" for tmpfs. */
  Source: string;
  Destination: string;
  Driver?: string;
  Mode: string;
  RW: boolean;
  Propagation: string;
  /** Not shown: fill a new empty volume from the image at first start. */
  copyData?: boolean;
  /** Not shown: tmpfs mount options (size=..., mode=...). */
  tmpfsOptions?: string[];
  /** Not shown: from HostConfig.Tmpfs (`--tmpfs`), which docker leaves out of Mounts. */
  hidden?: boolean;
  /** Not shown: the volume was made for this container (removed by rm -v). */
  anonymous?: boolean;
  /** Not shown: volume subpath (--mount volume-subpath). */
  subpath?: string;
}

/** What the volume code needs to know about a container; ContainerRecord satisfies it. */
export interface ContainerLike {
  id: string;
  name: string;
  config: { Volumes?: Record<string, object> | null; User?: string };
  hostConfig: {
    Binds?: string[] | null;
    Mounts?: import('../api/types').Mount[] | null;
    Tmpfs?: Record<string, string> | null;
    VolumesFrom?: string[] | null;
    ReadonlyRootfs?: boolean;
  };
  state: { Running: boolean };
}

/** Matches Docker's local volume name rule. */
export const VOLUME_NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
