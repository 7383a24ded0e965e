import { spawn } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import ignore from '@balena/dockerignore';
import { createHash } from 'node:crypto';
import { extract } from 'tar-stream';
import { invalidParameter, notFound } from '../errdefs';
import { secureJoin } from '../util/securejoin';
import { tarsumHeader } from './copy';
import { decompressStream, peek } from '../util/tar-decompress';

/**
 * The build context on the daemon's side: the request body (a tar, plain or compressed)
 * or a remote URL (a tar, or a plain Dockerfile), unpacked into a private temp dir, with
 * .dockerignore applied as dockerd applies it (the CLI already filtered; the daemon's pass
 * removes what the client kept, such as an ignored Dockerfile or .dockerignore).
 */
export interface BuildContext {
  dir: string;
  dockerfile: string;
  /** the Dockerfile's name as given (for messages) */
  dockerfileName: string;
  /** sha256 hex of each regular file of the tar, by path relative to dir */
  hashes: Map<string, string>;
  close(): Promise<void>;
}

/**
 * sha256 of each regular file's bytes, read from the tar as it streams by (beside the
 * extraction), so that COPY's checksum does not read the context a second time.
 */
function hashEntries(stream: Readable, hashes: Map<string, string>): Promise<void> {
  const ex = extract();
  const done = new Promise<void>((resolve) => {
    ex.on('entry', (h, body, next) => {
      const name = path.posix.normalize(`/${h.name}`).slice(1).replace(/\/$/, '');
      if (h.type !== 'file' && h.type !== 'contiguous-file') { hashes.delete(name); body.on('end', next); body.resume(); return; }
      // dockerd's per-file hash: the tarsum header as the extracted file will stat (GNU tar
      // keeps the mode; the daemon, root, owns every file) and then the bytes
      const hash = createHash('sha256').update(tarsumHeader(name, (h.mode ?? 0o644) & 0o7777, process.getuid?.() ?? 0, process.getgid?.() ?? 0, h.size ?? 0, '0'));
      body.on('data', (c: unknown) => hash.update(c as Buffer));
      body.on('end', () => { hashes.set(name, hash.digest('hex')); next(); });
    });
    ex.on('finish', resolve);
    // a malformed or cut tar leaves the map partial: lookups then fall back to reading files
    ex.on('error', () => { hashes.clear(); resolve(); });
  });
  stream.on('data', (c: Buffer) => ex.write(c));
  stream.on('end', () => (ex as unknown as NodeJS.WritableStream).end());
  return done;
}

function untar(stream: Readable, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner', '--delay-directory-restore'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { if (err.length < 4096) err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(invalidParameter(`failed to read the build context: ${err.trim() || `tar exited ${code}`}`))));
    stream.on('error', (e) => { child.kill(); reject(e); });
    child.stdin.on('error', () => undefined);
    // The docker CLI's context with a replaced Dockerfile (-f -) stops right after the last
    // file's bytes, without padding or end-of-archive blocks; Go's reader takes that, GNU
    // tar does not. Padding the end makes both kinds of archive whole (extra zero blocks
    // after a proper end are ignored).
    let total = 0;
    stream.on('data', (c: Buffer) => { total += c.length; if (!child.stdin.write(c)) stream.pause(); });
    child.stdin.on('drain', () => stream.resume());
    stream.on('end', () => child.stdin.end(Buffer.alloc((512 - (total % 512)) % 512 + 1024)));
  });
}

export async function openContext(tmpRoot: string, opts: { body?: Readable; remote?: string; dockerfile?: string }): Promise<BuildContext> {
  await fs.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(tmpRoot, 'ctx-'));
  const close = () => fs.rm(dir, { recursive: true, force: true });
  try {
    let src: Readable;
    if (opts.remote) {
      if (!/^https?:\/\//i.test(opts.remote)) throw invalidParameter(`unable to prepare context: unsupported remote context ${opts.remote} (only http(s) URLs of a tar or a Dockerfile are supported)`);
      const res = await fetch(opts.remote).catch((e: Error) => { throw invalidParameter(`unable to prepare context: ${e.message}`); });
      if (!res.ok || !res.body) throw invalidParameter(`unable to prepare context: error downloading remote context ${opts.remote}: ${res.status} ${res.statusText}`);
      src = Readable.fromWeb(res.body as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
    } else {
      src = opts.body ?? Readable.from([]);
    }
    const { stream } = await decompressStream(src);
    const { head, stream: all } = await peek(stream, 512);
    const isTar = head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
    let name = opts.dockerfile || 'Dockerfile';
    const hashes = new Map<string, string>();
    if (isTar) await Promise.all([untar(all, dir), hashEntries(all, hashes)]);
    else if (head.length > 0 && opts.remote) {
      // a remote plain-text Dockerfile: the context is just that file
      const chunks: Buffer[] = [];
      for await (const c of all) chunks.push(c as Buffer);
      name = 'Dockerfile';
      await fs.writeFile(path.join(dir, name), Buffer.concat(chunks));
    } else if (head.length > 0) {
      throw invalidParameter('unable to prepare context: the build context is not a tar archive');
    } else {
      all.resume();
    }
    const dockerfile = await readDockerfile(dir, name);
    await applyDockerignore(dir);
    return { dir, dockerfile, dockerfileName: name, close, hashes };
  } catch (e) {
    await close();
    throw e;
  }
}

async function readDockerfile(dir: string, name: string): Promise<string> {
  const rel = path.posix.normalize(name.replace(/\\/g, '/'));
  if (rel.startsWith('../') || rel === '..') throw invalidParameter(`the Dockerfile (${name}) must be within the build context`);
  const candidates = [rel];
  if (name === 'Dockerfile') candidates.push('dockerfile');
  for (const c of candidates) {
    try {
      const p = secureJoin(dir, c);
      const st = await fs.stat(p);
      if (st.isDirectory()) continue;
      return await fs.readFile(p, 'utf8');
    } catch { /* next */ }
  }
  throw notFound(`Cannot locate specified Dockerfile: ${name}`);
}

/** Reads .dockerignore (comments and blank lines skipped) and removes what it excludes. */
export async function applyDockerignore(dir: string): Promise<void> {
  let text: string;
  try { text = await fs.readFile(path.join(dir, '.dockerignore'), 'utf8'); } catch { return; }
  const patterns = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  if (!patterns.length) return;
  const ig = ignore().add(patterns);
  const walk = async (rel: string): Promise<boolean> => {
    // returns true when the directory at rel is left empty and itself ignored
    const abs = path.join(dir, rel);
    const names = await fs.readdir(abs);
    let kept = 0;
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const st = await fs.lstat(path.join(dir, r));
      if (st.isDirectory()) {
        if (await walk(r)) { await fs.rm(path.join(dir, r), { recursive: true, force: true }); continue; }
        kept++;
      } else if (ig.ignores(r)) {
        await fs.rm(path.join(dir, r), { force: true });
      } else kept++;
    }
    return rel !== '' && kept === 0 && ig.ignores(rel);
  };
  await walk('');
}
