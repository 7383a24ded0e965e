/**
 * Upload sessions: POST opens one, PATCH appends chunks, PUT ?digest= closes it. The bytes
 * go to a temp file in the content store's ingest dir and are hashed as they arrive; the
 * blob becomes visible only when the PUT's digest matches (ContentStore.adopt: fsync, rename).
 * A chunk that fails midway (client gone, short body) is cut off again, so the session stays
 * at its last good offset. Sessions live in memory: a restart (or kill -9) forgets them and
 * the start-up reconcile deletes their temp files, so nothing partial is ever visible.
 */
import { createHash, randomUUID, type Hash } from 'node:crypto';
import { createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { TEMP_PREFIX } from '../util/atomic';
import { regError } from './errors';
import type { RegistryStorage } from './storage';

export interface Upload { id: string; repo: string; file: string; offset: number; hash: Hash; started: Date; touched: number; busy: boolean }

/** A session nobody has written to for this long is cancelled (its temp file removed). */
export const UPLOAD_IDLE_MS = 60 * 60 * 1000;

export class Uploads {
  private readonly sessions = new Map<string, Upload>();
  constructor(private readonly store: RegistryStorage) {}

  get count(): number { return this.sessions.size; }

  /** Cancels sessions idle for longer than `idleMs`; returns how many. */
  async expire(idleMs = UPLOAD_IDLE_MS, now = Date.now()): Promise<number> {
    let n = 0;
    for (const u of [...this.sessions.values()]) {
      if (!u.busy && now - u.touched > idleMs) { await this.cancel(u); n++; }
    }
    return n;
  }

  async open(repo: string): Promise<Upload> {
    const id = randomUUID();
    const file = path.join(this.store.content.ingestDir, `${TEMP_PREFIX}upload-${id}`);
    await fs.writeFile(file, '', { mode: 0o600, flag: 'wx' });
    const u: Upload = { id, repo, file, offset: 0, hash: createHash('sha256'), started: new Date(), touched: Date.now(), busy: false };
    this.sessions.set(id, u);
    return u;
  }

  get(repo: string, id: string): Upload {
    const u = this.sessions.get(id);
    if (!u || u.repo !== repo) throw regError(404, 'BLOB_UPLOAD_UNKNOWN', { uuid: id });
    return u;
  }

  /** Appends a request body; on any failure the file and hash go back to where they were. */
  async append(u: Upload, body: Readable, expectedLength?: number): Promise<void> {
    if (u.busy) throw regError(416, 'BLOB_UPLOAD_INVALID', undefined, 'another request is writing to this upload');
    u.busy = true;
    u.touched = Date.now();
    const before = u.offset;
    const hash = u.hash.copy();
    let n = 0;
    const tee = new Transform({ transform(chunk: Buffer, _e, cb) { hash.update(chunk); n += chunk.length; cb(null, chunk); } });
    try {
      await pipeline(body, tee, createWriteStream(u.file, { flags: 'r+', start: before, highWaterMark: 1 << 20 }));
      if (expectedLength !== undefined && n !== expectedLength) throw regError(400, 'SIZE_INVALID', { expected: expectedLength, got: n });
      u.offset = before + n;
      u.hash = hash;
    } catch (e) {
      await fs.truncate(u.file, before).catch(() => undefined);
      throw e instanceof Error && 'code' in e && typeof (e as { status?: unknown }).status === 'number' ? e : regError(400, 'BLOB_UPLOAD_INVALID', { reason: (e as Error).message }, 'upload body incomplete');
    } finally {
      u.busy = false;
      u.touched = Date.now();
    }
  }

  /** Verifies the digest and commits the blob; a mismatch cancels the upload. */
  async finish(u: Upload, digest: string): Promise<number> {
    const got = `sha256:${u.hash.copy().digest('hex')}`;
    this.sessions.delete(u.id);
    if (got !== digest) {
      await fs.rm(u.file, { force: true });
      throw regError(400, 'DIGEST_INVALID', { expected: digest, computed: got });
    }
    await this.store.content.adopt(u.file, digest);
    return u.offset;
  }

  async cancel(u: Upload): Promise<void> {
    this.sessions.delete(u.id);
    await fs.rm(u.file, { force: true });
  }
}
