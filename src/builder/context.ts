import { createReadStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import ignore from '@balena/dockerignore';
import { invalidParameter, notFound, system } from '../errdefs';
import { secureJoin } from '../util/securejoin';
import { type FsView, realFs } from './copy';
import type { ContextIn, ContextJob, ContextList, ContextOut } from './context-worker';
import { type HeldJob, WorkerPool, feedWorker } from '../util/worker-feed';
import { IndexView } from './context-view';
import type { ContextFiles } from './run-state';
import { decompressStream, detectCompression, peek } from '../util/tar-decompress';
import { spawnChild } from '../util/spawn';

/**
 * The build context on the daemon's side: the request body (a tar, plain or compressed)
 * or a remote URL (a tar, or a plain Dockerfile), with .dockerignore applied as dockerd
 * applies it (the CLI already filtered; the daemon's pass removes what the client kept,
 * such as an ignored Dockerfile or .dockerignore).
 *
 * The tar is read once as it arrives, by a worker thread (context-worker.ts, reading with
 * context-tar.ts: entries, per-file hashes, the Dockerfile's bytes), and kept there, in
 * memory or as one temp file; its files are written out
 * into a private temp dir only when a step needs them (a COPY/ADD that misses the cache, a RUN bind mount), so
 * a build whose steps all hit the cache costs a hash of the stream. A --no-cache build, or
 * a tar the entry list cannot stand for (links, special files, odd names), is extracted at
 * once as it streams.
 */
export interface BuildContext extends ContextFiles {
  dockerfile: string;
  /** the Dockerfile's name as given (for messages) */
  dockerfileName: string;
  close(): Promise<void>;
}

function untar(stream: Readable, dir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnChild('tar', ['-x', '-f', '-', '-C', dir, '--no-same-owner', '--delay-directory-restore'], { stdio: ['pipe', 'ignore', 'pipe'] });
    const stdin = child.stdin!;
    let err = '';
    child.stderr!.on('data', (d: Buffer) => { if (err.length < 4096) err += d.toString(); });
    child.on('error', reject);
    child.on('close', (code: number | null) => (code === 0 ? resolve() : reject(invalidParameter(`failed to read the build context: ${err.trim() || `tar exited ${code}`}`))));
    stream.on('error', (e) => { child.kill(); reject(e); });
    stdin.on('error', () => undefined);
    // The docker CLI's context with a replaced Dockerfile (-f -) stops right after the last
    // file's bytes, without padding or end-of-archive blocks; Go's reader takes that, GNU
    // tar does not. Padding the end makes both kinds of archive whole (extra zero blocks
    // after a proper end are ignored).
    let total = 0;
    stream.on('data', (c: Buffer) => { total += c.length; if (!stdin.write(c)) stream.pause(); });
    stdin.on('drain', () => stream.resume());
    stream.on('end', () => stdin.end(Buffer.alloc((512 - (total % 512)) % 512 + 1024)));
  });
}

/**
 * The tar's bytes while the build may need its files, kept by a worker thread
 * (context-worker.ts) that also reads the list and the hashes as the bytes arrive: in memory
 * up to a budget (128 MiB for one context, 256 MiB for all builds at once, reserved when a
 * build starts), in one temp file beyond it.
 */
const MEMORY_ONE = 128 << 20;
const MEMORY_ALL = 256 << 20;
let reserved = 0;
const pool = new WorkerPool(path.join(__dirname, 'context-worker.js'));

class KeptTar {
  private spilled?: Promise<void>;

  constructor(private readonly held: HeldJob, private readonly file: string, private budget: number) {}

  /** The whole tar, from its file (written out by the worker on the first call). */
  async read(): Promise<Readable> {
    this.spilled ??= new Promise<void>((resolve, reject) => {
      const { worker: w, id } = this.held;
      const done = (err?: Error) => {
        w.off('message', onMessage); w.off('error', done); w.off('exit', onExit);
        if (err) reject(err); else resolve();
      };
      const onMessage = (m: ContextOut) => {
        if (m.id !== id) return;
        if ('spilled' in m) done();
        else if ('error' in m) done(system(`build context: ${m.error.message}`));
      };
      const onExit = (code: number) => done(system(`build context: worker exited with code ${code}`));
      w.on('message', onMessage); w.on('error', done); w.on('exit', onExit);
      w.postMessage({ id, spill: true } satisfies ContextIn);
    });
    await this.spilled;
    return createReadStream(this.file);
  }

  release(): void {
    this.held.release();
    reserved -= this.budget;
    this.budget = 0;
  }
}

const dockerfileCandidates = (name: string): string[] => {
  const rel = path.posix.normalize(name.replace(/\\/g, '/'));
  return name === 'Dockerfile' ? [rel, 'dockerfile'] : [rel];
};
/** A candidate as the entry list names it (where secureJoin puts it below the context). */
const entryName = (c: string): string => path.posix.normalize(`/${c}`).slice(1);

export async function openContext(tmpRoot: string, opts: { body?: Readable; remote?: string; dockerfile?: string; eager?: boolean; log?: (m: string) => void; memoryLimit?: number }): Promise<BuildContext> {
  await fs.mkdir(tmpRoot, { recursive: true, mode: 0o700 });
  const dir = await fs.mkdtemp(path.join(tmpRoot, 'ctx-'));
  const tarFile = `${dir}.tar`;
  let kept: KeptTar | undefined;
  // the files are on disk from the start (--no-cache, a tar the list cannot stand for, no
  // tar) or once a step asked for them (materialize)
  let written: Promise<void> | undefined = Promise.resolve();
  const close = async () => {
    await written?.catch(() => undefined); // a GNU tar still writing would leave files behind the rm
    kept?.release();
    await Promise.all([fs.rm(dir, { recursive: true, force: true }), fs.rm(tarFile, { force: true })]);
  };
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
    // the first bytes (put back in front of the body, which is then read by its consumers directly)
    let { head: first, stream: all } = await peek(src, 512);
    if (detectCompression(first) !== 'none') ({ head: first, stream: all } = await peek((await decompressStream(all)).stream, 512));
    const isTar = first.length >= 262 && first.subarray(257, 262).toString('latin1') === 'ustar';
    let name = opts.dockerfile || 'Dockerfile';
    const wanted = [...dockerfileCandidates(name).map(entryName), '.dockerignore'];
    let ix: ContextList | undefined;
    if (isTar && opts.eager) {
      // GNU tar writes the files while the worker reads the list and the hashes (from copies)
      const [, listed] = await Promise.all([
        untar(all, dir),
        feedWorker<ContextJob, ContextList>(pool, { wanted, keep: false, limit: 0, file: '' }, all, { what: 'the build context', copy: true }),
      ]);
      ix = listed.result!;
    } else if (isTar) {
      const budget = Math.max(0, Math.min(opts.memoryLimit ?? MEMORY_ONE, MEMORY_ALL - reserved));
      reserved += budget;
      const job = await feedWorker<ContextJob, ContextList>(pool, { wanted, keep: true, limit: budget, file: tarFile }, all, { what: 'the build context', hold: true })
        .catch((e) => { reserved -= budget; throw e; });
      kept = new KeptTar(job.held, tarFile, budget);
      ix = job.result!;
      if (ix.problem) {
        opts.log?.(`build context: extracted at once (${ix.problem})`);
        await untar(await kept.read(), dir);
        kept.release();
        await fs.rm(tarFile, { force: true });
      } else written = undefined;
    } else if (first.length > 0 && opts.remote) {
      // a remote plain-text Dockerfile: the context is just that file
      const chunks: Buffer[] = [];
      for await (const c of all) chunks.push(c as Buffer);
      name = 'Dockerfile';
      await fs.writeFile(path.join(dir, name), Buffer.concat(chunks));
    } else if (first.length > 0) {
      throw invalidParameter('unable to prepare context: the build context is not a tar archive');
    } else {
      all.resume();
    }
    // the entry list serves lookups and checksums even when the files are on disk too (no stat per file)
    const view = ix && !ix.problem ? new IndexView(dir, ix.entries) : undefined;
    let dockerfile: string;
    if (view) {
      const read = async (p: string) => {
        const data = ix!.captured.get(path.relative(dir, p));
        if (!data) throw notFound(`no bytes kept for ${p}`);
        return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('utf8');
      };
      dockerfile = await readDockerfile(dir, name, view, read);
      const ignore = await dockerignore(view, read, dir);
      if (ignore) await pruneIgnored(ignore, { list: (rel) => listOf(view, dir, rel), remove: async (rel) => view.remove(rel) });
    } else dockerfile = await readDockerfile(dir, name);
    if (written) await applyDockerignore(dir);
    const materialize = () => {
      written ??= kept!.read().then((tar) => untar(tar, dir)).then(() => applyDockerignore(dir))
        .finally(() => { kept?.release(); return fs.rm(tarFile, { force: true }); });
      return written;
    };
    return { dir, dockerfile, dockerfileName: name, close, hashes: ix?.hashes ?? new Map<string, string>(), view, materialize };
  } catch (e) {
    await close();
    throw e;
  }
}

const listOf = async (v: FsView, root: string, rel: string) => {
  const abs = path.join(root, rel);
  const out: { name: string; isDir: boolean }[] = [];
  for (const n of await v.readdir(abs)) out.push({ name: n, isDir: (await v.lstat(path.join(abs, n))).isDirectory() });
  return out;
};

async function readDockerfile(dir: string, name: string, view = realFs, read = (p: string) => fs.readFile(p, 'utf8')): Promise<string> {
  const candidates = dockerfileCandidates(name);
  if (candidates[0].startsWith('../') || candidates[0] === '..') throw invalidParameter(`the Dockerfile (${name}) must be within the build context`);
  for (const c of candidates) {
    try {
      const p = secureJoin(dir, c);
      const st = await view.stat(p);
      if (st.isDirectory()) continue;
      return await read(p);
    } catch { /* next */ }
  }
  throw notFound(`Cannot locate specified Dockerfile: ${name}`);
}

/** The .dockerignore matcher of a context (comments and blank lines skipped), if it has patterns. */
async function dockerignore(view: FsView, read: (p: string) => Promise<string>, dir: string): Promise<ReturnType<typeof ignore> | undefined> {
  let text: string;
  try {
    const p = path.join(dir, '.dockerignore');
    if (!(await view.stat(p)).isFile()) return undefined;
    text = await read(p);
  } catch { return undefined; }
  const patterns = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  return patterns.length ? ignore().add(patterns) : undefined;
}

interface Tree { list(rel: string): Promise<{ name: string; isDir: boolean }[]>; remove(rel: string): Promise<void> }

/** Removes what the matcher excludes; a directory goes when nothing below it is kept and it is itself excluded. */
async function pruneIgnored(ig: ReturnType<typeof ignore>, tree: Tree): Promise<void> {
  const walk = async (rel: string): Promise<boolean> => {
    // returns true when the directory at rel is left empty and itself ignored
    let kept = 0;
    for (const { name, isDir } of await tree.list(rel)) {
      const r = rel ? `${rel}/${name}` : name;
      if (isDir) {
        if (await walk(r)) { await tree.remove(r); continue; }
        kept++;
      } else if (ig.ignores(r)) {
        await tree.remove(r);
      } else kept++;
    }
    return rel !== '' && kept === 0 && ig.ignores(rel);
  };
  await walk('');
}

/** Reads .dockerignore and removes what it excludes from an extracted context. */
export async function applyDockerignore(dir: string): Promise<void> {
  const ig = await dockerignore(realFs, (p) => fs.readFile(p, 'utf8'), dir);
  if (ig) await pruneIgnored(ig, { list: (rel) => listOf(realFs, dir, rel), remove: (rel) => fs.rm(path.join(dir, rel), { recursive: true, force: true }) });
}
