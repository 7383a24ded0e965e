import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { PassThrough, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parentPort } from 'node:worker_threads';
import { extractTar } from '../util/tar-extract';
import { decompressStream } from '../util/tar-decompress';
import { request } from './http';
import type { TlsMaterial } from './hosts';

/**
 * One layer of a pull, off the daemon's main thread: GET the blob (following redirects),
 * write it to a temp file in the content store's ingest dir while hashing it, and untar it
 * into the prepared layer dir as it streams. The digest and size are checked at the end;
 * the main thread adopts the file and commits. The main thread's event loop would otherwise
 * carry every byte (two hashes, gunzip callbacks, tar parsing, writes): this spreads the
 * layers of a pull over the cores, as dockerd's goroutines do.
 *
 * Messages out: { progress: n } (about 10 a second), then { done: { diffId, size } } or
 * { error: message, status?: http status when the GET itself failed, verify?: true }.
 */
export interface LayerJob {
  url: string;
  headers: Record<string, string>;
  tls?: TlsMaterial;
  insecure: boolean;
  digest: string;
  size: number;
  diffDir: string;
  blobTmp: string;
}

async function run(job: LayerJob, post: (m: object) => void): Promise<void> {
  const res = await request({ method: 'GET', url: job.url, headers: job.headers, tls: job.tls, insecure: job.insecure });
  if (res.status !== 200) {
    res.body.resume();
    post({ error: `fetching layer ${job.digest}: status ${res.status}`, status: res.status });
    return;
  }
  const hash = createHash('sha256');
  let n = 0;
  let last = 0;
  let tooLong = false;
  const file = createWriteStream(job.blobTmp, { mode: 0o600, flags: 'wx' });
  const toFile = new PassThrough();
  const filed = pipeline(toFile, file);
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      if (n > job.size) { tooLong = true; cb(new Error('blob longer than its descriptor')); return; }
      hash.update(chunk);
      const now = Date.now();
      if (now - last >= 100) { last = now; post({ progress: n }); }
      if (!toFile.write(chunk)) toFile.once('drain', () => cb(null, chunk));
      else cb(null, chunk);
    },
    flush(cb) { toFile.end(); cb(); },
  });
  res.body.on('error', (e) => counter.destroy(e));
  res.body.pipe(counter);
  let unpackError: unknown;
  const unpacked = (async () => {
    const { stream } = await decompressStream(counter);
    return extractTar(stream, job.diffDir);
  })().catch((e: unknown) => {
    // drain the rest so that the digest check can name a corrupt blob as the cause
    unpackError = e;
    counter.unpipe();
    counter.resume();
    return undefined;
  });
  const [r] = await Promise.all([unpacked, filed.catch((e: unknown) => { unpackError ??= e; })]);
  const got = `sha256:${hash.digest('hex')}`;
  if (tooLong || n !== job.size || got !== job.digest) {
    post({ error: `filesystem layer verification failed for digest ${job.digest}`, verify: true });
    return;
  }
  if (!r || unpackError) {
    post({ error: `failed to register layer: ${unpackError instanceof Error ? unpackError.message : String(unpackError)}` });
    return;
  }
  post({ progress: n });
  post({ done: { diffId: r.diffId, size: r.size } });
}

parentPort?.on('message', (job: LayerJob) => {
  const post = (m: object) => parentPort!.postMessage(m);
  run(job, post).catch((e: unknown) => post({ error: e instanceof Error ? e.message : String(e) }));
});
