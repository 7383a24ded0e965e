/** `berth update`: new resource limits or restart policy for one or more containers. */
import { containerUpdate } from '../../../client/container-extras';
import { StatusError, type CommandDef } from '../../command';
import { UsageError, type FlagSpec, type FlagValues } from '../../flags';
import { ramInBytes } from '../../formatters/units';
import { eachContainer } from './pause';

const s = (name: string, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'string', usage, ...extra });
const i = (name: string, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'int', usage, ...extra });

function bytes(v: FlagValues, k: string, label: string): number | undefined {
  const raw = String(v[k] ?? '');
  if (!raw) return undefined;
  if (k === 'memory-swap' && raw === '-1') return -1;
  try { return ramInBytes(raw); } catch { throw new UsageError(`invalid argument "${raw}" for "${label}" flag: invalid size: '${raw}'`); }
}

/** docker's RestartPolicy parsing: "no", "always", "unless-stopped", "on-failure[:N]". */
function restartPolicy(raw: string): { Name: string; MaximumRetryCount: number } {
  const [name, count] = raw.split(':');
  if (count !== undefined) {
    const n = Number(count);
    if (!/^-?\d+$/.test(count)) throw new UsageError(`invalid argument "${raw}" for "--restart" flag: invalid restart policy format: maximum retry count must be an integer`);
    return { Name: name, MaximumRetryCount: n };
  }
  return { Name: name, MaximumRetryCount: 0 };
}

export const update: CommandDef = {
  path: 'container update',
  aliases: ['update'],
  use: 'update [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Update configuration of one or more containers',
  flags: [
    i('blkio-weight', 'Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)', { typeName: 'uint16' }),
    i('cpu-period', 'Limit CPU CFS (Completely Fair Scheduler) period'),
    i('cpu-quota', 'Limit CPU CFS (Completely Fair Scheduler) quota'),
    i('cpu-rt-period', 'Limit the CPU real-time period in microseconds'),
    i('cpu-rt-runtime', 'Limit the CPU real-time runtime in microseconds'),
    i('cpu-shares', 'CPU shares (relative weight)', { short: 'c' }),
    s('cpus', 'Number of CPUs', { typeName: 'decimal' }),
    s('cpuset-cpus', 'CPUs in which to allow execution (0-3, 0,1)'),
    s('cpuset-mems', 'MEMs in which to allow execution (0-3, 0,1)'),
    s('memory', 'Memory limit', { short: 'm', typeName: 'bytes' }),
    s('memory-reservation', 'Memory soft limit', { typeName: 'bytes' }),
    s('memory-swap', "Swap limit equal to memory plus swap: -1 to enable unlimited swap", { typeName: 'bytes' }),
    i('pids-limit', 'Tune container pids limit (set -1 for unlimited)'),
    s('restart', 'Restart policy to apply when a container exits'),
  ],
  args: { min: 1 },
  async run(ctx, v, names, changed) {
    if (changed.size === 0) throw new StatusError(1, 'you must provide one or more flags when using this command');
    const body: Record<string, unknown> = {
      BlkioWeight: Number(v['blkio-weight'] ?? 0), CpuPeriod: Number(v['cpu-period'] ?? 0), CpuQuota: Number(v['cpu-quota'] ?? 0),
      CpuRealtimePeriod: Number(v['cpu-rt-period'] ?? 0), CpuRealtimeRuntime: Number(v['cpu-rt-runtime'] ?? 0), CpuShares: Number(v['cpu-shares'] ?? 0),
      CpusetCpus: String(v['cpuset-cpus'] ?? ''), CpusetMems: String(v['cpuset-mems'] ?? ''),
      Memory: bytes(v, 'memory', '-m, --memory') ?? 0, MemoryReservation: bytes(v, 'memory-reservation', '--memory-reservation') ?? 0,
      MemorySwap: bytes(v, 'memory-swap', '--memory-swap') ?? 0,
    };
    const cpus = String(v.cpus ?? '');
    if (cpus) {
      const f = Number(cpus);
      if (!Number.isFinite(f)) throw new UsageError(`invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`);
      body.NanoCpus = Math.round(f * 1e9);
    }
    if (changed.has('pids-limit')) body.PidsLimit = Number(v['pids-limit']);
    if (changed.has('restart')) body.RestartPolicy = restartPolicy(String(v.restart ?? ''));
    const warnings: string[] = [];
    const code = await eachContainer(ctx, names, async (n) => {
      const r = await containerUpdate(ctx.client(), n, body);
      warnings.push(...(r?.Warnings ?? []));
      ctx.stdout.write(`${n}\n`);
    });
    for (const w of warnings) ctx.stderr.write(`${w}\n`);
    return code;
  },
};
