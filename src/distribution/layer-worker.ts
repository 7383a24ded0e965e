import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { Transform } from 'node:stream';
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
 * Messages out: { progress: n } (about 10 a second), then { done: { diffId, size }, times } or
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
  const times = { response: Date.now(), downloaded: 0, unpacked: 0 };
  const hash = createHash('sha256');
  let n = 0;
  let last = 0;
  let tooLong = false;
  // The blob goes to its temp file with write(2) on this thread (no thread-pool round trip
  // per chunk); the pull's one syncfs flushes it before the store adopts it.
  const fd = openSync(job.blobTmp, 'wx', 0o600);
  let writeError: unknown;
  const counter = new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      if (n > job.size) { tooLong = true; cb(new Error('blob longer than its descriptor')); return; }
      hash.update(chunk);
      const now = Date.now();
      if (now - last >= 100) { last = now; post({ progress: n }); }
      try {
        for (let off = 0; off < chunk.length;) off += writeSync(fd, chunk, off);
      } catch (e) { writeError = e; cb(e as Error); return; }
      cb(null, chunk);
    },
    flush(cb) { times.downloaded = Date.now(); cb(); },
  });
  res.body.on('error', (e) => counter.destroy(e));
  counter.on('error', () => res.body.destroy());
  res.body.pipe(counter);
  let unpackError: unknown;
  const unpacked = (async () => {
    const { stream } = await decompressStream(counter);
    return extractTar(stream, job.diffDir, { sync: true }); // this thread does nothing else
  })().catch((e: unknown) => {
    // drain the rest so that the digest check can name a corrupt blob as the cause
    unpackError = e;
    counter.unpipe();
    counter.resume();
    return undefined;
  });
  void unpacked.then(() => { times.unpacked = Date.now(); });
  let r: Awaited<typeof unpacked>;
  try { r = await unpacked; } finally { closeSync(fd); }
  if (writeError) {
    post({ error: `failed to register layer: ${writeError instanceof Error ? writeError.message : String(writeError)}` });
    return;
  }
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
  post({ done: { diffId: r.diffId, size: r.size }, times });
}

parentPort?.on('message', (job: LayerJob) => {
  const post = (m: object) => parentPort!.postMessage(m);
  run(job, post).catch((e: unknown) => post({ error: e instanceof Error ? e.message : String(e) }));
});
