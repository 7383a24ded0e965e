import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { WorkerPool, feedWorker } from '../util/worker-feed';
import type { PutJob } from './archive-put-worker';

/**
 * Runs the extraction of a PUT /containers/{id}/archive in a worker thread
 * (archive-put-worker.ts) and feeds it the request's bytes (util/worker-feed.ts: the main
 * thread only hands the chunks over, with flow control). The worker parses and writes.
 * A worker is idle again as soon as it answered a job; up to two idle ones are kept for a
 * minute for the next copy, and any number run at once.
 */
const pool = new WorkerPool(path.join(__dirname, 'archive-put-worker.js'));

/** Extracts the plain tar `src` as `job` says; resolves when every entry is on disk (src's buffers move to the worker). */
export async function extractInWorker(job: PutJob, src: Readable): Promise<void> {
  await feedWorker<PutJob, never>(pool, job, src, { what: 'the archive' });
}
