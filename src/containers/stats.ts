import { cgroupsPathOf, readCgroupStats, readNetworkStats } from '../runtime/cgroups';
import { type ContainerRecord, ZERO_TIME, nowRfc3339Nano } from './record';
import type { ContainerService } from './service';

/**
 * GET /containers/{id}/stats in dockerd's JSON: each sample carries the previous one's CPU
 * counters in precpu_stats (and its time in preread) so that clients can compute CPU %, and
 * online_cpus is always set. A stopped container gives zeroed samples, as dockerd does.
 */
export type StatsJson = Record<string, unknown>;

const EMPTY_CPU = { cpu_usage: { total_usage: 0, usage_in_kernelmode: 0, usage_in_usermode: 0 }, throttling_data: { periods: 0, throttled_periods: 0, throttled_time: 0 } };
const EMPTY_BLKIO = {
  io_service_bytes_recursive: null, io_serviced_recursive: null, io_queue_recursive: null, io_service_time_recursive: null,
  io_wait_time_recursive: null, io_merged_recursive: null, io_time_recursive: null, sectors_recursive: null,
};

/** dockerd's answer for a container that is not running. */
function emptyStats(c: ContainerRecord): StatsJson {
  return {
    read: ZERO_TIME, preread: ZERO_TIME, pids_stats: {}, blkio_stats: { ...EMPTY_BLKIO }, num_procs: 0, storage_stats: {},
    cpu_stats: structuredClone(EMPTY_CPU), precpu_stats: structuredClone(EMPTY_CPU), memory_stats: {}, name: c.name, id: c.id,
  };
}

export class StatsService {
  constructor(private readonly svc: ContainerService) {}

  /** One sample without precpu (precpu zeroed), or null when the container does not run. */
  async sample(c: ContainerRecord): Promise<StatsJson | null> {
    if (!c.state.Running || c.state.Restarting) return null;
    const cg = await cgroupsPathOf(this.svc.bundleDir(c.id), c.id);
    const [s, networks] = await Promise.all([readCgroupStats(cg), readNetworkStats(c.state.Pid)]);
    const out: StatsJson = {
      read: nowRfc3339Nano(), preread: ZERO_TIME, pids_stats: s.pids,
      blkio_stats: { ...EMPTY_BLKIO, io_service_bytes_recursive: s.blkio.io_service_bytes_recursive, io_serviced_recursive: s.blkio.io_serviced_recursive },
      num_procs: 0, storage_stats: {}, cpu_stats: s.cpu, precpu_stats: structuredClone(EMPTY_CPU), memory_stats: s.memory, name: c.name, id: c.id,
    };
    if (networks) out.networks = networks;
    return out;
  }

  /**
   * The samples the stats endpoint writes. stream: one per second until `signal` aborts.
   * Not streaming: one sample whose precpu is a sample taken `preSampleMs` earlier (dockerd
   * waits for its 1 s collector tick; a shorter window answers faster with the same meaning);
   * one-shot skips the pre-sample.
   */
  async *samples(ref: string, opts: { stream: boolean; oneShot: boolean; signal: AbortSignal; intervalMs?: number; preSampleMs?: number }): AsyncGenerator<StatsJson> {
    const c = this.svc.get(ref);
    const interval = opts.intervalMs ?? 1000;
    if (!opts.stream) {
      let prev = await this.sample(c).catch(() => null);
      if (!prev) { yield emptyStats(c); return; }
      if (!opts.oneShot) {
        await sleep(opts.preSampleMs ?? 250, opts.signal);
        const cur = await this.sample(c).catch(() => null);
        if (cur) { withPrevious(cur, prev); prev = cur; }
      }
      yield prev;
      return;
    }
    let prev: StatsJson | null = null;
    while (!opts.signal.aborted) {
      const cur = this.svc.store.find(c.id) ? await this.sample(c).catch(() => null) : null;
      if (cur) {
        if (prev) withPrevious(cur, prev);
        prev = cur;
        yield cur;
      } else {
        prev = null;
        yield emptyStats(c);
      }
      await sleep(interval, opts.signal);
    }
  }
}

function withPrevious(cur: StatsJson, prev: StatsJson): void {
  cur.precpu_stats = prev.cpu_stats;
  cur.preread = prev.read;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const t = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve(); }, ms);
    const onAbort = () => { clearTimeout(t); resolve(); };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
