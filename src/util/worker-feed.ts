import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { BerthError, type ErrorKind, system } from '../errdefs';

/**
 * Hands a request's bytes to a worker thread that parses them (docker cp into a container,
 * a build context): the main thread only moves chunks. A chunk that is the whole of its
 * memory (what the HTTP parser emits: it copies every piece of body into a buffer of its
 * own) is transferred, not copied, so the source's buffers must not be reused by anyone
 * else; other chunks are copied.
 *
 * Chunks go out at once while the worker waits, else gather until it acknowledges the last
 * batch (or until BATCH bytes): few messages, and the worker is never starved. With more than
 * HIGH bytes not yet acknowledged the source is paused until the worker is back under LOW,
 * so a slow worker holds the client back instead of filling memory.
 *
 * The protocol, every message tagged with the job's id. In: { job } starts one; { chunks }
 * (transferred Uint8Arrays); { end }; { abort } (drop the job); { quit } (the pool is done
 * with this worker: it ends). A worker may take more messages of its own after { done }.
 * Out: { ack: bytes } for every { chunks }, then { done, result? } or { error }.
 */
export type FeedIn<J> = { id: number } & ({ job: J } | { chunks: Uint8Array[] } | { end: true } | { abort: true } | { quit: true });
export type FeedOut<R> = { id: number } & ({ ack: number } | { done: true; result?: R } | { error: { kind?: string; message: string } });

const BATCH = 512 << 10;
const HIGH = 8 << 20;
const LOW = 2 << 20;

/**
 * Workers of one script: a worker is idle again once its job is released; up to `keep` idle
 * ones are kept (unref'd) for `idleMs` for the next job, and any number run at once.
 */
export class WorkerPool {
  private readonly idle: { w: Worker; timer: NodeJS.Timeout }[] = [];

  constructor(private readonly script: string, private readonly keep = 2, private readonly idleMs = 60_000) {}

  take(): Worker {
    const slot = this.idle.pop();
    if (slot) { clearTimeout(slot.timer); return slot.w; }
    const w = new Worker(this.script);
    w.unref();
    // A worker that ends while idle is not handed out again (a job's own listener covers the rest).
    w.on('exit', () => {
      const i = this.idle.findIndex((s) => s.w === w);
      if (i >= 0) { clearTimeout(this.idle[i].timer); this.idle.splice(i, 1); }
    });
    return w;
  }

  release(w: Worker): void {
    if (this.idle.length >= this.keep) { quit(w); return; }
    const slot = {
      w,
      timer: setTimeout(() => {
        const i = this.idle.indexOf(slot);
        if (i >= 0) this.idle.splice(i, 1);
        quit(w);
      }, this.idleMs).unref(),
    };
    this.idle.push(slot);
  }
}

/** Lets a worker end once it handled what it was sent. */
const quit = (w: Worker) => w.postMessage({ id: 0, quit: true } satisfies FeedIn<never>);

let nextId = 1;

/** A job whose worker is still the caller's after { done } (see feedWorker's `hold`). */
export interface HeldJob { worker: Worker; id: number; release(): void }

export interface FeedOptions {
  /** names the source in errors */
  what: string;
  /** the worker stays the caller's after { done } (see HeldJob) */
  hold?: boolean;
  /** copy every chunk: another listener of `src` still uses its buffers */
  copy?: boolean;
}

/**
 * Runs `job` on a worker of `pool` over the bytes of `src`. Resolves with the worker's result
 * once it answered { done }. Without `hold` the worker goes back to the pool then; with it
 * the caller gets the worker and the job's id for more messages, and must release() it.
 */
export function feedWorker<J, R>(pool: WorkerPool, job: J, src: Readable, opts: FeedOptions & { hold: true }): Promise<{ result: R | undefined; held: HeldJob }>;
export function feedWorker<J, R>(pool: WorkerPool, job: J, src: Readable, opts: FeedOptions & { hold?: false }): Promise<{ result: R | undefined }>;
export function feedWorker<J, R>(pool: WorkerPool, job: J, src: Readable, opts: FeedOptions): Promise<{ result: R | undefined; held?: HeldJob }> {
  const w = pool.take();
  const id = nextId++;
  const post = (m: FeedIn<J>, transfer?: ArrayBuffer[]) => w.postMessage(m, transfer);
  return new Promise((resolve, reject) => {
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
      const own = !opts.copy && c.byteOffset === 0 && c.byteLength === c.buffer.byteLength && c.byteLength >= 4096;
      pending.push(own ? c : new Uint8Array(c));
      pendingBytes += c.byteLength;
      if (pendingBytes >= BATCH || inflight === 0) flush();
    };
    const onEnd = () => { ended = true; flush(); post({ id, end: true }); };
    const finish = (err?: Error, result?: R) => {
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
        if (!(err instanceof WorkerGone)) { post({ id, abort: true }); pool.release(w); }
        reject(err);
      } else if (opts.hold) {
        let released = false;
        resolve({ result, held: { worker: w, id, release: () => { if (!released) { released = true; post({ id, abort: true }); pool.release(w); } } } });
      } else {
        pool.release(w);
        resolve({ result });
      }
    };
    const onSrcError = (e: Error) => finish(e);
    // A client gone mid-stream may end the request with neither 'end' nor 'error'.
    const onClose = () => { if (!ended) finish(system(`${opts.what} ended early: the client went away`)); };
    const onMessage = (m: FeedOut<R>) => {
      if (m.id !== id) return;
      if ('ack' in m) {
        inflight -= m.ack;
        if (!ended) flush();
        if (inflight < LOW && src.isPaused() && !ended) src.resume();
      } else if ('done' in m) finish(undefined, m.result);
      else finish(m.error.kind ? new BerthError(m.error.kind as ErrorKind, m.error.message) : system(m.error.message));
    };
    const onWorkerError = (e: Error) => finish(new WorkerGone(`${opts.what}: worker failed: ${e.message}`));
    const onExit = (code: number) => finish(new WorkerGone(`${opts.what}: worker exited with code ${code}`));

    w.on('message', onMessage);
    w.on('error', onWorkerError);
    w.on('exit', onExit);
    post({ id, job });
    src.on('data', onData);
    src.on('end', onEnd);
    src.on('error', onSrcError);
    src.on('close', onClose);
    src.resume();
  });
}

class WorkerGone extends Error {}
