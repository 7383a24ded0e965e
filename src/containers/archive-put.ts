import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { BerthError, type ErrorKind, system } from '../errdefs';
import type { PutIn, PutJob, PutOut } from './archive-put-worker';

/**
 * Runs the extraction of a PUT /containers/{id}/archive in a worker thread
 * (archive-put-worker.ts) and feeds it the request's bytes. The main thread only hands the
 * chunks over: a chunk that is the whole of its memory (what the HTTP parser emits) is
 * transferred, not copied, so the source's buffers must not be reused by anyone else;
 * other chunks are copied. The worker parses and writes. A worker is idle again as soon as
 * it answered a job; up to KEEP_IDLE idle ones are kept (unref'd) for IDLE_MS for the next
 * copy, and any number run at once.
 *
 * Chunks go out at once while the worker waits, else gather until it acknowledges the
 * last batch (or until BATCH bytes): few messages, and the worker is never starved. With
 * more than HIGH bytes not yet acknowledged the request is paused until the worker is back
 * under LOW, so a slow disk holds the client back instead of filling memory.
 */
const BATCH = 512 << 10;
const HIGH = 8 << 20;
const LOW = 2 << 20;
const KEEP_IDLE = 2;
/** An idle worker (some MiB of memory) goes after this long without a copy. */
const IDLE_MS = 60_000;

const idle: { w: Worker; timer: NodeJS.Timeout }[] = [];
let nextId = 1;

function takeWorker(): Worker {
  const slot = idle.pop();
  if (slot) { clearTimeout(slot.timer); return slot.w; }
  const w = new Worker(path.join(__dirname, 'archive-put-worker.js'));
  w.unref();
  // A worker that ends while idle is not handed out again (a job's own listener covers the rest).
  w.on('exit', () => {
    const i = idle.findIndex((s) => s.w === w);
    if (i >= 0) { clearTimeout(idle[i].timer); idle.splice(i, 1); }
  });
  return w;
}

/** Lets a worker end once it handled what it was sent (an abort closes the job's fds first). */
const quit = (w: Worker) => w.postMessage({ id: 0, quit: true } satisfies PutIn);

function release(w: Worker): void {
  if (idle.length >= KEEP_IDLE) { quit(w); return; }
  const slot = {
    w,
    timer: setTimeout(() => {
      const i = idle.indexOf(slot);
      if (i >= 0) idle.splice(i, 1);
      quit(w);
    }, IDLE_MS).unref(),
  };
  idle.push(slot);
}

/** Extracts the plain tar `src` as `job` says; resolves when every entry is on disk (see above about its buffers). */
export function extractInWorker(job: PutJob, src: Readable): Promise<void> {
  const w = takeWorker();
  const id = nextId++;
  const post = (m: PutIn, transfer?: ArrayBuffer[]) => w.postMessage(m, transfer);
  return new Promise<void>((resolve, reject) => {
    let pending: Uint8Array[] = [];
    let pendingBytes = 0;
    let inflight = 0;
    let ended = false;
    let settled = false;

    const flush = () => {
      if (pendingBytes === 0) return;
      inflight += pendingBytes;
      post({ id, chunks: pending }, pending.map((c) => c.buffer as ArrayBuffer));
      pending = [];
      pendingBytes = 0;
      if (inflight > HIGH) src.pause();
    };
    const onData = (c: Buffer) => {
      // A chunk that is the whole of its memory (the HTTP parser copies every piece of body
      // into a buffer of its own) moves to the worker as it is; anything else is copied.
      const own = c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.byteLength >= 4096;
      pending.push(own ? c : new Uint8Array(c));
      pendingBytes += c.byteLength;
      if (pendingBytes >= BATCH || inflight === 0) flush();
    };
    const onEnd = () => { ended = true; flush(); post({ id, end: true }); };
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      src.off('data', onData);
      src.off('end', onEnd);
      src.off('error', onSrcError);
      src.off('close', onClose);
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
    // A client gone mid-archive may end the request with neither 'end' nor 'error'.
    const onClose = () => { if (!ended) finish(system('the archive ended early: the client went away')); };
    const onMessage = (m: PutOut) => {
      if (m.id !== id) return;
      if ('ack' in m) {
        inflight -= m.ack;
        if (!ended) flush();
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
    src.on('close', onClose);
  });
}

class WorkerGone extends Error {}
