import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LayerJob } from './layer-worker';

/**
 * A pool of layer workers (./layer-worker.ts), unref'd. Each runs one layer at a time; jobs
 * queue in order. A worker that dies is replaced. The pool grows to `size` (by default 8,
 * so the layers of a usual image all start at once: with fewer, the last ones start when the
 * first end and unpack alone at the end); `keep` workers stay for the daemon's life (warm
 * for the next pull), the others end after `idleMs` without work (each costs ~11 MB).
 */
export type LayerResult = { done: { diffId: string; size: number }; times: LayerTimes } | { error: string; status?: number; verify?: boolean };
/** When (Date.now()) the response came, the last byte arrived and the unpack ended. */
export interface LayerTimes { response: number; downloaded: number; unpacked: number }

interface Slot { w: Worker; busy: boolean; idle?: NodeJS.Timeout }

export class LayerWorkers {
  private slots: Slot[] = [];
  private queue: { job: LayerJob; onProgress: (n: number) => void; resolve: (r: LayerResult) => void; reject: (e: unknown) => void }[] = [];

  constructor(readonly size = 8, readonly keep = Math.min(size, Math.max(2, os.cpus().length)), readonly idleMs = 60_000) {}

  private spawn(): Slot {
    const w = new Worker(path.join(__dirname, 'layer-worker.js'));
    w.unref();
    const slot: Slot = { w, busy: false };
    this.slots.push(slot);
    return slot;
  }

  run(job: LayerJob, onProgress: (n: number) => void): Promise<LayerResult> {
    return new Promise((resolve, reject) => {
      this.queue.push({ job, onProgress, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (!this.queue.length) return;
    let slot = this.slots.find((s) => !s.busy);
    if (!slot && this.slots.length < this.size) slot = this.spawn();
    if (!slot) return;
    const t = this.queue.shift()!;
    const s = slot;
    s.busy = true;
    clearTimeout(s.idle);
    const finish = () => {
      s.w.off('message', onMsg);
      s.w.off('error', onErr);
      s.w.off('exit', onExit);
      s.busy = false;
      this.next();
      if (!s.busy) this.retireLater(s);
    };
    const onMsg = (m: { progress?: number } & Partial<LayerResult>) => {
      if (typeof m.progress === 'number') { t.onProgress(m.progress); return; }
      finish();
      t.resolve(m as LayerResult);
    };
    const drop = () => { this.slots = this.slots.filter((x) => x !== s); };
    const onErr = (e: unknown) => { drop(); finish(); t.reject(e); };
    const onExit = (code: number) => { drop(); finish(); t.reject(new Error(`layer worker exited with code ${code}`)); };
    s.w.on('message', onMsg);
    s.w.on('error', onErr);
    s.w.on('exit', onExit);
    s.w.postMessage(t.job);
  }

  private retireLater(s: Slot): void {
    s.idle = setTimeout(() => {
      if (s.busy || this.slots.length <= this.keep) return;
      this.slots = this.slots.filter((x) => x !== s);
      void s.w.terminate();
    }, this.idleMs);
    s.idle.unref();
  }
}
