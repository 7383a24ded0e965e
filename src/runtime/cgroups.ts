import { execFile } from '../util/spawn';
import { promises as fs, existsSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { mapRuncError, runcMessage } from './runc-cli';

/**
 * Reading a container's cgroup counters (v1 hierarchies or the v2 unified tree) into the
 * pieces of Docker's stats JSON, and changing its limits while it runs (`runc update`).
 */

export interface CpuSample {
  cpu_usage: { total_usage: number; percpu_usage?: number[]; usage_in_kernelmode: number; usage_in_usermode: number };
  system_cpu_usage?: number;
  online_cpus?: number;
  throttling_data: { periods: number; throttled_periods: number; throttled_time: number };
}

export interface BlkioEntry { major: number; minor: number; op: string; value: number }

export interface CgroupStats {
  cpu: CpuSample;
  memory: { usage?: number; max_usage?: number; stats?: Record<string, number>; failcnt?: number; limit?: number };
  pids: { current?: number; limit?: number };
  blkio: { io_service_bytes_recursive: BlkioEntry[] | null; io_serviced_recursive: BlkioEntry[] | null };
}

/**
 * cgroup and proc files are tiny and answered from memory: reading them synchronously costs
 * microseconds, while the async path queues ~4 thread-pool jobs per file, which made 50
 * parallel stats requests wait on each other.
 */
const readNow = (p: string): string => { try { return readFileSync(p, 'utf8').trim(); } catch { return ''; } };
const read = (p: string): Promise<string> => Promise.resolve(readNow(p));
const num = (s: string): number => { const n = Number(s); return Number.isFinite(n) ? n : 0; };

function keyValues(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined) out[k] = num(v);
  }
  return out;
}

/** Host CPU time in nanoseconds (sum of the first /proc/stat line), as dockerd's system_cpu_usage. */
export async function systemCpuUsage(): Promise<number> {
  const text = await read('/proc/stat');
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return 0;
  const ticks = line.split(/\s+/).slice(1, 8).reduce((a, b) => a + num(b), 0);
  return ticks * (1e9 / 100); // USER_HZ is 100 on Linux
}

const v2Roots = new Map<string, boolean>();
export async function isCgroupV2(root = '/sys/fs/cgroup'): Promise<boolean> {
  let v = v2Roots.get(root);
  if (v === undefined) { v = existsSync(path.join(root, 'cgroup.controllers')); v2Roots.set(root, v); }
  return v;
}

/** v1: the dir of a controller for a cgroup path (cpu and cpuacct may be joined as "cpu,cpuacct"). */
const controllerDirs = new Map<string, string>();
async function v1Dir(root: string, controller: string, cgroupsPath: string): Promise<string> {
  const key = `${root}\0${controller}`;
  let base = controllerDirs.get(key);
  if (base === undefined) {
    base = path.join(root, controller);
    for (const c of [controller, 'cpu,cpuacct', 'cpuacct,cpu']) {
      if ((c === controller || controller === 'cpu' || controller === 'cpuacct') && existsSync(path.join(root, c))) { base = path.join(root, c); break; }
    }
    controllerDirs.set(key, base);
  }
  return path.join(base, cgroupsPath);
}

function blkioV1(text: string): BlkioEntry[] {
  const out: BlkioEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\d+)\s+(\w+)\s+(\d+)$/.exec(line.trim());
    if (m) out.push({ major: Number(m[1]), minor: Number(m[2]), op: m[3], value: Number(m[4]) });
  }
  return out;
}

const UNLIMITED_V1 = 0x7ffffffffffff000;

async function statsV1(root: string, cg: string): Promise<CgroupStats> {
  const [cpuacct, cpu, mem, pids, blkio] = await Promise.all([
    v1Dir(root, 'cpuacct', cg), v1Dir(root, 'cpu', cg), v1Dir(root, 'memory', cg), v1Dir(root, 'pids', cg), v1Dir(root, 'blkio', cg),
  ]);
  const [usage, percpu, acctStat, cpuStat, memUsage, memMax, memStat, failcnt, memLimit, pidsCur, pidsMax, ioBytes, ioOps] = await Promise.all([
    read(`${cpuacct}/cpuacct.usage`), read(`${cpuacct}/cpuacct.usage_percpu`), read(`${cpuacct}/cpuacct.stat`), read(`${cpu}/cpu.stat`),
    read(`${mem}/memory.usage_in_bytes`), read(`${mem}/memory.max_usage_in_bytes`), read(`${mem}/memory.stat`), read(`${mem}/memory.failcnt`),
    read(`${mem}/memory.limit_in_bytes`), read(`${pids}/pids.current`), read(`${pids}/pids.max`),
    read(`${blkio}/blkio.throttle.io_service_bytes_recursive`), read(`${blkio}/blkio.throttle.io_serviced_recursive`),
  ]);
  const acct = keyValues(acctStat);
  const thr = keyValues(cpuStat);
  const tickNs = 1e9 / 100;
  const limit = num(memLimit);
  return {
    cpu: {
      cpu_usage: {
        total_usage: num(usage), percpu_usage: percpu ? percpu.split(/\s+/).map(num) : undefined,
        usage_in_kernelmode: (acct.system ?? 0) * tickNs, usage_in_usermode: (acct.user ?? 0) * tickNs,
      },
      throttling_data: { periods: thr.nr_periods ?? 0, throttled_periods: thr.nr_throttled ?? 0, throttled_time: thr.throttled_time ?? 0 },
    },
    memory: {
      usage: num(memUsage), max_usage: num(memMax), stats: keyValues(memStat), failcnt: num(failcnt),
      limit: !limit || limit >= UNLIMITED_V1 ? os.totalmem() : Math.min(limit, os.totalmem()),
    },
    pids: { current: num(pidsCur), ...(pidsMax && pidsMax !== 'max' ? { limit: num(pidsMax) } : {}) },
    blkio: { io_service_bytes_recursive: blkioV1(ioBytes), io_serviced_recursive: blkioV1(ioOps) },
  };
}

async function statsV2(root: string, cg: string): Promise<CgroupStats> {
  const dir = path.join(root, cg);
  const [cpuStat, memCur, memPeak, memStat, memMax, memEvents, pidsCur, pidsMax, io] = await Promise.all([
    read(`${dir}/cpu.stat`), read(`${dir}/memory.current`), read(`${dir}/memory.peak`), read(`${dir}/memory.stat`), read(`${dir}/memory.max`),
    read(`${dir}/memory.events`), read(`${dir}/pids.current`), read(`${dir}/pids.max`), read(`${dir}/io.stat`),
  ]);
  const c = keyValues(cpuStat);
  const bytes: BlkioEntry[] = [];
  const ops: BlkioEntry[] = [];
  for (const line of io.split('\n')) {
    const m = /^(\d+):(\d+)\s+(.*)$/.exec(line.trim());
    if (!m) continue;
    const kv = Object.fromEntries(m[3].split(/\s+/).map((p) => p.split('=')).map(([k, v]) => [k, num(v)]));
    const dev = { major: Number(m[1]), minor: Number(m[2]) };
    bytes.push({ ...dev, op: 'read', value: kv.rbytes ?? 0 }, { ...dev, op: 'write', value: kv.wbytes ?? 0 });
    ops.push({ ...dev, op: 'read', value: kv.rios ?? 0 }, { ...dev, op: 'write', value: kv.wios ?? 0 });
  }
  return {
    cpu: {
      cpu_usage: { total_usage: (c.usage_usec ?? 0) * 1000, usage_in_kernelmode: (c.system_usec ?? 0) * 1000, usage_in_usermode: (c.user_usec ?? 0) * 1000 },
      throttling_data: { periods: c.nr_periods ?? 0, throttled_periods: c.nr_throttled ?? 0, throttled_time: (c.throttled_usec ?? 0) * 1000 },
    },
    memory: {
      usage: num(memCur), ...(memPeak ? { max_usage: num(memPeak) } : {}), stats: keyValues(memStat),
      failcnt: keyValues(memEvents).oom ?? 0, limit: !memMax || memMax === 'max' ? os.totalmem() : num(memMax),
    },
    pids: { current: num(pidsCur), ...(pidsMax && pidsMax !== 'max' ? { limit: num(pidsMax) } : {}) },
    blkio: { io_service_bytes_recursive: bytes, io_serviced_recursive: ops },
  };
}

/** One sample of a container's cgroup counters. `cgroupsPath` as in the OCI spec (/berth/<id>). */
export async function readCgroupStats(cgroupsPath: string, root = '/sys/fs/cgroup'): Promise<CgroupStats> {
  const stats = (await isCgroupV2(root)) ? await statsV2(root, cgroupsPath) : await statsV1(root, cgroupsPath);
  stats.cpu.system_cpu_usage = await systemCpuUsage();
  stats.cpu.online_cpus = os.cpus().length;
  return stats;
}

/** Interface counters of the network namespace `pid` lives in (/proc/<pid>/net/dev), without lo. */
export async function readNetworkStats(pid: number): Promise<Record<string, Record<string, number>> | undefined> {
  if (!pid) return undefined;
  const text = await read(`/proc/${pid}/net/dev`);
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^:]+):\s*(.*)$/.exec(line);
    if (!m || m[1] === 'lo') continue;
    const f = m[2].trim().split(/\s+/).map(num);
    out[m[1]] = {
      rx_bytes: f[0], rx_packets: f[1], rx_errors: f[2], rx_dropped: f[3],
      tx_bytes: f[8], tx_packets: f[9], tx_errors: f[10], tx_dropped: f[11],
    };
  }
  return Object.keys(out).length ? out : undefined;
}

/** The cgroup path runc was given for a container (its bundle's config.json), or /berth/<id>. */
const cgroupPaths = new Map<string, { bundle: string; path: string }>();
export async function cgroupsPathOf(bundleDir: string, id: string): Promise<string> {
  const hit = cgroupPaths.get(id);
  if (hit && hit.bundle === bundleDir) return hit.path;
  let p = `/berth/${id}`;
  try {
    const spec = JSON.parse(await fs.readFile(path.join(bundleDir, 'config.json'), 'utf8')) as { linux?: { cgroupsPath?: string } };
    p = spec.linux?.cgroupsPath || p;
  } catch { /* not started yet: the default */ }
  if (cgroupPaths.size > 10_000) cgroupPaths.clear();
  cgroupPaths.set(id, { bundle: bundleDir, path: p });
  return p;
}

/** `runc update --resources -` with OCI linux.resources for a running container. */
export function runcUpdate(runtimePath: string, runcRoot: string, id: string, resources: Record<string, unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(runtimePath, ['--root', runcRoot, 'update', '--resources', '-', id], { timeoutMs: 30_000, input: JSON.stringify(resources) }, (err, _out, stderr) => {
      if (!err) { resolve(); return; }
      reject(mapRuncError(runcMessage(stderr) || err.message, 'update', id));
    });
  });
}
