import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { invalidParameter, notFound } from '../errdefs';
import { decompressStream } from '../util/tar-decompress';
import { type ContainerFs, type ContainerMount, type Resolved, resolveIn } from './archive-fs';
import { extractInWorker } from './archive-put';
import { packResource } from './archive-tar';
import type { ContainerRecord } from './record';
import { resolveUser } from './user';
import { mapTarOwners } from '../util/tar-owners';
import { storeIds } from './userns';

/** Docker's ContainerPathStat, sent base64-encoded in X-Docker-Container-Path-Stat. */
export interface PathStat { name: string; size: number; mode: number; mtime: string; linkTarget: string }

export interface ArchiveDeps {
  get(ref: string): ContainerRecord;
  /** Mounts the container's root if needed and returns the merged dir. */
  rootfs(id: string): Promise<string>;
  /** Volumes and binds of the container, by destination. */
  mounts(id: string): ContainerMount[] | Promise<ContainerMount[]>;
}

/** Go's os.FileMode bits for a stat result. */
export function goFileMode(st: fs.Stats): number {
  let m = st.mode & 0o777;
  if (st.isDirectory()) m |= 2 ** 31;
  else if (st.isSymbolicLink()) m |= 2 ** 27;
  else if (st.isBlockDevice()) m |= 2 ** 26;
  else if (st.isCharacterDevice()) m |= 2 ** 26 + 2 ** 21;
  else if (st.isFIFO()) m |= 2 ** 25;
  else if (st.isSocket()) m |= 2 ** 24;
  if (st.mode & 0o4000) m += 2 ** 23;
  if (st.mode & 0o2000) m += 2 ** 22;
  if (st.mode & 0o1000) m += 2 ** 20;
  return m >>> 0;
}

function rfc3339Nano(st: fs.Stats): string {
  const ms = st.mtimeMs;
  const sec = Math.floor(ms / 1000);
  const nanos = Math.round((ms - sec * 1000) * 1e6);
  const base = new Date(sec * 1000).toISOString().slice(0, 19);
  const frac = nanos ? `.${String(nanos).padStart(9, '0').replace(/0+$/, '')}` : '';
  return `${base}${frac}Z`;
}

/** filepath.Base of the path as Docker keeps it: "/a/b/" -> "b", "/a/b/." -> ".", "/" -> "/". */
export function baseName(p: string): string {
  const abs = path.posix.join('/', p) + (/\/\.$/.test(p) ? '/.' : '');
  if (abs.endsWith('/.')) return '.';
  const trimmed = abs.replace(/\/+$/, '');
  return trimmed === '' ? '/' : path.posix.basename(trimmed);
}

const wantsDir = (p: string) => p.endsWith('/') || p.endsWith('/.');

/**
 * docker cp's daemon side: stat, read (tar out) and write (tar in) paths of a container,
 * running or stopped, with Docker's path rules. All resolution happens inside the
 * container's file system (archive-fs.ts).
 */
export class ContainerArchive {
  constructor(private readonly deps: ArchiveDeps) {}

  private async fsOf(c: ContainerRecord): Promise<ContainerFs> {
    const root = await this.deps.rootfs(c.id);
    return { root, mounts: await this.deps.mounts(c.id), readonlyRoot: !!c.hostConfig.ReadonlyRootfs };
  }

  private resolve(cfs: ContainerFs, ref: string, p: string): { r: Resolved; st: fs.Stats } {
    if (!p) throw invalidParameter('Path cannot be empty');
    let r: Resolved;
    try { r = resolveIn(cfs, p, wantsDir(p)); } catch (e) {
      if ((e as { kind?: string }).kind === 'NotFound') throw notFound(`Could not find the file ${p} in container ${ref}`);
      throw e;
    }
    const st = r.lstat();
    if (!st) { r.close(); throw notFound(`Could not find the file ${p} in container ${ref}`); }
    if (wantsDir(p) && !st.isDirectory()) { r.close(); throw invalidParameter(`lstat ${p}: not a directory`); }
    return { r, st };
  }

  private pathStat(cfs: ContainerFs, p: string, st: fs.Stats): PathStat {
    let linkTarget = '';
    if (st.isSymbolicLink()) {
      try {
        const t = resolveIn(cfs, p, true);
        linkTarget = t.logical;
        t.close();
      } catch (e) {
        // A target below a missing directory: Docker still reports where it would be.
        linkTarget = (e as { wouldBe?: string }).wouldBe ?? '';
      }
    }
    return { name: baseName(p), size: st.size, mode: goFileMode(st), mtime: rfc3339Nano(st), linkTarget };
  }

  /** HEAD /containers/{id}/archive. */
  async stat(ref: string, p: string): Promise<PathStat> {
    const c = this.deps.get(ref);
    const cfs = await this.fsOf(c);
    const { r, st } = this.resolve(cfs, ref, p);
    try { return this.pathStat(cfs, p, st); } finally { r.close(); }
  }

  /** GET /containers/{id}/archive: the stat and a tar of the resource, named by its base name. */
  async get(ref: string, p: string): Promise<{ stat: PathStat; stream: Readable }> {
    const c = this.deps.get(ref);
    const cfs = await this.fsOf(c);
    const { r, st } = this.resolve(cfs, ref, p);
    const stat = this.pathStat(cfs, p, st);
    const pack = tar.pack();
    const out = pack as unknown as Readable;
    out.on('error', () => undefined); // the route sees it and drops the connection
    packResource(pack, cfs, r.dirFd, r.name, stat.name, r.logical, storeIds()?.toContainer)
      .catch((e: Error) => out.destroy(e))
      .finally(() => r.close());
    return { stat, stream: out };
  }

  /** PUT /containers/{id}/archive: extracts a (possibly compressed) tar into an existing directory. */
  async put(ref: string, p: string, body: Readable, opts: { noOverwriteDirNonDir?: boolean; copyUIDGID?: boolean }): Promise<void> {
    const c = this.deps.get(ref);
    const cfs = await this.fsOf(c);
    if (!p) throw invalidParameter('Path cannot be empty');
    let r: Resolved;
    try { r = resolveIn(cfs, p, true); } catch (e) {
      if ((e as { kind?: string }).kind === 'NotFound') throw notFound(`Could not find the file ${p} in container ${ref}`);
      throw e;
    }
    const st = r.lstat();
    const logical = r.logical;
    const writable = r.writable;
    const inMount = cfs.mounts.some((m) => logical === m.destination || logical.startsWith(`${m.destination}/`));
    r.close();
    if (!st) throw notFound(`Could not find the file ${p} in container ${ref}`);
    if (!st.isDirectory()) throw invalidParameter('extraction point is not a directory');
    const readonlyMessage = inMount ? 'mounted volume is marked read-only' : 'container rootfs is marked read-only';
    if (!writable) throw invalidParameter(readonlyMessage);
    let chown: { uid: number; gid: number } | undefined;
    if (opts.copyUIDGID && c.config.User) {
      const u = resolveUser(cfs.root, c.config.User);
      chown = storeIds()?.toHost(u.uid, u.gid) ?? { uid: u.uid, gid: u.gid };
    }
    const { stream } = await decompressStream(body);
    const job = { cfs, destLogical: logical, opts: { noOverwriteDirNonDir: !!opts.noOverwriteDirNonDir, chown, readonlyMessage } };
    await extractInWorker(job, mapTarOwners(stream, storeIds()?.toHost));
  }
}
