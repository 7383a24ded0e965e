/** `berth stats`: docker's live table (redrawn each second), --no-stream, --all, --format. */
import { ApiError, type EngineClient } from '../../../client';
import { type StatsSample, containerStats } from '../../../client/container-extras';
import type { CliContext, CommandDef } from '../../command';
import { renderList, type Column } from '../../formatters/table';
import { bytesSize, humanSizeWithPrecision } from '../../formatters/units';

interface Row {
  container: string; id: string; name: string; cpu: number; mem: number; memLimit: number; memPerc: number;
  netRx: number; netTx: number; blkRead: number; blkWrite: number; pids: number; error: boolean;
}

/** docker/cli's calculations from one sample (cgroup v1 and v2 memory accounting). */
export function rowFromSample(container: string, s: StatsSample): Row {
  const cpuDelta = s.cpu_stats.cpu_usage.total_usage - (s.precpu_stats?.cpu_usage?.total_usage ?? 0);
  const sysDelta = (s.cpu_stats.system_cpu_usage ?? 0) - (s.precpu_stats?.system_cpu_usage ?? 0);
  const online = s.cpu_stats.online_cpus || s.cpu_stats.cpu_usage.percpu_usage?.length || 0;
  const cpu = sysDelta > 0 && cpuDelta > 0 ? (cpuDelta / sysDelta) * online * 100 : 0;
  const m = s.memory_stats ?? {};
  const st = m.stats ?? {};
  const inactive = st.total_inactive_file ?? st.inactive_file ?? 0;
  const usage = m.usage ?? 0;
  const mem = inactive < usage ? usage - inactive : usage;
  const limit = m.limit ?? 0;
  let blkRead = 0; let blkWrite = 0;
  for (const e of s.blkio_stats?.io_service_bytes_recursive ?? []) {
    const op = e.op.toLowerCase();
    if (op === 'read') blkRead += e.value; else if (op === 'write') blkWrite += e.value;
  }
  let netRx = 0; let netTx = 0;
  for (const n of Object.values(s.networks ?? {})) { netRx += n.rx_bytes; netTx += n.tx_bytes; }
  return {
    container, id: s.id, name: (s.name ?? '').replace(/^\//, ''), cpu, mem, memLimit: limit, memPerc: limit ? (mem / limit) * 100 : 0,
    netRx, netTx, blkRead, blkWrite, pids: s.pids_stats?.current ?? 0, error: false,
  };
}

const dash = (r: Row, s: string) => (r.error ? '--' : s);
const COLUMNS: Column<Row>[] = [
  { header: 'CONTAINER ID', field: 'ID', value: (r) => r.id.slice(0, 12) },
  { header: 'NAME', field: 'Name', value: (r) => dash(r, r.name) },
  { header: 'CPU %', field: 'CPUPerc', value: (r) => dash(r, `${r.cpu.toFixed(2)}%`) },
  { header: 'MEM USAGE / LIMIT', field: 'MemUsage', value: (r) => dash(r, `${bytesSize(r.mem)} / ${bytesSize(r.memLimit)}`) },
  { header: 'MEM %', field: 'MemPerc', value: (r) => dash(r, `${r.memPerc.toFixed(2)}%`) },
  { header: 'NET I/O', field: 'NetIO', value: (r) => dash(r, `${humanSizeWithPrecision(r.netRx, 3)} / ${humanSizeWithPrecision(r.netTx, 3)}`) },
  { header: 'BLOCK I/O', field: 'BlockIO', value: (r) => dash(r, `${humanSizeWithPrecision(r.blkRead, 3)} / ${humanSizeWithPrecision(r.blkWrite, 3)}`) },
  { header: 'PIDS', field: 'PIDs', value: (r) => dash(r, String(r.pids)) },
];

function context(r: Row): Record<string, unknown> {
  const ctx: Record<string, unknown> = { Container: r.container };
  for (const c of COLUMNS) ctx[c.field] = c.value(r);
  ctx.ID = r.id.slice(0, 12);
  return ctx;
}

export function renderStats(rows: Row[], format: string): string {
  return renderList(rows, format || 'table', COLUMNS, context, { Container: 'CONTAINER' });
}

/** Keeps the newest row of one container up to date from its stats stream. */
async function follow(client: EngineClient, name: string, rows: Map<string, Row>, stream: boolean, signal: AbortSignal): Promise<void> {
  const { samples, close } = await containerStats(client, name, { stream });
  signal.addEventListener('abort', close, { once: true });
  try {
    for await (const s of samples) rows.set(name, rowFromSample(name, s));
  } catch {
    if (!signal.aborted) { const r = rows.get(name); if (r) r.error = true; }
  }
}

export const stats: CommandDef = {
  path: 'container stats',
  aliases: ['stats'],
  use: 'stats [OPTIONS] [CONTAINER...]',
  short: 'Display a live stream of container(s) resource usage statistics',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    { name: 'format', kind: 'string', usage: 'Format output using a custom template:\n\'table\':            Print output in table format with column headers (default)\n\'table TEMPLATE\':   Print output in table format using the given Go template\n\'json\':             Print in JSON format\n\'TEMPLATE\':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates' },
    { name: 'no-stream', kind: 'bool', usage: 'Disable streaming stats and only pull the first result' },
    { name: 'no-trunc', kind: 'bool', usage: 'Do not truncate output' },
  ],
  args: {},
  async run(ctx: CliContext, v, names) {
    const client = ctx.client();
    const format = String(v.format ?? '');
    const stream = !v['no-stream'];
    let list = names;
    if (!names.length) {
      const cs = await client.containerList({ all: !!v.all });
      list = cs.map((c) => c.Id);
    } else {
      // Unknown names fail at once, as docker does.
      for (const n of names) {
        try { await client.containerInspect(n); } catch (e) {
          ctx.stderr.write(e instanceof ApiError ? `Error response from daemon: ${e.message}\n` : `${(e as Error).message}\n`);
          return 1;
        }
      }
    }
    const rows = new Map<string, Row>();
    const ac = new AbortController();
    const followers = list.map((n) => follow(client, n, rows, stream, ac.signal));
    const ordered = () => list.map((n) => rows.get(n)).filter((r): r is Row => !!r);
    if (!stream) {
      await Promise.all(followers);
      ctx.stdout.write(renderStats(ordered(), format));
      return 0;
    }
    const tty = !!ctx.stdout.isTTY;
    if (!names.length) {
      // Like docker: without names, containers that start later join the table, and (without -a) leave it when they die.
      const ev = await client.events({ filters: { type: ['container'] } });
      ac.signal.addEventListener('abort', ev.close, { once: true });
      void (async () => {
        try {
          for await (const e of ev.messages) {
            const id = e.Actor?.ID ?? '';
            if (e.Action === 'start' && !list.includes(id)) { list.push(id); followers.push(follow(client, id, rows, true, ac.signal)); }
            if ((e.Action === 'die' && !v.all) || e.Action === 'destroy') { list = list.filter((x) => x !== id); rows.delete(id); }
          }
        } catch { /* daemon went away: the table keeps its last rows */ }
      })();
    }
    const stop = () => ac.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (tty) ctx.stdout.write('\x1b[2J');
    while (!ac.signal.aborted) {
      await new Promise((r) => setTimeout(r, 1000));
      if (ac.signal.aborted) break;
      const table = renderStats(ordered(), format);
      if (tty) ctx.stdout.write(`\x1b[H${table.split('\n').join('\x1b[K\n')}\x1b[J`);
      else ctx.stdout.write(table);
    }
    await Promise.allSettled(followers);
    return 0;
  },
};
