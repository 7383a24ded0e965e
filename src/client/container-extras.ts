/**
 * Engine API calls for stats, top, pause/unpause, update, diff (changes), export and commit.
 * Functions of an EngineClient, like volumes.ts, so that engine.ts need not change.
 */
import type { Readable } from 'node:stream';
import type { EngineClient } from './engine';
import { jsonStream } from './transport';

const enc = encodeURIComponent;

/** One stats sample as dockerd sends it (only the fields clients read are typed). */
export interface StatsSample {
  read: string;
  preread: string;
  name: string;
  id: string;
  pids_stats: { current?: number; limit?: number };
  cpu_stats: CpuStats;
  precpu_stats: CpuStats;
  memory_stats: { usage?: number; limit?: number; max_usage?: number; stats?: Record<string, number> };
  blkio_stats: { io_service_bytes_recursive: { major: number; minor: number; op: string; value: number }[] | null };
  networks?: Record<string, { rx_bytes: number; tx_bytes: number }>;
}
export interface CpuStats {
  cpu_usage: { total_usage: number; percpu_usage?: number[] };
  system_cpu_usage?: number;
  online_cpus?: number;
}

export async function containerStats(c: EngineClient, id: string, opts: { stream: boolean; oneShot?: boolean }): Promise<{ samples: AsyncGenerator<StatsSample>; close: () => void }> {
  const res = await c.transport.request({ method: 'GET', path: `/containers/${enc(id)}/stats`, query: { stream: opts.stream, 'one-shot': opts.oneShot || undefined } });
  return { samples: jsonStream<StatsSample>(res), close: () => res.destroy() };
}

export function containerTop(c: EngineClient, id: string, psArgs?: string): Promise<{ Titles: string[]; Processes: string[][] | null }> {
  return c.transport.json({ method: 'GET', path: `/containers/${enc(id)}/top`, query: { ps_args: psArgs || undefined } });
}

export function containerPause(c: EngineClient, id: string): Promise<void> {
  return c.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/pause` });
}

export function containerUnpause(c: EngineClient, id: string): Promise<void> {
  return c.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/unpause` });
}

export function containerUpdate(c: EngineClient, id: string, body: Record<string, unknown>): Promise<{ Warnings: string[] | null }> {
  return c.transport.json({ method: 'POST', path: `/containers/${enc(id)}/update`, body });
}

export function containerChanges(c: EngineClient, id: string): Promise<{ Path: string; Kind: number }[] | null> {
  return c.transport.json({ method: 'GET', path: `/containers/${enc(id)}/changes` });
}

export async function containerExport(c: EngineClient, id: string): Promise<Readable> {
  return c.transport.request({ method: 'GET', path: `/containers/${enc(id)}/export` });
}

export interface CommitOptions { reference?: string; comment?: string; author?: string; changes?: string[]; pause?: boolean; config?: Record<string, unknown> }

export function containerCommit(c: EngineClient, id: string, opts: CommitOptions): Promise<{ Id: string }> {
  let repo: string | undefined;
  let tag: string | undefined;
  if (opts.reference) {
    const at = opts.reference.lastIndexOf(':');
    const slash = opts.reference.lastIndexOf('/');
    if (at > slash) { repo = opts.reference.slice(0, at); tag = opts.reference.slice(at + 1); } else repo = opts.reference;
  }
  return c.transport.json({
    method: 'POST', path: '/commit', body: opts.config ?? {},
    query: { container: id, repo, tag, comment: opts.comment || undefined, author: opts.author || undefined, changes: opts.changes?.length ? opts.changes : undefined, pause: opts.pause === false ? false : undefined },
  });
}
