import { closeSync, constants, fstatSync, lstatSync, openSync, readlinkSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import { invalidParameter, notFound } from '../errdefs';

/**
 * Path resolution inside a container's file system without ever leaving it, for docker cp.
 *
 * The container's view is its root (the overlay's merged dir) plus its mounts (volumes and
 * binds, by destination). Paths are walked one component at a time with file descriptors:
 * each directory is opened relative to the previous one's fd through /proc/self/fd/N/<name>
 * with O_NOFOLLOW, which is openat(2) by another name, so a component swapped for a symlink
 * after it was checked is never followed by the kernel. Symlinks are read and followed by
 * hand, in the container's scope: absolute targets restart at the container's root and `..`
 * pops the walk's own stack (never the fd's parent), so no link, however crafted (absolute,
 * `..` chains, /proc/self/root), reaches outside.
 */

// O_PATH is not in node's constants; the value is the same on every Linux architecture we run on.
export const O_PATH = 0o10000000;
const { O_NOFOLLOW, O_DIRECTORY, O_RDONLY } = constants;
const O_CLOEXEC = 0o2000000;

export interface ContainerMount { destination: string; source: string; rw: boolean }
export interface ContainerFs { root: string; mounts: ContainerMount[]; readonlyRoot: boolean }

/** A path below a directory fd (the fd's own dir when name is ""). */
export const at = (fd: number, name: string) => (name ? `/proc/self/fd/${fd}/${name}` : `/proc/self/fd/${fd}`);

interface Frame { fd: number; logical: string; rw: boolean }

/** The result of a walk: the parent directory (open) and the last name in it, or the opened directory itself. */
export class Resolved {
  constructor(
    private readonly frames: Frame[],
    /** Last component, "" when the walk ended on a directory it opened (the root, a mount, a followed dir). */
    readonly name: string,
    /** The path in the container after resolution (absolute, clean). */
    readonly logical: string,
  ) {}

  get dirFd(): number { return this.frames[this.frames.length - 1].fd; }
  /** True when writes here land on a read-write mount (or a writable root). */
  get writable(): boolean { return this.frames[this.frames.length - 1].rw; }
  /** Host path usable with the usual fs calls (final component never followed by lstat/unlink...). */
  get hostPath(): string { return at(this.dirFd, this.name); }

  lstat(): Stats | undefined {
    try { return this.name ? lstatSync(this.hostPath) : fstatSync(this.dirFd); } catch (e) {
      if (isCode(e, 'ENOENT', 'ENOTDIR')) return undefined;
      throw e;
    }
  }

  /** Keeps only the last directory's fd open and hands it over (the caller closes it). */
  detach(): { fd: number; rw: boolean } {
    const last = this.frames.pop() as Frame;
    this.close();
    return { fd: last.fd, rw: last.rw };
  }

  close(): void { for (const f of this.frames) { try { closeSync(f.fd); } catch { /* closed */ } } this.frames.length = 0; }
}

export function isCode(e: unknown, ...codes: string[]): boolean {
  return typeof e === 'object' && e !== null && codes.includes((e as NodeJS.ErrnoException).code ?? '');
}

/** Opens a directory (trusted host path: the container root or a mount source) as an O_PATH fd. */
export function openHostDir(p: string): number {
  return openSync(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/** Opens `name` in the directory `dirFd` as a directory without following a symlink; ENOTDIR/ELOOP otherwise. */
export function openDirAt(dirFd: number, name: string, flags = O_PATH): number {
  return openSync(at(dirFd, name), flags | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
}

/** Opens `name` in `dirFd` for reading without following a symlink. */
export function openFileAt(dirFd: number, name: string): number {
  return openSync(at(dirFd, name), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
}

/** The mount whose destination is exactly this container path. */
export function mountAt(cfs: ContainerFs, logical: string): ContainerMount | undefined {
  let found: ContainerMount | undefined;
  for (const m of cfs.mounts) if (m.destination === logical) found = m;
  return found;
}

/**
 * Walks `containerPath` in the container. `followLast` follows a final symlink (and opens a
 * final directory); without it the result names the last component in its parent, as
 * Docker's ResolvePath does for paths without a trailing separator. A missing final
 * component is fine (name is set, lstat() gives undefined); a missing or non-directory
 * intermediate one throws NotFound / InvalidParameter.
 */
export function resolveIn(cfs: ContainerFs, containerPath: string, followLast: boolean): Resolved {
  const frames: Frame[] = [{ fd: openHostDir(cfs.root), logical: '/', rw: !cfs.readonlyRoot }];
  const rootMount = mountAt(cfs, '/');
  if (rootMount) frames.push({ fd: openHostDir(rootMount.source), logical: '/', rw: rootMount.rw });
  const pending = containerPath.split('/');
  let hops = 0;
  const top = () => frames[frames.length - 1];
  try {
    while (pending.length) {
      const part = pending.shift() as string;
      if (part === '' || part === '.') continue;
      if (part === '..') {
        if (frames.length > 1 && top().logical !== '/') closeSync((frames.pop() as Frame).fd);
        continue;
      }
      const last = !pending.some((p) => p !== '' && p !== '.');
      const logical = path.posix.join(top().logical, part);
      const mount = mountAt(cfs, logical);
      if (mount) {
        frames.push({ fd: openHostDir(mount.source), logical, rw: mount.rw });
        continue;
      }
      if (last && !followLast) return new Resolved(frames, part, logical);
      try {
        frames.push({ fd: openDirAt(top().fd, part), logical, rw: top().rw });
        continue;
      } catch (e) {
        if (isCode(e, 'ENOENT')) {
          if (last) return new Resolved(frames, part, logical);
          // Where the path would be, for a symlink's stat (Docker reports it even when it is missing).
          throw Object.assign(notFound(`no such file or directory: ${logical}`), { wouldBe: path.posix.join(logical, ...pending) });
        }
        if (!isCode(e, 'ENOTDIR', 'ELOOP')) throw e;
      }
      const st = lstatSync(at(top().fd, part));
      if (!st.isSymbolicLink()) {
        if (last) return new Resolved(frames, part, logical);
        throw invalidParameter(`not a directory: ${logical}`);
      }
      if (++hops > 40) throw invalidParameter(`too many levels of symbolic links: ${containerPath}`);
      const target = readlinkSync(at(top().fd, part));
      if (target.startsWith('/')) {
        while (frames.length > 1) closeSync((frames.pop() as Frame).fd);
        if (rootMount) frames.push({ fd: openHostDir(rootMount.source), logical: '/', rw: rootMount.rw });
      }
      pending.unshift(...target.split('/'));
    }
    // Ended on a directory the walk opened (root, mount, followed dir).
    return new Resolved(frames, '', top().logical);
  } catch (e) {
    for (const f of frames) { try { closeSync(f.fd); } catch { /* closed */ } }
    throw e;
  }
}
