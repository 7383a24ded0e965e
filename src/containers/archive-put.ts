import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { BerthError, type ErrorKind, system } from '../errdefs';
import type { PutIn, PutJob, PutOut } from './archive-put-worker';

/**
 * Runs the extraction of a PUT /containers/{id}/archive in a worker thread
 * (archive-put-worker.ts) and feeds it the request's bytes. The main thread only copies
 * the bytes into batches and hands them over (transferred, not cloned); the worker parses
 * and writes. A worker is idle as soon as it answered a job; a few idle ones are kept
 * (unref'd) for the next copy, any number run at once.
 *
 * Batches go out at once while the worker waits, and grow to BATCH while it is busy; with
 * more than HIGH bytes not yet acknowledged the request is paused until the worker is back
 * under LOW, so a slow disk holds the client back instead of filling memory.
 */
const BATCH = 1 << 20;
const HIGH = 8 << 20;
const LOW = 2 << 20;
const KEEP_IDLE = 2;

const idle: Worker[] = [];
let nextId = 1;

function takeWorker(): Worker {
  const w = idle.pop() ?? new Worker(path.join(__dirname, 'archive-put-worker.js'));
  w.unref();
  return w;
}

function release(w: Worker): void {
  if (idle.length < KEEP_IDLE) idle.push(w);
  else void w.terminate();
}

/** Extracts the plain tar `src` as `job` says; resolves when every entry is on disk. */
export function extractInWorker(job: PutJob, src: Readable): Promise<void> {
  const w = takeWorker();
  const id = nextId++;
  const post = (m: PutIn, transfer?: ArrayBuffer[]) => w.postMessage(m, transfer);
  return new Promise<void>((resolve, reject) => {
    // Batches come back with their acknowledgement (transferred again) and are reused.
    const spare: ArrayBuffer[] = [];
    const fresh = () => Buffer.from(spare.pop() ?? new ArrayBuffer(BATCH));
    let batch = fresh();
    let filled = 0;
    let inflight = 0;
    let ended = false;
    let settled = false;

    const flush = () => {
      if (filled === 0) return;
      const chunk = new Uint8Array(batch.buffer, 0, filled);
      inflight += filled;
      post({ id, chunk }, [batch.buffer as ArrayBuffer]);
      batch = fresh();
      filled = 0;
      if (inflight > HIGH) src.pause();
    };
    const onData = (c: Buffer) => {
      for (let off = 0; off < c.length;) {
        const n = Math.min(c.length - off, BATCH - filled);
        c.copy(batch, filled, off, off + n);
        filled += n;
        off += n;
        if (filled === BATCH) flush();
      }
      if (inflight === 0) flush();
    };
    const onEnd = () => { ended = true; flush(); post({ id, end: true }); };
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', onSrcError);
      w.off('message', onMessage);
      w.off('error', onWorkerError);
      w.off('exit', onExit);
      if (err) {
        // The worker drops what is left of the job and closes its fds, unless it died.
        if (!(err instanceof WorkerGone)) { post({ id, abort: true }); release(w); }
        reject(err);
      } else {
        release(w);
        resolve();
      }
    };
    const onSrcError = (e: Error) => finish(e);
    const onMessage = (m: PutOut) => {
      if (m.id !== id) return;
      if ('ack' in m) {
        inflight -= m.ack;
        spare.push(m.buffer);
        if (inflight === 0 && !ended) flush();
        if (inflight < LOW && src.isPaused() && !ended) src.resume();
      } else if ('done' in m) finish();
      else finish(m.error.kind ? new BerthError(m.error.kind as ErrorKind, m.error.message) : system(m.error.message));
    };
    const onWorkerError = (e: Error) => finish(new WorkerGone(`archive worker failed: ${e.message}`));
    const onExit = (code: number) => finish(new WorkerGone(`archive worker exited with code ${code}`));

    w.on('message', onMessage);
    w.on('error', onWorkerError);
    w.on('exit', onExit);
    post({ id, job });
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', onSrcError);
  });
}

class WorkerGone extends Error {}
