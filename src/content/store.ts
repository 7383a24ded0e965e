import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { invalidParameter, notFound, system } from '../errdefs';
import { TEMP_PREFIX, fsyncDir } from '../util/atomic';
import { isValidDigest } from '../util/reference';

/**
 * Content-addressed blob store under <root> (normally <data-root>/content):
 *
 *   blobs/sha256/<hex>    committed blobs, immutable, named by the sha256 of their bytes
 *   ingest/.tmp-<random>  blobs being written; removed by reconcile() after a crash
 *
 * Lifecycle: ingest (stream -> temp file, digest computed while streaming) -> verify against
 * the expected digest -> fsync -> rename into blobs/ -> fsync dir. A reader therefore sees a
 * blob whole or not at all. Errors: InvalidParameter for a malformed digest (only
 * `sha256:` + 64 lowercase hex is accepted, so `sha256:../..` never reaches a path) or a
 * digest mismatch; NotFound for a missing blob.
 */
export interface BlobInfo { digest: string; size: number }

export function checkDigest(digest: string): string {
  if (typeof digest !== 'string' || !isValidDigest(digest)) throw invalidParameter(`invalid digest: ${JSON.stringify(digest)}`);
  return digest;
}

export class ContentStore {
  readonly blobsDir: string;
  readonly ingestDir: string;

  constructor(readonly root: string) {
    this.blobsDir = path.join(root, 'blobs', 'sha256');
    this.ingestDir = path.join(root, 'ingest');
  }

  async init(): Promise<void> {
    await fs.mkdir(this.blobsDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.ingestDir, { recursive: true, mode: 0o700 });
  }

  /** Path of a committed blob; the digest is validated first. */
  blobPath(digest: string): string {
    return path.join(this.blobsDir, checkDigest(digest).slice('sha256:'.length));
  }

  /**
   * Writes a stream as a blob. With `expected`, a mismatch fails and leaves nothing behind.
   * An existing blob with the same digest is kept (the new copy is dropped).
   */
  async ingest(src: Readable, expected?: string): Promise<BlobInfo> {
    if (expected !== undefined) checkDigest(expected);
    const tmp = path.join(this.ingestDir, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const tee = new Transform({
      transform(chunk: Buffer, _enc, cb) { hash.update(chunk); size += chunk.length; cb(null, chunk); },
    });
    try {
      const out = createWriteStream(tmp, { mode: 0o600, flags: 'wx' });
      await pipeline(src, tee, out);
      const digest = `sha256:${hash.digest('hex')}`;
      if (expected !== undefined && digest !== expected) {
        throw invalidParameter(`digest mismatch: expected ${expected}, got ${digest}`);
      }
      await this.commitTemp(tmp, digest);
      return { digest, size };
    } finally {
      await fs.rm(tmp, { force: true });
    }
  }

  /**
   * Commits a file that the caller wrote into ingestDir and whose bytes it has hashed to
   * `digest` (a pull's layer workers hash while they stream). The temp file is gone after.
   */
  async adopt(tmp: string, digest: string): Promise<void> {
    await this.adoptAll([{ tmp, digest }], false);
  }

  /**
   * adopt() for several files at once, with one fsync of the blobs dir. With `flushed` the
   * caller has already made their bytes durable (a pull's one syncfs over the layers and the
   * blobs), so they are not fsynced again one by one.
   */
  async adoptAll(files: { tmp: string; digest: string }[], flushed: boolean): Promise<void> {
    for (const { tmp, digest } of files) {
      checkDigest(digest);
      if (path.dirname(tmp) !== this.ingestDir || !path.basename(tmp).startsWith(TEMP_PREFIX)) throw invalidParameter(`not an ingest file: ${tmp}`);
    }
    try {
      let renamed = false;
      for (const { tmp, digest } of files) renamed = (await this.placeTemp(tmp, digest, !flushed)) || renamed;
      if (renamed) await fsyncDir(this.blobsDir);
    } finally {
      for (const { tmp } of files) await fs.rm(tmp, { force: true });
    }
  }

  async writeBuffer(data: Buffer, expected?: string): Promise<BlobInfo> {
    return this.ingest(Readable.from([data]), expected);
  }

  private async commitTemp(tmp: string, digest: string): Promise<void> {
    if (await this.placeTemp(tmp, digest, true)) await fsyncDir(this.blobsDir);
  }

  /** Renames a temp file into blobs/ (fsynced first with `sync`); false when the blob was there. */
  private async placeTemp(tmp: string, digest: string, sync: boolean): Promise<boolean> {
    if (sync) {
      const fh = await fs.open(tmp, 'r');
      try { await fh.sync(); } finally { await fh.close(); }
    }
    const dest = this.blobPath(digest);
    if (await this.exists(digest)) return false;
    await fs.chmod(tmp, 0o444);
    await fs.rename(tmp, dest);
    return true;
  }

  async exists(digest: string): Promise<boolean> {
    try { await fs.access(this.blobPath(digest)); return true; } catch { return false; }
  }

  async info(digest: string): Promise<BlobInfo> {
    try {
      const st = await fs.stat(this.blobPath(digest));
      return { digest, size: st.size };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw system(`content ${digest}: ${(e as Error).message}`, e);
    }
  }

  async readBuffer(digest: string): Promise<Buffer> {
    try { return await fs.readFile(this.blobPath(digest)); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(`content ${digest}: not found`);
      throw e;
    }
  }

  /** A stream of the blob's bytes; NotFound surfaces synchronously when it is missing. */
  async read(digest: string): Promise<Readable> {
    await this.info(digest);
    return createReadStream(this.blobPath(digest));
  }

  /** Deletes a blob; deleting a missing blob is not an error (deletes are idempotent). */
  async delete(digest: string): Promise<void> {
    await fs.rm(this.blobPath(digest), { force: true });
  }

  async list(): Promise<string[]> {
    const names = await fs.readdir(this.blobsDir).catch(() => [] as string[]);
    return names.map((n) => `sha256:${n}`).filter(isValidDigest);
  }

  /** Removes ingests that a crash interrupted. Call once at start-up, before any ingest. */
  async reconcile(): Promise<number> {
    await this.init();
    let removed = 0;
    for (const n of await fs.readdir(this.ingestDir)) {
      await fs.rm(path.join(this.ingestDir, n), { recursive: true, force: true });
      removed++;
    }
    for (const n of await fs.readdir(this.blobsDir)) {
      if (n.startsWith(TEMP_PREFIX)) { await fs.rm(path.join(this.blobsDir, n), { force: true }); removed++; }
    }
    return removed;
  }
}
