/**
 * The client half of `docker cp`, as the docker CLI does it: work out where the copy lands
 * from both sides' stat (Docker's CopyInfo rules: trailing `/.` copies a directory's
 * contents, an existing directory receives the source by its base name, a file may replace
 * a file but never a directory), then stream a tar to or from the archive endpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as tar from 'tar-stream';
import type { EngineClient } from './engine';
import { type PathStat, containerStatPath, copyFromContainer, copyToContainer } from './volumes';

const MODE_DIR = 2 ** 31;
const MODE_SYMLINK = 2 ** 27;
export const statIsDir = (s: PathStat) => Math.floor(s.mode / MODE_DIR) % 2 === 1;
export const statIsLink = (s: PathStat) => Math.floor(s.mode / MODE_SYMLINK) % 2 === 1;
const assertsDir = (p: string) => p.endsWith('/') || p.endsWith('/.');
const trailingDot = (p: string) => p.endsWith('/.') || p === '.';

export class CopyError extends Error {}

/** Bytes that went through, for "Successfully copied 1.2kB to ...". */
export interface CopyResult { bytes: number }

/** Counts what passes without switching the stream into flowing mode (nothing is lost before it is piped on). */
function counter(res: CopyResult): Transform {
  return new Transform({ transform(c: Buffer, _e, cb) { res.bytes += c.length; cb(null, c); } });
}

// ---- container -> local ----

function lstatOrUndef(p: string): fs.Stats | undefined {
  try { return fs.statSync(p); } catch { return undefined; }
}

/** berth cp CONTAINER:SRC DEST (DEST "-" writes the tar to `stdout`). */
export async function copyOut(c: EngineClient, container: string, src: string, dest: string, opts: { followLink?: boolean; archive?: boolean; stdout?: NodeJS.WritableStream }): Promise<CopyResult> {
  let srcPath = src;
  if (opts.followLink) {
    const st = await containerStatPath(c, container, src);
    if (statIsLink(st) && st.linkTarget) srcPath = st.linkTarget;
  }
  const { stat, stream } = await copyFromContainer(c, container, srcPath);
  const res: CopyResult = { bytes: 0 };
  if (dest === '-') {
    await pipeline(stream, counter(res), opts.stdout ?? process.stdout);
    return res;
  }
  const srcDir = statIsDir(stat);
  const dst = lstatOrUndef(dest);
  let target: string;
  if (!srcDir) {
    if (!dst && assertsDir(dest)) { stream.resume(); throw new CopyError(`destination "${dest}" must be a directory`); }
    target = dst?.isDirectory() ? path.join(dest, stat.name) : dest;
  } else {
    if (dst && !dst.isDirectory()) { stream.resume(); throw new CopyError(`cannot copy a directory to a file`); }
    target = dst && !trailingDot(srcPath) ? path.join(dest, stat.name) : dest;
  }
  if (!dst && !lstatOrUndef(path.dirname(path.resolve(target)))) {
    stream.resume();
    throw new CopyError(`invalid output path: directory "${path.dirname(path.resolve(target))}" does not exist`);
  }
  // Like the docker CLI (archive.CopyTo with NoLchown), files copied out belong to the user running cp, -a or not.
  await extractLocal(stream.pipe(counter(res)), stat.name, target, false);
  return res;
}

/** Extracts a tar whose root entry is `rootName` so that the root lands at `target`. */
async function extractLocal(stream: Readable, rootName: string, target: string, keepOwners: boolean): Promise<void> {
  const root = path.resolve(target);
  const ex = tar.extract();
  const dirTimes: [string, Date][] = [];
  const inside = (p: string) => {
    // Never write through a symlink the archive itself planted.
    const parent = fs.realpathSync(path.dirname(p));
    const realRoot = fs.existsSync(root) ? fs.realpathSync(root) : fs.realpathSync(path.dirname(root));
    return parent === realRoot || parent.startsWith(`${realRoot}/`) || p === root;
  };
  await new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, bodyRaw, next) => {
      const body = bodyRaw as unknown as Readable;
      body.on('error', () => undefined);
      const done = (e?: unknown) => { if (e) { body.resume(); ex.destroy(e as Error); } else next(); };
      const name = h.name.replace(/\/+$/, '');
      let rel: string;
      if (rootName === '/') rel = name.replace(/^\/+/, ''); // the container's root: entries are "/bin", "/etc/..."
      else if (name === rootName || name === '' || (rootName === '.' && name === '.')) rel = '';
      else if (name.startsWith(`${rootName}/`)) rel = name.slice(rootName.length + 1);
      else { body.resume(); next(); return; }
      const clean = path.posix.normalize(rel);
      if (clean.startsWith('..') || path.posix.isAbsolute(clean)) { done(new CopyError(`invalid tar entry: ${h.name}`)); return; }
      const out = clean === '.' || clean === '' ? root : path.join(root, clean);
      (async () => {
        if (out !== root && !inside(out)) throw new CopyError(`invalid tar entry: ${h.name} would land outside ${root}`);
        const existing = (() => { try { return fs.lstatSync(out); } catch { return undefined; } })();
        const mode = (h.mode ?? 0o644) & 0o7777;
        if (h.type === 'directory') {
          if (existing && !existing.isDirectory()) fs.unlinkSync(out);
          if (!existing || !existing.isDirectory()) fs.mkdirSync(out, { mode: 0o755 });
          fs.chmodSync(out, mode);
          dirTimes.push([out, h.mtime ?? new Date()]);
          body.resume();
        } else {
          if (existing?.isDirectory()) throw new CopyError(`cannot overwrite directory "${out}" with non-directory`);
          if (existing) fs.unlinkSync(out);
          if (h.type === 'symlink') { fs.symlinkSync(h.linkname ?? '', out); body.resume(); }
          else if (h.type === 'link') {
            const l = path.posix.normalize(h.linkname ?? '');
            const lrel = l === rootName ? '' : l.startsWith(`${rootName}/`) ? l.slice(rootName.length + 1) : null;
            if (lrel === null || lrel.startsWith('..')) throw new CopyError(`invalid hardlink: ${h.linkname}`);
            fs.linkSync(path.join(root, lrel), out);
            body.resume();
          } else if (h.type === 'file' || h.type === 'contiguous-file') {
            await pipeline(body, fs.createWriteStream(out, { flags: 'wx', mode: 0o600 }));
            fs.chmodSync(out, mode);
          } else { body.resume(); return; }
        }
        if (keepOwners) fs.lchownSync(out, h.uid ?? 0, h.gid ?? 0);
        if (h.type !== 'directory' && h.type !== 'symlink' && h.mtime) fs.utimesSync(out, h.mtime, h.mtime);
        if (h.type === 'directory' && keepOwners) fs.chmodSync(out, mode);
      })().then(() => done(), done);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
    stream.on('error', reject);
    stream.pipe(ex);
  });
  for (const [d, t] of dirTimes.reverse()) { try { fs.utimesSync(d, t, t); } catch { /* gone */ } }
}

// ---- local -> container ----

/** Packs a local file or tree; its root entry is named `rootName`. */
export function packLocal(src: string, rootName: string, followTop: boolean): Readable {
  const pack = tar.pack();
  const inodes = new Map<string, string>();
  const add = async (p: string, name: string, top: boolean): Promise<void> => {
    const st = top && followTop ? fs.statSync(p) : fs.lstatSync(p);
    const base = { name, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    const entry = (h: Record<string, unknown>, data?: Readable) => new Promise<void>((resolve, reject) => {
      const w = pack.entry(h as never, (e?: Error | null) => (e ? reject(e) : resolve())) as unknown as NodeJS.WritableStream;
      if (data) data.on('error', reject).pipe(w);
    });
    if (st.isDirectory()) {
      await entry({ ...base, name: name === '.' ? './' : `${name}/`, type: 'directory' });
      for (const child of fs.readdirSync(p).sort()) await add(path.join(p, child), name === '.' ? child : `${name}/${child}`, false);
    } else if (st.isSymbolicLink()) {
      await entry({ ...base, type: 'symlink', linkname: fs.readlinkSync(p) });
    } else if (st.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1 && inodes.has(key)) { await entry({ ...base, type: 'link', linkname: inodes.get(key), size: 0 }); return; }
      if (st.nlink > 1) inodes.set(key, name);
      await entry({ ...base, type: 'file', size: st.size }, fs.createReadStream(p));
    } else if (st.isFIFO()) {
      await entry({ ...base, type: 'fifo' });
    }
  };
  add(src, rootName, true).then(() => pack.finalize(), (e: Error) => pack.destroy(e));
  return pack as unknown as Readable;
}

/** berth cp SRC CONTAINER:DEST (SRC "-" reads a tar from `stdin`). */
export async function copyIn(c: EngineClient, src: string, container: string, dest: string, opts: { followLink?: boolean; archive?: boolean; stdin?: Readable }): Promise<CopyResult> {
  const res: CopyResult = { bytes: 0 };
  let dstPath = dest;
  let dst: PathStat | undefined;
  try { dst = await containerStatPath(c, container, dstPath); } catch (e) { if ((e as { statusCode?: number }).statusCode !== 404) throw e; }
  if (dst && statIsLink(dst) && dst.linkTarget) {
    dstPath = dst.linkTarget;
    try { dst = await containerStatPath(c, container, dstPath); } catch (e) { if ((e as { statusCode?: number }).statusCode !== 404) throw e; dst = undefined; }
  }
  if (src === '-') {
    if (!dst || !statIsDir(dst)) throw new CopyError(`destination "${container}:${dest}" must be a directory`);
    await copyToContainer(c, container, dstPath, (opts.stdin ?? process.stdin).pipe(counter(res)), { noOverwriteDirNonDir: true, copyUIDGID: opts.archive });
    return res;
  }
  let st: fs.Stats;
  try { st = opts.followLink ? fs.statSync(src) : fs.lstatSync(src); } catch { throw new CopyError(`lstat ${path.resolve(src)}: no such file or directory`); }
  const srcDir = st.isDirectory();
  let putDir: string;
  let rootName: string;
  if (dst && statIsDir(dst)) {
    putDir = dstPath;
    rootName = srcDir && trailingDot(src) ? '.' : path.basename(path.resolve(src));
  } else if (dst) {
    if (srcDir) throw new CopyError('cannot copy a directory to a file');
    putDir = path.posix.dirname(dstPath);
    rootName = path.posix.basename(dstPath);
  } else {
    if (assertsDir(dest) && !srcDir) throw new CopyError(`destination "${container}:${dest}" must be a directory`);
    putDir = path.posix.dirname(dstPath.replace(/\/+\.?$/, '') || '/');
    rootName = path.posix.basename(dstPath.replace(/\/+\.?$/, ''));
  }
  const body = packLocal(src, rootName, !!opts.followLink).pipe(counter(res));
  await copyToContainer(c, container, putDir, body, { noOverwriteDirNonDir: true, copyUIDGID: opts.archive });
  return res;
}
