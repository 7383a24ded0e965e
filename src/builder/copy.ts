import { createHash } from 'node:crypto';
import { createReadStream, promises as fs, readFileSync, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { invalidParameter, notFound } from '../errdefs';
import { secureJoin } from '../util/securejoin';

/**
 * COPY and ADD: finding the sources (context or another stage's root), their checksum for
 * the cache (contents and metadata, never mtimes, as the classic builder's), and the list
 * of entries to place in the destination with Docker's directory rules.
 */
export type StatLike = Pick<Stats, 'mode' | 'uid' | 'gid' | 'size' | 'mtime' | 'isDirectory' | 'isFile' | 'isSymbolicLink'>;
export interface SourceFile { rel: string; abs: string; st: StatLike }
export interface Source { orig: string; root: string; rel: string; abs: string; st: StatLike; isDir: boolean }

/**
 * What COPY's source lookup and checksum read a root through: the real file system, or the
 * build context's entry list before its files are written out (context-view.ts).
 */
export interface FsView {
  stat(abs: string): Promise<StatLike>;
  lstat(abs: string): Promise<StatLike>;
  readdir(abs: string): Promise<string[]>;
  readlink(abs: string): Promise<string>;
}
export const realFs: FsView = { stat: (p) => fs.stat(p), lstat: (p) => fs.lstat(p), readdir: (p) => fs.readdir(p), readlink: (p) => fs.readlink(p) };

const WILDCARD = /[*?[]/;

/** Go's filepath.Match for one path (no separator crossing). */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw invalidParameter(`syntax error in pattern: ${pattern}`);
      let cls = pattern.slice(i + 1, end);
      if (cls.startsWith('^')) cls = `^${cls.slice(1)}`;
      re += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) re += `\\${pattern[++i]}`;
    else re += c.replace(/[.+^${}()|\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

function cleanRel(p: string): string {
  return path.posix.normalize(`/${p}`).slice(1).replace(/\/$/, '');
}

/** Resolves the sources of one COPY/ADD: wildcards matched level by level, `..` refused. */
export async function resolveSources(root: string, srcs: string[], fromContext: boolean, view = realFs): Promise<Source[]> {
  const out: Source[] = [];
  for (const orig of srcs) {
    const norm = path.posix.normalize(orig.replace(/^\.\//, ''));
    if (fromContext && (norm === '..' || norm.startsWith('../'))) throw invalidParameter(`forbidden path outside the build context: ${orig} ()`);
    const rel = cleanRel(norm);
    if (WILDCARD.test(rel)) {
      const matches = await glob(root, rel, view);
      for (const m of matches) out.push(await statSource(root, orig, m, view));
      continue;
    }
    out.push(await statSource(root, orig, rel, view));
  }
  if (out.length === 0) throw invalidParameter('no source files were specified');
  return out;
}

async function statSource(root: string, orig: string, rel: string, view: FsView): Promise<Source> {
  const abs = secureJoin(root, rel);
  let st: StatLike;
  try { st = await view.stat(abs); } catch {
    throw notFound(`file not found in build context or excluded by .dockerignore: stat ${rel || '.'}: file does not exist`);
  }
  return { orig, root, rel, abs, st, isDir: st.isDirectory() };
}

async function glob(root: string, pattern: string, view: FsView): Promise<string[]> {
  const parts = pattern.split('/');
  let cur = [''];
  for (const part of parts) {
    const next: string[] = [];
    for (const base of cur) {
      if (!WILDCARD.test(part)) { next.push(base ? `${base}/${part}` : part); continue; }
      const re = globToRegExp(part);
      const names = await view.readdir(secureJoin(root, base)).catch(() => [] as string[]);
      for (const n of names.sort()) if (re.test(n)) next.push(base ? `${base}/${n}` : n);
    }
    cur = next;
  }
  const exist: string[] = [];
  for (const c of cur) if (await view.lstat(secureJoin(root, c)).then(() => true, () => false)) exist.push(c);
  return exist;
}

/** Every file below a directory source, sorted, without following symlinks. */
export async function walkDir(abs: string, view = realFs): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (dirAbs: string, rel: string) => {
    for (const n of (await view.readdir(dirAbs)).sort()) {
      const a = path.join(dirAbs, n);
      const r = rel ? `${rel}/${n}` : n;
      const st = await view.lstat(a);
      out.push({ rel: r, abs: a, st });
      if (st.isDirectory()) await walk(a, r);
    }
  };
  await walk(abs, '');
  return out;
}

/** Hashes already known for files of a root (the context's, taken from its tar), by relative path; `view` reads that root. */
export interface KnownHashes { root: string; hashes: Map<string, string>; view?: FsView }

/**
 * The header part of dockerd's per-file hash (tarsum version 1 header fields, as its
 * remotecontext.NewFileHash writes them): name, permission bits, owner, size, type, link.
 */
export function tarsumHeader(name: string, mode: number, uid: number, gid: number, size: number, type: '0' | '2' | '5', link = '', names?: { uname: string; gname: string }): string {
  return `name${name}mode${mode}uid${uid}gid${gid}size${size}typeflag${type}linkname${link}uname${names?.uname ?? ''}gname${names?.gname ?? ''}devmajor0devminor0`;
}

/** The daemon host's name for an id (dockerd's archive headers for image files carry them). */
const hostNames = new Map<string, Map<number, string>>();
function hostName(file: '/etc/passwd' | '/etc/group', id: number): string {
  let m = hostNames.get(file);
  if (!m) {
    m = new Map();
    try {
      for (const l of readFileSync(file, 'utf8').split('\n')) {
        const f = l.split(':');
        if (f.length > 2 && /^\d+$/.test(f[2]) && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]);
      }
    } catch { /* no names */ }
    hostNames.set(file, m);
  }
  return m.get(id) ?? '';
}

/**
 * How dockerd hashes a path: from the build context, permission bits and no owner names;
 * from an image (COPY --from), the full mode with its type bits and the host's names.
 */
function headerOf(name: string, st: StatLike, size: number, type: '0' | '2' | '5', link: string, fromImage: boolean): string {
  if (!fromImage) return tarsumHeader(name, st.mode & 0o7777, st.uid, st.gid, size, type, link);
  return tarsumHeader(name, st.mode & 0o177777, st.uid, st.gid, size, type, link, { uname: hostName('/etc/passwd', st.uid), gname: hostName('/etc/group', st.gid) });
}

/** dockerd's hash of one path below `root` (header, then the bytes of a regular file). */
async function entryHash(root: string, abs: string, st: StatLike, known: KnownHashes | undefined, fromImage: boolean): Promise<string> {
  const rel = path.relative(root, abs) || '.';
  if (st.isDirectory()) return createHash('sha256').update(headerOf(`${rel}/`, st, 0, '5', '', fromImage)).digest('hex');
  if (st.isSymbolicLink()) return createHash('sha256').update(headerOf(rel, st, 0, '2', await viewOf(root, known).readlink(abs), fromImage)).digest('hex');
  const hit = known && known.root === root ? known.hashes.get(rel) : undefined;
  if (hit) return hit;
  const h = createHash('sha256').update(headerOf(rel, st, st.size, '0', '', fromImage));
  if (st.size > 0) for await (const c of createReadStream(abs, { highWaterMark: 1 << 20 })) h.update(c as Buffer);
  return h.digest('hex');
}

const viewOf = (root: string, known?: KnownHashes): FsView => (known?.view && known.root === root ? known.view : realFs);

/**
 * Docker's "file:<sha>" / "dir:<sha>" for one source, as the classic builder computes them
 * (so that history lines and --cache-from match dockerd's): a file's hash; for a directory,
 * the sorted hashes of itself and everything below, joined by commas and hashed.
 */
export async function sourceChecksum(s: Source, known?: KnownHashes, fromImage = false): Promise<string> {
  const view = viewOf(s.root, known);
  const st = await view.lstat(s.abs);
  if (!s.isDir) return `file:${await entryHash(s.root, s.abs, st.isSymbolicLink() ? s.st : st, known, fromImage)}`;
  // the root of the build context itself is left out; a symlink counts as what it points to
  // inside the root (dockerd hashes the resolved path), a dangling one not at all
  const all = path.relative(s.root, s.abs) === '' ? [] : [await entryHash(s.root, s.abs, st, known, fromImage)];
  for (const f of await walkDir(s.abs, view)) {
    if (f.st.isSymbolicLink()) {
      const target = secureJoin(s.root, path.relative(s.root, f.abs));
      const tst = await view.lstat(target).catch(() => undefined);
      if (tst && (tst.isFile() || tst.isDirectory())) all.push(await entryHash(s.root, target, tst, known, fromImage));
    } else if (f.st.isFile() || f.st.isDirectory()) all.push(await entryHash(s.root, f.abs, f.st, known, fromImage));
  }
  return `dir:${createHash('sha256').update(all.sort().join(',')).digest('hex')}`;
}

/** One entry to write into the image: a container path (no leading /) and where its bytes come from. */
export interface PlaceEntry {
  name: string;
  type: 'file' | 'directory' | 'symlink';
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
  abs?: string;
  size?: number;
  linkname?: string;
  data?: Buffer;
}

/** A tar of the entries, in order, for the container-root extractor. */
export function entriesTar(entries: PlaceEntry[]): Readable {
  const p = pack();
  void (async () => {
    try {
      for (const e of entries) {
        const header = { name: e.type === 'directory' ? `${e.name}/` : e.name, type: e.type, mode: e.mode, uid: e.uid, gid: e.gid, mtime: e.mtime, linkname: e.linkname };
        await new Promise<void>((resolve, reject) => {
          const done = (err?: Error | null) => (err ? reject(err) : resolve());
          if (e.type !== 'file') { p.entry(header, done); return; }
          if (e.data) { p.entry({ ...header, size: e.data.length }, e.data, done); return; }
          const sink = p.entry({ ...header, size: e.size }, done);
          const src = createReadStream(e.abs!);
          src.on('error', reject);
          src.pipe(sink as unknown as NodeJS.WritableStream);
        });
      }
      p.finalize();
    } catch (err) { p.destroy(err as Error); }
  })();
  return p as unknown as Readable;
}
