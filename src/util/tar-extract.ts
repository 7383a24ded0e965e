import { createHash } from 'node:crypto';
import * as fsSync from 'node:fs';
import { createWriteStream, promises as fsp, type Stats } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import { invalidParameter } from '../errdefs';
import { PaxScanner } from './tar-pax';
import { chown, makeSpecialFiles, setOpaque, setXattrs, type SpecialFile, type Xattr } from './tar-special';

/**
 * Unpacks a layer tar into a directory that nobody else writes to (a temp dir that the
 * caller renames into place), converting Docker's whiteouts for overlayfs:
 *
 *   .wh.<name>     -> a character device 0/0 named <name> (overlay's whiteout)
 *   .wh..wh..opq   -> trusted.overlay.opaque=y on the directory
 *
 * Safety (this code reads tars from anyone): names are cleaned lexically and a `..` that
 * climbs above the root fails the whole extraction; absolute names are taken relative to
 * the root; symlinks met on the way to an entry are resolved as inside a chroot of the
 * root (so `a -> /etc` then `a/passwd` writes <root>/etc/passwd), never followed out;
 * the last component is never followed (existing entries are replaced, files are opened
 * with O_EXCL); hard links must name an existing non-directory inside the root.
 * Modes (with setuid/setgid/sticky), owners and mtimes are kept; devices and fifos are made.
 */
export interface ExtractResult {
  /** sha256 of the whole uncompressed tar stream: the layer's diffID */
  diffId: string;
  /** bytes of regular file content written */
  size: number;
}

/** The file-system calls extraction makes, as promises. */
export interface FsCalls {
  lstat(p: string): Promise<Stats>;
  mkdir(p: string, o: { mode: number }): Promise<unknown>;
  readlink(p: string): Promise<string>;
  rm(p: string, o: { recursive: boolean; force: boolean }): Promise<void>;
  chmod(p: string, mode: number): Promise<void>;
  lutimes(p: string, atime: Date, mtime: Date): Promise<void>;
  utimes(p: string, atime: Date, mtime: Date): Promise<void>;
  symlink(target: string, p: string): Promise<void>;
  link(existing: string, p: string): Promise<void>;
  lchown(p: string, uid: number, gid: number): Promise<void>;
}

/**
 * The same calls made synchronously (extractTar's `sync`), for a worker thread that has
 * nothing else to do: no round trip through libuv's thread pool per call (a layer of 300
 * symlinks makes 1200 calls), which under load costs more than the calls themselves.
 */
const syncCalls: FsCalls = {
  lstat: async (p) => fsSync.lstatSync(p),
  mkdir: async (p, o) => fsSync.mkdirSync(p, o),
  readlink: async (p) => fsSync.readlinkSync(p),
  rm: async (p, o) => fsSync.rmSync(p, o),
  chmod: async (p, m) => fsSync.chmodSync(p, m),
  lutimes: async (p, a, m) => fsSync.lutimesSync(p, a, m),
  utimes: async (p, a, m) => fsSync.utimesSync(p, a, m),
  symlink: async (t, p) => fsSync.symlinkSync(t, p),
  link: async (e, p) => fsSync.linkSync(e, p),
  lchown: async (p, u, g) => fsSync.lchownSync(p, u, g),
};

/** A new file (O_EXCL) written with write(2) on the calling thread; for syncCalls. */
class SyncFileWriter extends Writable {
  bytesWritten = 0;
  private fd: number | undefined;
  constructor(abs: string) {
    super({ highWaterMark: 1 << 20 });
    this.fd = fsSync.openSync(abs, 'wx', 0o600);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    try {
      let off = 0;
      while (off < chunk.length) off += fsSync.writeSync(this.fd!, chunk, off);
      this.bytesWritten += chunk.length;
      cb();
    } catch (e) { cb(e as Error); }
  }
  override _final(cb: (e?: Error | null) => void): void { this.closeFd(cb); }
  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void { this.closeFd(() => cb(e)); }
  private closeFd(cb: (e?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) { cb(); return; }
    try { fsSync.closeSync(fd); cb(); } catch (e) { cb(e as Error); }
  }
}

const WHITEOUT_PREFIX = '.wh.';
const WHITEOUT_META_PREFIX = '.wh..wh.';
const WHITEOUT_OPAQUE = '.wh..wh..opq';
const MAX_SYMLINKS = 40;

/** Lexically cleans a tar name into components below the root; throws on escape. */
export function cleanTarPath(name: string): string[] {
  const parts: string[] = [];
  for (const p of name.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') {
      if (parts.length === 0) throw invalidParameter(`invalid tar entry: ${JSON.stringify(name)} is outside of the layer`);
      parts.pop();
    } else parts.push(p);
  }
  return parts;
}

const isENOENT = (e: unknown) => (e as NodeJS.ErrnoException).code === 'ENOENT';

/**
 * Resolves directory components under root as if root were `/`: symlinks are followed but
 * clamped to the root. With `create`, missing directories are made (mode 0755).
 */
export async function resolveDirInRoot(root: string, parts: string[], create: boolean, known?: Set<string>, fs: FsCalls = fsp): Promise<string> {
  let resolved: string[] = [];
  const queue = [...parts];
  let links = 0;
  while (queue.length) {
    const p = queue.shift() as string;
    if (p === '' || p === '.') continue;
    if (p === '..') { resolved.pop(); continue; }
    const cur = path.join(root, ...resolved, p);
    if (known?.has(cur)) { resolved.push(p); continue; }
    let st;
    try { st = await fs.lstat(cur); } catch (e) {
      if (!isENOENT(e) || !create) throw e;
      await fs.mkdir(cur, { mode: 0o755 });
      known?.add(cur);
      resolved.push(p);
      continue;
    }
    if (st.isSymbolicLink()) {
      if (++links > MAX_SYMLINKS) throw invalidParameter(`invalid tar entry: too many levels of symbolic links at ${p}`);
      const target = await fs.readlink(cur);
      if (target.startsWith('/')) resolved = [];
      queue.unshift(...target.split('/'));
      continue;
    }
    if (!st.isDirectory()) throw invalidParameter(`invalid tar entry: ${path.join(...resolved, p)} is not a directory`);
    known?.add(cur);
    resolved.push(p);
  }
  return path.join(root, ...resolved);
}

/** Checks that every component from root to `abs` is a real directory (no symlinks). */
async function assertNoSymlinkPath(root: string, absDir: string, fs: FsCalls): Promise<void> {
  const rel = path.relative(root, absDir);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw invalidParameter(`invalid tar entry: ${absDir} is outside of the layer`);
  let cur = root;
  for (const p of rel.split('/').filter(Boolean)) {
    cur = path.join(cur, p);
    const st = await fs.lstat(cur);
    if (!st.isDirectory()) throw invalidParameter(`invalid tar entry: ${rel} changed during extraction`);
  }
}

interface DirMeta { abs: string; mode: number; mtime: Date }

type Header = tar.Header;

export async function extractTar(src: Readable, root: string, opts: { whiteouts?: 'overlay' | 'keep'; /** synchronous fs calls (see syncCalls) */ sync?: boolean } = {}): Promise<ExtractResult> {
  const whiteouts = opts.whiteouts ?? 'overlay';
  const fs: FsCalls = opts.sync ? syncCalls : fsp;
  const newFile = (abs: string) => (opts.sync ? new SyncFileWriter(abs) : createWriteStream(abs, { flags: 'wx', mode: 0o600, highWaterMark: 1 << 20 }));
  const hash = createHash('sha256');
  let size = 0;
  const dirs = new Map<string, DirMeta>();
  const pendingSpecial = new Map<string, SpecialFile>();
  const opaque = new Set<string>();
  const pax = new PaxScanner();
  const xattrs: Xattr[] = [];
  /** trusted.* (overlay's own metadata among them) never comes from a layer. */
  const keepXattr = (name: string) => /^[A-Za-z0-9._-]+$/.test(name)
    && (name.startsWith('security.') || name.startsWith('user.') || name.startsWith('system.posix_acl_'));

  const flushSpecial = async () => {
    if (pendingSpecial.size === 0) return;
    const list = [...pendingSpecial.values()];
    pendingSpecial.clear();
    for (const s of list) await assertNoSymlinkPath(root, path.dirname(s.abs), fs);
    await makeSpecialFiles(list);
  };
  /** A later entry at (or under) a pending device replaces it, as it would on disk. */
  const dropPendingAt = (abs: string) => {
    for (const k of pendingSpecial.keys()) if (k === abs || abs.startsWith(k + '/')) pendingSpecial.delete(k);
  };

  // Directories verified to be real (not symlinks) since this extraction began: saves an
  // lstat per path component per entry. Only this extraction writes here, and every
  // replacement goes through removeExisting, which forgets the path and all below it.
  const realDirs = new Set<string>([root]);
  const removeExisting = async (abs: string, keepDir: boolean): Promise<void> => {
    let st;
    try { st = await fs.lstat(abs); } catch (e) { if (isENOENT(e)) return; throw e; }
    if (keepDir && st.isDirectory()) return;
    if (st.isDirectory()) for (const d of realDirs) if (d === abs || d.startsWith(abs + '/')) realDirs.delete(d);
    await fs.rm(abs, { recursive: true, force: true });
  };

  const applyMeta = async (abs: string, h: Header, isLink = false) => {
    await chown(abs, h.uid ?? 0, h.gid ?? 0, fs.lchown);
    if (!isLink) await fs.chmod(abs, (h.mode ?? 0o644) & 0o7777);
    const mt = h.mtime ?? new Date(0);
    await fs.lutimes(abs, mt, mt);
  };

  const handle = async (h: Header, stream: Readable): Promise<void> => {
    const records = pax.next();
    const parts = cleanTarPath(h.name);
    const noteXattrs = (abs: string) => {
      for (const [k, v] of records ?? []) {
        if (k.startsWith('SCHILY.xattr.') && keepXattr(k.slice(13))) xattrs.push({ abs, name: k.slice(13), value: v });
      }
    };
    const base = parts.length ? parts[parts.length - 1] : '';
    if (parts.length === 0) {
      // the root entry (`./`): its metadata belongs to the layer root
      if (h.type === 'directory') {
        await chown(root, h.uid ?? 0, h.gid ?? 0, fs.lchown);
        dirs.delete(root);
        dirs.set(root, { abs: root, mode: (h.mode ?? 0o755) & 0o7777, mtime: h.mtime ?? new Date(0) });
      }
      return;
    }
    const parent = await resolveDirInRoot(root, parts.slice(0, -1), true, realDirs, fs);

    if (whiteouts === 'overlay' && base.startsWith(WHITEOUT_PREFIX)) {
      if (base === WHITEOUT_OPAQUE) { opaque.add(parent); return; }
      if (base.startsWith(WHITEOUT_META_PREFIX)) return; // aufs hard link dirs and friends: not content
      const name = base.slice(WHITEOUT_PREFIX.length);
      const abs = path.join(parent, name);
      dropPendingAt(abs);
      await removeExisting(abs, false);
      pendingSpecial.set(abs, { abs, kind: 'c', major: 0, minor: 0, mode: 0o000, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ?? new Date(0) });
      return;
    }

    const abs = path.join(parent, base);
    dropPendingAt(abs);
    const mode = (h.mode ?? 0) & 0o7777;
    switch (h.type) {
      case 'directory': {
        await removeExisting(abs, true);
        await fs.mkdir(abs, { mode: 0o700 }).catch((e) => { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; });
        await chown(abs, h.uid ?? 0, h.gid ?? 0, fs.lchown);
        noteXattrs(abs);
        dirs.delete(abs);
        dirs.set(abs, { abs, mode, mtime: h.mtime ?? new Date(0) });
        return;
      }
      case 'file':
      case 'contiguous-file': {
        await removeExisting(abs, false);
        const out = newFile(abs);
        await pipeline(stream, out);
        size += out.bytesWritten;
        await applyMeta(abs, h);
        noteXattrs(abs);
        return;
      }
      case 'symlink': {
        await removeExisting(abs, false);
        await fs.symlink(h.linkname ?? '', abs);
        await applyMeta(abs, h, true);
        return;
      }
      case 'link': {
        const lparts = cleanTarPath(h.linkname ?? '');
        if (lparts.length === 0) throw invalidParameter(`invalid hardlink ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)}`);
        const ldir = await resolveDirInRoot(root, lparts.slice(0, -1), false, realDirs, fs).catch(() => {
          throw invalidParameter(`invalid hardlink ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)}: target not in layer`);
        });
        const target = path.join(ldir, lparts[lparts.length - 1]);
        if (pendingSpecial.has(target)) await flushSpecial();
        const st = await fs.lstat(target).catch(() => null);
        if (!st || st.isDirectory()) {
          throw invalidParameter(`invalid hardlink ${JSON.stringify(h.name)} -> ${JSON.stringify(h.linkname)}: target not in layer`);
        }
        if (target === abs) return;
        await removeExisting(abs, false);
        await fs.link(target, abs);
        return;
      }
      case 'character-device':
      case 'block-device':
      case 'fifo': {
        await removeExisting(abs, false);
        const kind = h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c';
        pendingSpecial.set(abs, { abs, kind, major: h.devmajor ?? 0, minor: h.devminor ?? 0, mode, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ?? new Date(0) });
        noteXattrs(abs);
        return;
      }
      default:
        // pax and GNU long-name headers are consumed by tar-stream; anything else is skipped as Docker does
        return;
    }
  };

  const extract = tar.extract();
  const hashing = new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); pax.push(c); cb(null, c); } });
  const done = (async () => {
    for await (const entry of extract) {
      try {
        await handle(entry.header, entry as unknown as Readable);
      } finally {
        entry.resume();
      }
    }
  })();
  // The whole stream is hashed, trailing padding included, as Docker's diffID covers it.
  await Promise.all([pipeline(src, hashing, extract), done]);

  await flushSpecial();
  for (const d of opaque) await assertNoSymlinkPath(root, d, fs);
  await setOpaque([...opaque]);
  const live = [];
  for (const x of xattrs) {
    // a later entry may have replaced the file; attributes belong to what is there now
    if (!(await fs.lstat(x.abs).catch(() => null))) continue;
    await assertNoSymlinkPath(root, path.dirname(x.abs), fs);
    live.push(x);
  }
  await setXattrs(live);
  // Directory modes and mtimes last: writing into a directory changes its mtime.
  for (const d of [...dirs.values()].reverse()) {
    const st = await fs.lstat(d.abs).catch(() => null);
    if (!st?.isDirectory()) continue;
    await fs.chmod(d.abs, d.mode);
    await fs.utimes(d.abs, d.mtime, d.mtime);
  }
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}
