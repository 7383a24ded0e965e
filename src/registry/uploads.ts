/**
 * Upload sessions: POST opens one, PATCH appends chunks, PUT ?digest= closes it. The bytes
 * are hashed as they arrive; the blob becomes visible only when the PUT's digest matches
 * (ContentStore.adopt: fsync, rename). A chunk that fails midway (client gone, short body)
 * is cut off again, so the session stays at its last good offset.
 *
 * Sessions survive a restart. Each lives under <root>/uploads/<id>/:
 *   data    the bytes received so far (may be longer than `offset` after a crash mid-chunk)
 *   state   JSON {repo, offset, started, touched}, replaced (write, rename) after each chunk
 * A session dir is made as uploads/.tmp-<id> and renamed into place once both files exist.
 * At start-up every session is loaded; one whose data is shorter than its offset (or whose
 * state is unreadable) is dropped. The hash is not stored: the first request after a
 * restart cuts the data back to `offset` and hashes it again, so the PUT's digest check is
 * as exact as without a restart. On PUT the data file is moved into the content store's
 * ingest dir and committed from there; nothing under uploads/ is ever visible as a blob.
 *
 * A monolithic POST ?digest= has a session too, but only in memory, with its temp file in
 * ingest/ (which start-up empties): it lives for one request.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TEMP_PREFIX } from '../util/atomic';
import { isValidName, regError } from './errors';
import type { RegistryStorage } from './storage';

export interface Upload {
  id: string; repo: string;
  /** The session's dir under uploads/ (kept across restarts); none for a one-request upload. */
  dir?: string;
  file: string; offset: number;
  /** sha256 of data[0, offset); undefined after a restart until the data is hashed again. */
  hash?: Hash;
  started: Date; touched: number; busy: boolean;
}

interface SessionState { repo: string; offset: number; started: string; touched: number }

/** A session nobody has written to for this long is cancelled (its files removed). */
export const UPLOAD_IDLE_MS = 60 * 60 * 1000;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Writes the session's state file: temp + rename, no fsync (the PUT's digest check is the integrity guard). */
async function writeState(dir: string, u: Upload): Promise<void> {
  const s: SessionState = { repo: u.repo, offset: u.offset, started: u.started.toISOString(), touched: u.touched };
  const tmp = path.join(dir, `${TEMP_PREFIX}state`);
  await fs.writeFile(tmp, JSON.stringify(s), { mode: 0o600 });
  await fs.rename(tmp, path.join(dir, 'state'));
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
    for (const id of await fs.readdir(this.dir)) {
      const dir = path.join(this.dir, id);
      const u = UUID_RE.test(id) ? await this.load(id, dir) : undefined;
      if (u) this.sessions.set(id, u);
      else await fs.rm(dir, { recursive: true, force: true });
    }
    return this.sessions.size;
  }

  private async load(id: string, dir: string): Promise<Upload | undefined> {
    try {
      const s = JSON.parse(await fs.readFile(path.join(dir, 'state'), 'utf8')) as SessionState;
      const file = path.join(dir, 'data');
      if (!isValidName(s.repo) || !Number.isSafeInteger(s.offset) || s.offset < 0 || (await fs.stat(file)).size < s.offset) return undefined;
      return { id, repo: s.repo, dir, file, offset: s.offset, started: new Date(s.started), touched: s.touched, busy: false };
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
    const u: Upload = { id, repo, file: '', offset: 0, hash: createHash('sha256'), started: new Date(), touched: Date.now(), busy: false };
    if (persist) {
      const tmp = path.join(this.dir, `${TEMP_PREFIX}${id}`);
      await fs.mkdir(tmp, { mode: 0o700 });
      await fs.writeFile(path.join(tmp, 'data'), '', { mode: 0o600 });
      await writeState(tmp, u);
      u.dir = path.join(this.dir, id);
      await fs.rename(tmp, u.dir);
      u.file = path.join(u.dir, 'data');
    } else {
      u.file = path.join(this.store.content.ingestDir, `${TEMP_PREFIX}upload-${id}`);
      await fs.writeFile(u.file, '', { mode: 0o600, flag: 'wx' });
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
      const hash = (await this.hashOf(u)).copy();
      let n = 0;
      const tee = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); n += chunk.length; cb(null, chunk); } });
      try {
        await pipeline(body, tee, createWriteStream(u.file, { flags: 'r+', start: before, highWaterMark: 1 << 20 }));
        if (expectedLength !== undefined && n !== expectedLength) throw regError(400, 'SIZE_INVALID', { expected: expectedLength, got: n });
      } catch (e) {
        await fs.truncate(u.file, before).catch(() => undefined);
        throw e instanceof Error && 'code' in e && typeof (e as { status?: unknown }).status === 'number' ? e : regError(400, 'BLOB_UPLOAD_INVALID', { reason: (e as Error).message }, 'upload body incomplete');
      }
      u.offset = before + n;
      u.hash = hash;
      if (u.dir && n > 0) await writeState(u.dir, u);
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
    if (u.dir) {
      tmp = path.join(this.store.content.ingestDir, `${TEMP_PREFIX}upload-${u.id}`);
      await fs.rename(u.file, tmp);
      await fs.rm(u.dir, { recursive: true, force: true });
    }
    await this.store.content.adopt(tmp, digest);
    return u.offset;
  }

  async cancel(u: Upload): Promise<void> {
    this.sessions.delete(u.id);
    await fs.rm(u.dir ?? u.file, { recursive: true, force: true });
  }
}
