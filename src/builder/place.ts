import { closeSync, constants as fsConstants, createReadStream, promises as fs, readFileSync } from 'node:fs';
import { at, resolveIn } from '../containers/archive-fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Extractor } from '../containers/archive-extract';
import { invalidParameter } from '../errdefs';
import { secureJoin } from '../util/securejoin';
import { decompressStream, detectCompression } from '../util/tar-decompress';
import { type PlaceEntry, type Source, entriesTar, walkDir } from './copy';
import { mapTarOwners } from '../util/tar-owners';
import { storeIds } from '../containers/userns';

/**
 * Placing COPY/ADD sources in an image root with the classic builder's rules: a directory
 * source copies its contents; a file lands in the destination directory when the
 * destination ends with / or is an existing directory, else it becomes the destination;
 * missing parents are made 0755 and owned by the --chown identity; ADD unpacks local
 * archives and downloads URLs (0600). Everything is written through the container-root
 * extractor, which never follows a symlink out of the root.
 */
export interface Identity { uid: number; gid: number }

function lookup(root: string, file: string, name: string, what: 'user' | 'group'): number {
  if (/^\d+$/.test(name)) return Number(name);
  let text = '';
  try { text = readFileSync(secureJoin(root, file), 'utf8'); } catch { /* none */ }
  for (const l of text.split('\n')) {
    const f = l.split(':');
    if (f[0] === name && f.length > 2 && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  throw invalidParameter(what === 'user' ? `unable to convert uid/gid chown string to host mapping: can't find uid for user ${name}: no such user: ${name}`
    : `unable to convert uid/gid chown string to host mapping: can't find gid for group ${name}: no such group: ${name}`);
}

/** --chown=user[:group] against the destination root's /etc/passwd and /etc/group. */
export function parseChown(root: string, spec: string): Identity {
  const parts = spec.split(':');
  if (parts.length > 2) throw invalidParameter(`invalid chown string format: ${spec}`);
  const [u, g] = parts.length === 1 ? [parts[0], parts[0]] : parts;
  return { uid: lookup(root, '/etc/passwd', u, 'user'), gid: lookup(root, '/etc/group', g, 'group') };
}

export function parseChmod(spec: string): number {
  if (!/^[0-7]{1,4}$/.test(spec)) throw invalidParameter(`invalid chmod parameter ${spec}. it should be octal string and between 0 and 07777`);
  return parseInt(spec, 8);
}

async function existsAt(root: string, p: string): Promise<'dir' | 'other' | null> {
  try { return (await fs.stat(secureJoin(root, p))).isDirectory() ? 'dir' : 'other'; } catch { return null; }
}

/**
 * Directory entries for the missing ancestors of `dir` and `dir` itself, as dockerd makes
 * them: 0755, owned by the --chown identity, except that for a directory source only the
 * destination itself gets it (`parentsAsRoot`) and the dirs above stay root's.
 */
export async function missingDirs(root: string, dir: string, id: Identity, made: Set<string>, parentsAsRoot = false): Promise<PlaceEntry[]> {
  const parts = dir.split('/').filter(Boolean);
  const out: PlaceEntry[] = [];
  for (let i = 1; i <= parts.length; i++) {
    const p = `/${parts.slice(0, i).join('/')}`;
    if (made.has(p) || (await existsAt(root, p))) continue;
    made.add(p);
    const owner = parentsAsRoot && i < parts.length ? { uid: 0, gid: 0 } : id;
    out.push({ name: p.slice(1), type: 'directory', mode: 0o755, uid: owner.uid, gid: owner.gid, mtime: new Date() });
  }
  return out;
}

export interface PlaceOptions {
  root: string;
  dest: string;
  destIsDir: boolean;
  identity?: Identity;
  chmod?: number;
  /** ADD: unpack local archives */
  extract: boolean;
}

export interface Fetched { name: string; data: Buffer; mtime: Date }

async function isArchive(abs: string): Promise<boolean> {
  const fh = await fs.open(abs, 'r');
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    const head = buf.subarray(0, bytesRead);
    if (detectCompression(head) !== 'none') return true;
    return bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
  } finally { await fh.close(); }
}

export async function placeSources(o: PlaceOptions, sources: Source[], fetched: Fetched[]): Promise<void> {
  const id = o.identity ?? { uid: 0, gid: 0 };
  const made = new Set<string>();
  const entries: PlaceEntry[] = [];
  const archives: { abs: string; dest: string }[] = [];
  const mode = (m: number) => (o.chmod !== undefined ? o.chmod : m & 0o7777);
  const destDirExists = (await existsAt(o.root, o.dest)) === 'dir';
  for (const s of sources) {
    if (s.isDir) {
      entries.push(...(await missingDirs(o.root, o.dest, id, made, true)));
      for (const f of await walkDir(s.abs)) {
        const name = path.posix.join(o.dest, f.rel).slice(1);
        const base = { name, uid: id.uid, gid: id.gid, mtime: f.st.mtime };
        if (f.st.isDirectory()) entries.push({ ...base, type: 'directory', mode: mode(f.st.mode) });
        else if (f.st.isSymbolicLink()) entries.push({ ...base, type: 'symlink', mode: 0o777, linkname: await fs.readlink(f.abs) });
        else if (f.st.isFile()) entries.push({ ...base, type: 'file', mode: mode(f.st.mode), abs: f.abs, size: f.st.size });
      }
      continue;
    }
    if (o.extract && await isArchive(s.abs)) {
      entries.push(...(await missingDirs(o.root, o.dest, id, made)));
      archives.push({ abs: s.abs, dest: o.dest });
      continue;
    }
    const target = o.destIsDir || destDirExists ? path.posix.join(o.dest, path.posix.basename(s.rel || s.orig)) : o.dest;
    entries.push(...(await missingDirs(o.root, path.posix.dirname(target), id, made)));
    entries.push({ name: target.slice(1), type: 'file', mode: mode(s.st.mode), uid: id.uid, gid: id.gid, mtime: s.st.mtime, abs: s.abs, size: s.st.size });
  }
  for (const f of fetched) {
    const target = o.destIsDir || destDirExists ? path.posix.join(o.dest, f.name) : o.dest;
    entries.push(...(await missingDirs(o.root, path.posix.dirname(target), id, made)));
    entries.push({ name: target.slice(1), type: 'file', mode: o.chmod ?? 0o600, uid: id.uid, gid: id.gid, mtime: f.mtime, data: f.data });
  }
  const cfs = { root: o.root, mounts: [], readonlyRoot: false };
  const opts = { noOverwriteDirNonDir: false, readonlyMessage: 'read-only file system' };
  // directories, links and in-memory files through the extractor; files from disk are then
  // copied by the kernel (copy_file_range) into their parent, reached the same safe way
  const viaTar = entries.filter((e) => !(e.type === 'file' && e.abs));
  // --userns-remap: the layer holds host ids (see src/containers/userns.ts)
  const toHost = storeIds()?.toHost;
  await new Extractor(cfs, '/', opts).extract(mapTarOwners(entriesTar(viaTar), toHost));
  await copyFiles(cfs, entries.filter((e) => e.type === 'file' && e.abs));
  for (const a of archives) {
    const { stream } = await decompressStream(createReadStream(a.abs));
    await new Extractor(cfs, a.dest, opts).extract(mapTarOwners(stream as Readable, toHost));
  }
}

/** ADD <url>: the file name is the URL path's last part; mtime from Last-Modified. */
export async function fetchUrl(url: string): Promise<Fetched> {
  const res = await fetch(url).catch((e: Error) => { throw invalidParameter(`failed to GET ${url}: ${e.message}`); });
  if (!res.ok) throw invalidParameter(`failed to GET ${url} with status ${res.status} ${res.statusText}`);
  const data = Buffer.from(await res.arrayBuffer());
  const name = path.posix.basename(new URL(url).pathname) || 'index.html';
  const lm = res.headers.get('last-modified');
  return { name, data, mtime: lm ? new Date(lm) : new Date() };
}

/**
 * Regular files from the context or another image: each lands in its parent directory,
 * opened by a walk inside the root (symlinks resolved in the root, never out of it); an
 * existing non-directory there is replaced, and the copy is made with O_EXCL so a symlink
 * at the final name is never followed.
 */
async function copyFiles(cfs: { root: string; mounts: never[]; readonlyRoot: boolean }, files: PlaceEntry[]): Promise<void> {
  const dirs = new Map<string, number>();
  try {
    for (const f of files) {
      const parent = path.posix.dirname(`/${f.name}`);
      let fd = dirs.get(parent);
      if (fd === undefined) {
        const r = resolveIn(cfs, parent, true);
        if (r.name) { r.close(); throw invalidParameter(`cannot copy to ${parent}: not a directory`); }
        fd = r.detach().fd;
        dirs.set(parent, fd);
      }
      const target = at(fd, path.posix.basename(f.name));
      const st = await fs.lstat(target).catch(() => undefined);
      if (st?.isDirectory()) await fs.rm(target, { recursive: true });
      else if (st) await fs.unlink(target);
      await fs.copyFile(f.abs!, target, fsConstants.COPYFILE_EXCL);
      const owner = storeIds()?.toHost(f.uid, f.gid) ?? f;
      await fs.lchown(target, owner.uid, owner.gid);
      await fs.chmod(target, f.mode);
      await fs.lutimes(target, f.mtime, f.mtime);
    }
  } finally {
    for (const fd of dirs.values()) closeSync(fd);
  }
}
