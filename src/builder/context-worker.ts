import * as fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import type { FeedIn, FeedOut } from '../util/worker-feed';
import { ContextIndexer, type IndexEntry } from './context-tar';

/**
 * The build context's bytes off the daemon's main thread (context.ts feeds them here through
 * util/worker-feed.ts): this thread reads the tar (context-tar.ts: entries, per-file hashes,
 * the Dockerfile's bytes) and keeps the bytes, up to the job's memory budget and beyond it in
 * the job's temp file, for as long as the build may need its files. The hashing, and the
 * garbage collection of tens of MiB of chunks, then run beside the HTTP server.
 *
 * Beyond util/worker-feed.ts's protocol: { done, result } carries the list; then { spill }
 * writes the kept bytes to the job's file and answers { spilled } (or { error }), after which
 * the file holds the whole tar; { abort } drops the bytes (the file is the caller's to remove).
 */
/** `keep`: whether to keep the bytes (in memory up to `limit`, then in `file`), or only read them. */
export interface ContextJob { wanted: string[]; keep: boolean; limit: number; file: string }
export interface ContextList {
  entries: Map<string, IndexEntry>;
  hashes: Map<string, string>;
  captured: Map<string, Uint8Array>;
  problem?: string;
}
export type ContextIn = FeedIn<ContextJob> | { id: number; spill: true };
export type ContextOut = FeedOut<ContextList> | { id: number; spilled: true };

interface Job { ix: ContextIndexer; chunks: Buffer[]; held: number; fd: number | null; spilled: boolean; job: ContextJob }

const port = parentPort;
if (port) {
  const jobs = new Map<number, Job>();
  const post = (m: ContextOut) => port.postMessage(m);
  const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
  /** From here on the bytes go to the file: what was kept first, then each chunk as it comes. */
  const toFile = (j: Job) => {
    j.fd = fs.openSync(j.job.file, 'w', 0o600);
    for (const c of j.chunks) fs.writeSync(j.fd, c);
    j.chunks = [];
    j.held = 0;
  };
  const drop = (id: number) => {
    const j = jobs.get(id);
    jobs.delete(id);
    if (j?.fd != null) fs.closeSync(j.fd);
  };
  port.on('message', (m: ContextIn) => {
    if ('quit' in m) { for (const id of [...jobs.keys()]) drop(id); port.close(); return; }
    if ('job' in m) {
      jobs.set(m.id, { ix: new ContextIndexer(new Set(m.job.wanted)), chunks: [], held: 0, fd: null, spilled: false, job: m.job });
      return;
    }
    if ('abort' in m) { drop(m.id); return; }
    const j = jobs.get(m.id);
    if (!j) return;
    try {
      if ('chunks' in m) {
        let n = 0;
        for (const b of m.chunks) {
          const c = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
          n += c.length;
          j.ix.push(c);
          if (!j.job.keep) continue;
          if (j.fd === null && j.held + c.length > j.job.limit) toFile(j);
          if (j.fd === null) { j.chunks.push(c); j.held += c.length; } else fs.writeSync(j.fd, c);
        }
        post({ id: m.id, ack: n });
      } else if ('end' in m) {
        j.ix.finish();
        const { entries, hashes, captured, problem } = j.ix;
        post({ id: m.id, done: true, result: { entries, hashes, captured, problem } });
      } else if ('spill' in m) {
        if (!j.spilled) {
          if (j.fd === null) toFile(j);
          fs.closeSync(j.fd!);
          j.fd = null;
          j.spilled = true;
        }
        post({ id: m.id, spilled: true });
      }
    } catch (e) {
      drop(m.id);
      post({ id: m.id, error: { message: message(e) } });
    }
  });
}
