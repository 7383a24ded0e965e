/**
 * The build context as the docker CLI sends it: a directory packed into a tar with
 * .dockerignore applied (the Dockerfile and .dockerignore always go), a Dockerfile given
 * with -f - or from outside the directory added as `.dockerfile.<random>`, a tar read from
 * stdin as is, or a bare Dockerfile on stdin wrapped into a one-file tar.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs, createReadStream } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import ignore from '@balena/dockerignore';
import { pack } from 'tar-stream';
import { StatusError } from '../../command';

export interface PackedContext { tar: Buffer; dockerfile?: string }

async function readAllStream(s: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c as Buffer));
  return Buffer.concat(chunks);
}

const isTar = (b: Buffer) => b.length >= 262 && b.subarray(257, 262).toString('latin1') === 'ustar';
const isCompressed = (b: Buffer) => (b[0] === 0x1f && b[1] === 0x8b) || b.subarray(0, 3).toString('latin1') === 'BZh' || (b[0] === 0xfd && b.subarray(1, 5).toString('latin1') === '7zXZ');

/** Packs entries (name, file path or data) into one tar held in memory. */
async function tarOf(entries: { name: string; abs?: string; data?: Buffer; mode: number; mtime: Date; type: 'file' | 'directory' | 'symlink'; linkname?: string; size?: number }[]): Promise<Buffer> {
  const p = pack();
  const out = readAllStream(p as unknown as Readable);
  for (const e of entries) {
    await new Promise<void>((resolve, reject) => {
      const header = { name: e.name, mode: e.mode, mtime: e.mtime, type: e.type, linkname: e.linkname, uid: 0, gid: 0 };
      const done = (err?: Error | null) => (err ? reject(err) : resolve());
      if (e.type !== 'file') { p.entry(header, done); return; }
      if (e.data) { p.entry({ ...header, size: e.data.length }, e.data, done); return; }
      const sink = p.entry({ ...header, size: e.size }, done);
      createReadStream(e.abs!).on('error', reject).pipe(sink as unknown as NodeJS.WritableStream);
    });
  }
  p.finalize();
  return out;
}

export async function contextFromStdin(stdin: Readable, dockerfileFlag: string): Promise<PackedContext> {
  const data = await readAllStream(stdin);
  if (isTar(data) || isCompressed(data)) return { tar: data, dockerfile: dockerfileFlag || undefined };
  // a Dockerfile alone: the context is just that file
  return { tar: await tarOf([{ name: 'Dockerfile', data, mode: 0o600, mtime: new Date(), type: 'file' }]), dockerfile: 'Dockerfile' };
}

export async function contextFromDir(dir: string, dockerfileFlag: string, stdin: Readable): Promise<PackedContext> {
  const st = await fs.stat(dir).catch(() => null);
  if (!st) throw new StatusError(1, `unable to prepare context: path "${dir}" not found`);
  if (!st.isDirectory()) throw new StatusError(1, `unable to prepare context: context must be a directory: ${dir}`);
  let dockerfileData: Buffer | undefined;
  let dockerfileName = dockerfileFlag || 'Dockerfile';
  if (dockerfileFlag === '-') {
    dockerfileData = await readAllStream(stdin);
  } else {
    const abs = path.resolve(dockerfileFlag ? dockerfileFlag : path.join(dir, 'Dockerfile'));
    const rel = path.relative(path.resolve(dir), abs);
    const exists = await fs.stat(abs).then((s) => s.isFile(), () => false);
    if (!exists) throw new StatusError(1, `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${abs}: no such file or directory`);
    if (rel.startsWith('..') || path.isAbsolute(rel)) dockerfileData = await fs.readFile(abs);
    else dockerfileName = rel.split(path.sep).join('/');
  }
  let patterns: string[] = [];
  try {
    patterns = (await fs.readFile(path.join(dir, '.dockerignore'), 'utf8')).split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  } catch { /* none */ }
  const ig = ignore().add(patterns);
  const keep = new Set([dockerfileName, '.dockerignore']);
  const entries: Parameters<typeof tarOf>[0] = [];
  const walk = async (rel: string): Promise<void> => {
    for (const n of (await fs.readdir(path.join(dir, rel))).sort()) {
      const r = rel ? `${rel}/${n}` : n;
      const abs = path.join(dir, r);
      const s = await fs.lstat(abs);
      const ignored = patterns.length > 0 && ig.ignores(r) && !keep.has(r);
      if (s.isDirectory()) {
        if (!ignored) entries.push({ name: `${r}/`, mode: s.mode & 0o7777, mtime: s.mtime, type: 'directory' });
        await walk(r);
      } else if (ignored) continue;
      else if (s.isSymbolicLink()) entries.push({ name: r, mode: s.mode & 0o7777, mtime: s.mtime, type: 'symlink', linkname: await fs.readlink(abs) });
      else if (s.isFile()) entries.push({ name: r, abs, size: s.size, mode: s.mode & 0o7777, mtime: s.mtime, type: 'file' });
    }
  };
  await walk('');
  let dockerfile: string | undefined = dockerfileFlag ? dockerfileName : undefined;
  if (dockerfileData) {
    dockerfile = `.dockerfile.${randomBytes(10).toString('hex')}`;
    entries.push({ name: dockerfile, data: dockerfileData, mode: 0o600, mtime: new Date(), type: 'file' });
  }
  return { tar: await tarOf(entries), dockerfile };
}

/** go-units HumanSize: decimal units, 4 significant digits. */
export function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  while (n >= 1000 && i < units.length - 1) { n /= 1000; i++; }
  return `${Number(n.toPrecision(4))}${units[i]}`;
}
