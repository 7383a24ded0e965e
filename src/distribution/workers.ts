import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LayerJob } from './layer-worker';

/**
 * A small pool of layer workers (./layer-worker.ts), kept for the daemon's life and unref'd.
 * Each runs one layer at a time; jobs queue in order. A worker that dies is replaced.
 */
export type LayerResult = { done: { diffId: string; size: number } } | { error: string; status?: number; verify?: boolean };

interface Slot { w: Worker; busy: boolean }

export class LayerWorkers {
  private slots: Slot[] = [];
  private queue: { job: LayerJob; onProgress: (n: number) => void; resolve: (r: LayerResult) => void; reject: (e: unknown) => void }[] = [];

  constructor(readonly size = Math.max(3, Math.min(6, os.cpus().length * 2))) {}

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
    const finish = () => {
      s.w.off('message', onMsg);
      s.w.off('error', onErr);
      s.w.off('exit', onExit);
      s.busy = false;
      this.next();
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
}
