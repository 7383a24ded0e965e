import { parentPort } from 'node:worker_threads';
import { BerthError } from '../errdefs';
import { TarReader } from '../util/tar-reader';
import type { FeedIn, FeedOut } from '../util/worker-feed';
import { type ExtractOptions, Extractor } from './archive-extract';
import type { ContainerFs } from './archive-fs';

/**
 * The extraction of docker cp into a container, off the daemon's main thread (see
 * archive-put.ts): the main thread only moves the request's bytes here; this thread parses
 * the tar and makes the files with synchronous calls, as dockerd's untar runs beside its HTTP
 * server. The same Extractor, the same walk by fds inside the container: a worker shares the
 * process's fd table, so /proc/self/fd paths mean the same here.
 *
 * Messages in, tagged with the job's id: { job } starts one; { chunks } (transferred
 * Uint8Arrays, written before the message is acknowledged); { end }, or { abort } (the
 * request failed: drop the job); { quit } (the pool is done with this worker: it ends).
 * Out: { ack: bytes } for every { chunks }, then { done } or { error }. After an error the
 * rest of that job's chunks are acknowledged and dropped.
 */
export interface PutJob { cfs: ContainerFs; destLogical: string; opts: ExtractOptions }
type PutIn = FeedIn<PutJob>;
type PutOut = FeedOut<never>;

interface Current { id: number; ex: Extractor; reader: TarReader; failed: boolean }

const port = parentPort;
if (port) {
  let cur: Current | undefined;
  const post = (m: PutOut) => port.postMessage(m);
  const fail = (c: Current, e: unknown) => {
    c.failed = true;
    c.ex.close();
    const message = e instanceof Error ? e.message : String(e);
    post({ id: c.id, error: { kind: e instanceof BerthError ? e.kind : undefined, message } });
  };
  port.on('message', (m: PutIn) => {
    if ('quit' in m) { cur?.ex.close(); port.close(); return; }
    if ('job' in m) {
      const ex = new Extractor(m.job.cfs, m.job.destLogical, m.job.opts);
      cur = { id: m.id, ex, reader: new TarReader(ex), failed: false };
      return;
    }
    const c = cur;
    if (!c || c.id !== m.id) return;
    if ('chunks' in m) {
      let n = 0;
      for (const b of m.chunks) {
        n += b.byteLength;
        if (c.failed) continue;
        try { c.reader.push(Buffer.from(b.buffer, b.byteOffset, b.byteLength)); } catch (e) { fail(c, e); }
      }
      if (!c.failed) { try { c.ex.flush(); } catch (e) { fail(c, e); } }
      post({ id: c.id, ack: n });
      return;
    }
    cur = undefined;
    if ('abort' in m) { c.ex.close(); return; }
    if (c.failed) return;
    try {
      c.reader.end();
      c.ex.finish();
      c.ex.close();
      post({ id: c.id, done: true });
    } catch (e) { fail(c, e); }
  });
}
