import * as fs from 'node:fs';
import * as os from 'node:os';
import { invalidParameter } from '../errdefs';

/**
 * Docker's resource fields (HostConfig.Resources, also the body of POST /containers/{id}/update)
 * turned into OCI `linux.resources`, which runc applies at create and `runc update` applies to a
 * running container. Validation follows dockerd's verifyPlatformContainerResources messages.
 */
export interface ResourceInput {
  Memory?: number; MemorySwap?: number; MemoryReservation?: number; MemorySwappiness?: number | null; OomKillDisable?: boolean | null;
  NanoCpus?: number; CpuShares?: number; CpuPeriod?: number; CpuQuota?: number; CpuRealtimePeriod?: number; CpuRealtimeRuntime?: number;
  CpusetCpus?: string; CpusetMems?: string; PidsLimit?: number | null; BlkioWeight?: number;
  BlkioWeightDevice?: { Path: string; Weight: number }[] | null;
  BlkioDeviceReadBps?: { Path: string; Rate: number }[] | null; BlkioDeviceWriteBps?: { Path: string; Rate: number }[] | null;
  BlkioDeviceReadIOps?: { Path: string; Rate: number }[] | null; BlkioDeviceWriteIOps?: { Path: string; Rate: number }[] | null;
}

const MIN_MEMORY = 6 * 1024 * 1024;

/** What the host's cgroups can do (dockerd's sysinfo), probed once. */
export interface CgroupFeatures { swap: boolean; blkioWeight: boolean; cpus: number; cpuset: string; mems: string; v2: boolean }

let cached: CgroupFeatures | null = null;
export function cgroupFeatures(root = '/sys/fs/cgroup'): CgroupFeatures {
  if (cached && root === '/sys/fs/cgroup') return cached;
  const v2 = fs.existsSync(`${root}/cgroup.controllers`);
  const read = (p: string) => { try { return fs.readFileSync(p, 'utf8').trim(); } catch { return ''; } };
  const f: CgroupFeatures = v2
    ? { v2, swap: true, blkioWeight: fs.existsSync(`${root}/io.weight`) || read(`${root}/cgroup.controllers`).includes('io'), cpus: os.cpus().length,
      cpuset: read(`${root}/cpuset.cpus.effective`) || `0-${os.cpus().length - 1}`, mems: read(`${root}/cpuset.mems.effective`) || '0' }
    : { v2, swap: fs.existsSync(`${root}/memory/memory.memsw.limit_in_bytes`),
      blkioWeight: fs.existsSync(`${root}/blkio/blkio.weight`) || fs.existsSync(`${root}/blkio/blkio.bfq.weight`), cpus: os.cpus().length,
      cpuset: read(`${root}/cpuset/cpuset.effective_cpus`) || read(`${root}/cpuset/cpuset.cpus`) || `0-${os.cpus().length - 1}`,
      mems: read(`${root}/cpuset/cpuset.effective_mems`) || read(`${root}/cpuset/cpuset.mems`) || '0' };
  if (root === '/sys/fs/cgroup') cached = f;
  return f;
}

/** "0-2,4" -> {0,1,2,4}; null when malformed. */
export function parseCpuList(s: string): Set<number> | null {
  const out = new Set<number>();
  for (const part of s.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) return null;
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) return null;
    for (let i = a; i <= b; i++) out.add(i);
  }
  return out;
}

/**
 * Checks and completes the resource fields the way dockerd does at create and update; returns
 * the warnings dockerd would return (e.g. blkio weight discarded). Mutates `r` (MemorySwap
 * defaults to twice Memory where swap accounting exists; unsupported fields are dropped).
 */
export function validateResources(r: ResourceInput, opts: { update?: boolean; current?: ResourceInput } = {}, feat = cgroupFeatures()): string[] {
  const warnings: string[] = [];
  const memory = r.Memory ?? opts.current?.Memory ?? 0;
  if (r.Memory && r.Memory < MIN_MEMORY) throw invalidParameter('Minimum memory limit allowed is 6MB');
  if (r.MemorySwap && r.MemorySwap > 0 && memory === 0 && !opts.update) {
    throw invalidParameter('You should always set the Memory limit when using Memoryswap limit, see usage');
  }
  if (r.MemorySwap && r.MemorySwap > 0 && memory > 0 && r.MemorySwap < memory) {
    throw invalidParameter('Minimum memoryswap limit should be larger than memory limit, see usage');
  }
  if (!opts.update && memory > 0 && !r.MemorySwap && feat.swap) r.MemorySwap = memory * 2;
  if (!feat.swap && r.MemorySwap) { warnings.push('Your kernel does not support swap limit capabilities or the cgroup is not mounted. Memory limited without swap.'); r.MemorySwap = -1; }
  if (r.MemoryReservation && r.MemoryReservation < MIN_MEMORY) throw invalidParameter('Minimum memory reservation allowed is 6MB');
  if (memory > 0 && r.MemoryReservation && r.MemoryReservation > 0 && memory < r.MemoryReservation) {
    throw invalidParameter('Minimum memory limit can not be less than memory reservation limit, see usage');
  }
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness !== -1 && (r.MemorySwappiness < 0 || r.MemorySwappiness > 100)) {
    throw invalidParameter(`Invalid value: ${r.MemorySwappiness}, valid memory swappiness range is 0-100`);
  }
  if (r.OomKillDisable && memory === 0) warnings.push('OOM killer is disabled for the container, but no memory limit is set, this can result in the system running out of resources.');
  if (r.NanoCpus) {
    if (r.CpuPeriod) throw invalidParameter('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    if (r.CpuQuota) throw invalidParameter('Conflicting options: Nano CPUs and CPU Quota cannot both be set');
    if (r.NanoCpus < 0 || r.NanoCpus > feat.cpus * 1e9) {
      throw invalidParameter(`Range of CPUs is from 0.01 to ${feat.cpus}.00, as there are only ${feat.cpus} CPUs available`);
    }
  }
  if (r.CpuPeriod && (r.CpuPeriod < 1000 || r.CpuPeriod > 1000000)) {
    throw invalidParameter('CPU cfs period can not be less than 1ms (i.e. 1000) or larger than 1s (i.e. 1000000)');
  }
  if (r.CpuQuota && r.CpuQuota > 0 && r.CpuQuota < 1000) throw invalidParameter('CPU cfs quota can not be less than 1ms (i.e. 1000)');
  for (const [value, avail, what] of [[r.CpusetCpus, feat.cpuset, 'CPUs'], [r.CpusetMems, feat.mems, 'memory nodes']] as const) {
    if (!value) continue;
    const want = parseCpuList(value);
    if (!want) throw invalidParameter(`Invalid value ${value} for cpuset ${what === 'CPUs' ? 'cpus' : 'mems'}`);
    const have = parseCpuList(avail) ?? new Set<number>();
    if ([...want].some((n) => !have.has(n))) throw invalidParameter(`Requested ${what} are not available - requested ${value}, available: ${avail}`);
  }
  if (r.BlkioWeight && (r.BlkioWeight < 10 || r.BlkioWeight > 1000)) throw invalidParameter('Range of blkio weight is from 10 to 1000');
  if (r.BlkioWeight && !feat.blkioWeight) {
    warnings.push('Your kernel does not support Block I/O weight or the cgroup is not mounted. Weight discarded.');
    r.BlkioWeight = 0;
  }
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && r.PidsLimit <= 0) r.PidsLimit = opts.update ? -1 : 0;
  return warnings;
}

function deviceNumbers(p: string): { major: number; minor: number } {
  let st: fs.Stats;
  try { st = fs.statSync(p); } catch { throw invalidParameter(`error gathering device information while adding custom device "${p}": no such file or directory`); }
  const rdev = BigInt(st.rdev);
  return { major: Number((rdev >> 8n) & 0xfffn), minor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n)) };
}

/** OCI linux.resources (without device rules) from Docker's fields; only fields that are set. */
export function ociResources(r: ResourceInput): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const memory: Record<string, unknown> = {};
  if (r.Memory) memory.limit = r.Memory;
  if (r.MemoryReservation) memory.reservation = r.MemoryReservation;
  if (r.MemorySwap) memory.swap = r.MemorySwap;
  if (r.MemorySwappiness !== undefined && r.MemorySwappiness !== null && r.MemorySwappiness >= 0) memory.swappiness = r.MemorySwappiness;
  if (r.OomKillDisable) memory.disableOOMKiller = true;
  if (Object.keys(memory).length) out.memory = memory;
  const cpu: Record<string, unknown> = {};
  if (r.NanoCpus) { cpu.period = 100000; cpu.quota = Math.round((r.NanoCpus / 1e9) * 100000); }
  if (r.CpuShares) cpu.shares = r.CpuShares;
  if (r.CpuQuota) cpu.quota = r.CpuQuota;
  if (r.CpuPeriod) cpu.period = r.CpuPeriod;
  if (r.CpuRealtimePeriod) cpu.realtimePeriod = r.CpuRealtimePeriod;
  if (r.CpuRealtimeRuntime) cpu.realtimeRuntime = r.CpuRealtimeRuntime;
  if (r.CpusetCpus) cpu.cpus = r.CpusetCpus;
  if (r.CpusetMems) cpu.mems = r.CpusetMems;
  if (Object.keys(cpu).length) out.cpu = cpu;
  if (r.PidsLimit !== undefined && r.PidsLimit !== null && r.PidsLimit !== 0) out.pids = { limit: r.PidsLimit > 0 ? r.PidsLimit : -1 };
  const blkio: Record<string, unknown> = {};
  if (r.BlkioWeight) blkio.weight = r.BlkioWeight;
  if (r.BlkioWeightDevice?.length) blkio.weightDevice = r.BlkioWeightDevice.map((d) => ({ ...deviceNumbers(d.Path), weight: d.Weight }));
  const throttle = (list: { Path: string; Rate: number }[] | null | undefined) => list?.map((d) => ({ ...deviceNumbers(d.Path), rate: d.Rate }));
  if (r.BlkioDeviceReadBps?.length) blkio.throttleReadBpsDevice = throttle(r.BlkioDeviceReadBps);
  if (r.BlkioDeviceWriteBps?.length) blkio.throttleWriteBpsDevice = throttle(r.BlkioDeviceWriteBps);
  if (r.BlkioDeviceReadIOps?.length) blkio.throttleReadIOPSDevice = throttle(r.BlkioDeviceReadIOps);
  if (r.BlkioDeviceWriteIOps?.length) blkio.throttleWriteIOPSDevice = throttle(r.BlkioDeviceWriteIOps);
  if (Object.keys(blkio).length) out.blockIO = blkio;
  return out;
}
