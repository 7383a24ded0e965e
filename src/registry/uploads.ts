/**
 * Upload sessions: POST opens one, PATCH appends chunks, PUT ?digest= closes it. The bytes
 * are hashed as they arrive; the blob becomes visible only when the PUT's digest matches
 * (ContentStore.adopt: fsync, rename). A chunk that fails midway (client gone, short body)
 * is cut off again, so the session stays at its last good offset.
 *
 * Sessions survive a restart. Each is two files under <root>/uploads/:
 *   <id>        the bytes received so far (may be longer than `offset` after a crash mid-chunk)
 *   <id>.json   {repo, offset, started, touched}, replaced (temp, rename) after each chunk
 * POST makes the data file, then the state file; at start-up every state file is loaded,
 * and a session whose data is missing or shorter than its offset (or whose state is
 * unreadable) is dropped, as are data files without state. The hash is not stored: the
 * first request after a restart cuts the data back to `offset` and hashes it again, so the
 * PUT's digest check is as exact as without a restart. On PUT the data file is moved into
 * the content store's ingest dir and committed from there; nothing under uploads/ is ever
 * visible as a blob. While a chunk streams in, the bytes written so far are flushed to disk
 * in the background (fdatasync every FLUSH_EVERY bytes), so the commit's fsync has little
 * left to do.
 *
 * A monolithic POST ?digest= has a session too, but only in memory, with its temp file in
 * ingest/ (which start-up empties): it lives for one request.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, promises as fs } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import * as path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TEMP_PREFIX } from '../util/atomic';
import { isValidName, regError } from './errors';
import type { RegistryStorage } from './storage';

export interface Upload {
  id: string; repo: string;
  /** The state file under uploads/ (kept across restarts); none for a one-request upload. */
  stateFile?: string;
  file: string; offset: number;
  /** sha256 of data[0, offset); undefined after a restart until the data is hashed again. */
  hash?: Hash;
  started: Date; touched: number; busy: boolean;
}

interface SessionState { repo: string; offset: number; started: string; touched: number }

/** A session nobody has written to for this long is cancelled (its files removed). */
export const UPLOAD_IDLE_MS = 60 * 60 * 1000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Bytes between background flushes of an upload's data while it streams in. */
const FLUSH_EVERY = 16 << 20;

const stateOf = (u: Upload) => JSON.stringify({ repo: u.repo, offset: u.offset, started: u.started.toISOString(), touched: u.touched } satisfies SessionState);

/** Replaces the session's state file: temp + rename, no fsync (the PUT's digest check is the integrity guard). */
async function writeState(u: Upload & { stateFile: string }): Promise<void> {
  const tmp = path.join(path.dirname(u.stateFile), `${TEMP_PREFIX}${path.basename(u.stateFile)}`);
  await fs.writeFile(tmp, stateOf(u), { mode: 0o600 });
  await fs.rename(tmp, u.stateFile);
}

/**
 * A file sink for a request body: hashes each batch of chunks and writes it with one writev
 * at the given offset (no stream stage per chunk between the socket and the file); every
 * FLUSH_EVERY bytes it starts an fdatasync that runs while more bytes arrive (awaited
 * before the stream finishes).
 */
class FileSink extends Writable {
  written = 0;
  private fh?: FileHandle;
  private pos: number;
  private unflushed = 0;
  private flushing: Promise<unknown> = Promise.resolve();
  constructor(private readonly file: string, start: number, readonly hash: Hash) {
    super({ highWaterMark: 1 << 20 });
    this.pos = start;
  }
  override _construct(cb: (e?: Error | null) => void): void {
    fs.open(this.file, 'r+').then((fh) => { this.fh = fh; cb(); }, cb);
  }
  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    for (const b of bufs) this.hash.update(b);
    this.writeAll(bufs).then(() => cb(), cb);
  }
  private async writeAll(bufs: Buffer[]): Promise<void> {
    const fh = this.fh as FileHandle;
    let n = 0;
    for (const b of bufs) n += b.length;
    let done = 0;
    while (done < n) {
      const { bytesWritten } = await fh.writev(done === 0 ? bufs : remaining(bufs, done), this.pos + done);
      done += bytesWritten;
    }
    this.pos += n;
    this.written += n;
    this.unflushed += n;
    if (this.unflushed >= FLUSH_EVERY) {
      this.unflushed = 0;
      const prev = this.flushing;
      this.flushing = prev.then(() => fh.datasync()).catch(() => undefined);
    }
  }
  override _final(cb: (e?: Error | null) => void): void { this.flushing.then(() => cb(), cb); }
  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    const fh = this.fh;
    this.fh = undefined;
    if (!fh) { cb(err); return; }
    this.flushing.then(() => fh.close()).then(() => cb(err), (e: Error) => cb(err ?? e));
  }
}

/** The buffers after the first `skip` bytes (a short writev). */
function remaining(bufs: Buffer[], skip: number): Buffer[] {
  const out: Buffer[] = [];
  for (const b of bufs) {
    if (skip >= b.length) { skip -= b.length; continue; }
    out.push(skip ? b.subarray(skip) : b);
    skip = 0;
  }
  return out;
}

export class Uploads {
  private readonly sessions = new Map<string, Upload>();
  readonly dir: string;
  constructor(private readonly store: RegistryStorage) {
    this.dir = path.join(store.root, 'uploads');
  }

  get count(): number { return this.sessions.size; }

  /** Loads the sessions a previous run left; drops half-made and inconsistent ones. Call once, after the store's init. */
  async init(): Promise<number> {
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    const names = await fs.readdir(this.dir);
    for (const n of names) {
      const id = n.endsWith('.json') ? n.slice(0, -5) : '';
      const u = UUID_RE.test(id) ? await this.load(id) : undefined;
      if (u) this.sessions.set(id, u);
    }
    for (const n of names) if (!this.sessions.has(n.replace(/\.json$/, ''))) await fs.rm(path.join(this.dir, n), { recursive: true, force: true });
    return this.sessions.size;
  }

  private async load(id: string): Promise<Upload | undefined> {
    try {
      const stateFile = path.join(this.dir, `${id}.json`);
      const s = JSON.parse(await fs.readFile(stateFile, 'utf8')) as SessionState;
      const file = path.join(this.dir, id);
      if (!isValidName(s.repo) || !Number.isSafeInteger(s.offset) || s.offset < 0 || (await fs.stat(file)).size < s.offset) return undefined;
      return { id, repo: s.repo, stateFile, file, offset: s.offset, started: new Date(s.started), touched: s.touched, busy: false };
    } catch { return undefined; }
  }

  /** Cancels sessions idle for longer than `idleMs`; returns how many. */
  async expire(idleMs = UPLOAD_IDLE_MS, now = Date.now()): Promise<number> {
    let n = 0;
    for (const u of [...this.sessions.values()]) {
      if (!u.busy && now - u.touched > idleMs) { await this.cancel(u); n++; }
    }
    return n;
  }

  /** Opens a session; `persist: false` for one that ends in the same request (monolithic POST). */
  async open(repo: string, persist = true): Promise<Upload> {
    const id = randomUUID();
    const file = persist ? path.join(this.dir, id) : path.join(this.store.content.ingestDir, `${TEMP_PREFIX}upload-${id}`);
    const u: Upload = { id, repo, file, offset: 0, hash: createHash('sha256'), started: new Date(), touched: Date.now(), busy: false };
    await fs.writeFile(file, '', { mode: 0o600, flag: 'wx' });
    if (persist) {
      u.stateFile = `${file}.json`;
      await fs.writeFile(u.stateFile, stateOf(u), { mode: 0o600, flag: 'wx' });
    }
    this.sessions.set(id, u);
    return u;
  }

  get(repo: string, id: string): Upload {
    const u = this.sessions.get(id);
    if (!u || u.repo !== repo) throw regError(404, 'BLOB_UPLOAD_UNKNOWN', { uuid: id });
    return u;
  }

  /** The hash of data[0, offset): after a restart, the data is cut back to the offset and hashed again. */
  private async hashOf(u: Upload): Promise<Hash> {
    if (u.hash) return u.hash;
    await fs.truncate(u.file, u.offset);
    const h = createHash('sha256');
    if (u.offset > 0) for await (const chunk of createReadStream(u.file, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
    u.hash = h;
    return h;
  }

  /** Takes the session for one request: a second writer at the same time is refused. */
  private async claim<T>(u: Upload, fn: () => Promise<T>): Promise<T> {
    if (u.busy) throw regError(416, 'BLOB_UPLOAD_INVALID', undefined, 'another request is writing to this upload');
    u.busy = true;
    u.touched = Date.now();
    try { return await fn(); } finally {
      u.busy = false;
      u.touched = Date.now();
    }
  }

  /** Appends a request body; on any failure the file and hash go back to where they were. */
  async append(u: Upload, body: Readable, expectedLength?: number): Promise<void> {
    return this.claim(u, async () => {
      const before = u.offset;
      const sink = new FileSink(u.file, before, (await this.hashOf(u)).copy());
      try {
        await pipeline(body, sink);
        if (expectedLength !== undefined && sink.written !== expectedLength) throw regError(400, 'SIZE_INVALID', { expected: expectedLength, got: sink.written });
      } catch (e) {
        await fs.truncate(u.file, before).catch(() => undefined);
        throw e instanceof Error && 'code' in e && typeof (e as { status?: unknown }).status === 'number' ? e : regError(400, 'BLOB_UPLOAD_INVALID', { reason: (e as Error).message }, 'upload body incomplete');
      }
      u.offset = before + sink.written;
      u.hash = sink.hash;
      // (a DELETE while the chunk streamed in removed the session: no state file for it)
      if (u.stateFile && sink.written > 0 && this.sessions.get(u.id) === u) await writeState(u as Upload & { stateFile: string });
    });
  }

  /** Verifies the digest and commits the blob; a mismatch cancels the upload. */
  async finish(u: Upload, digest: string): Promise<number> {
    const got = `sha256:${(await this.claim(u, () => this.hashOf(u))).copy().digest('hex')}`;
    if (got !== digest) {
      await this.cancel(u);
      throw regError(400, 'DIGEST_INVALID', { expected: digest, computed: got });
    }
    this.sessions.delete(u.id);
    let tmp = u.file;
    if (u.stateFile) {
      tmp = path.join(this.store.content.ingestDir, `${TEMP_PREFIX}upload-${u.id}`);
      await fs.rename(u.file, tmp);
      await fs.rm(u.stateFile, { force: true });
    }
    await this.store.content.adopt(tmp, digest);
    return u.offset;
  }

  async cancel(u: Upload): Promise<void> {
    this.sessions.delete(u.id);
    await fs.rm(u.file, { force: true });
    if (u.stateFile) await fs.rm(u.stateFile, { force: true });
  }
}
