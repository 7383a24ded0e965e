import type { Readable } from 'node:stream';

/** Docker's ContainerPathStat. */
export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

/**
 * What the archive routes need; ContainerArchive (src/containers/archive.ts) provides it.
 * NotFound "Could not find the file <path> in container <ref>" for missing paths.
 */
export interface ArchiveRoutesBackend {
  stat(ref: string, path: string): Promise<PathStat>;
  get(ref: string, path: string): Promise<{ stat: PathStat; stream: Readable }>;
  put(ref: string, path: string, body: Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }): Promise<void>;
}
