/**
 * Issue 3's benchmark: `docker stats --no-stream` over 50 running containers and
 * `docker exec <c> true`, berthd vs dockerd in the same run, both through the real docker CLI.
 * Goal: each median at most 1/2 of dockerd's. Runs alternate berthd, dockerd, ...; medians.
 * Knobs: BENCH_STATS_CONTAINERS (50), BENCH_STATS_RUNS (7), BENCH_EXEC_RUNS (21).
 * Run as root: node dist/bench/stats.js
 */
import { type Cli, TestDaemon, importBusybox, makeCli } from '../test/integration/harness';

const CONTAINERS = Number(process.env.BENCH_STATS_CONTAINERS ?? 50);
const RUNS = Number(process.env.BENCH_STATS_RUNS ?? 7);
const EXEC_RUNS = Number(process.env.BENCH_EXEC_RUNS ?? 21);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed(cli: Cli, args: string[], check?: (out: string) => void): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await cli(args, { timeoutMs: 300_000 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  check?.(r.stdout);
  return ms;
}

async function main(): Promise<void> {
  const sides: { label: string; d: TestDaemon; cli: Cli; stats: number[]; exec: number[] }[] = [];
  try {
    for (const target of ['berth', 'docker'] as const) {
      const d = await TestDaemon.start({ name: `bench-stats-${target}`, target });
      const cli = makeCli('docker', d.socket);
      sides.push({ label: target === 'berth' ? 'berthd' : 'dockerd', d, cli, stats: [], exec: [] });
      await importBusybox(cli);
      for (let i = 0; i < CONTAINERS; i++) {
        const r = await cli(['run', '-d', '--network', 'none', '--name', `st${i}`, 'busybox', 'sleep', '3600']);
        if (r.code !== 0) throw new Error(r.stderr);
      }
    }
    const rows = (out: string) => { const n = out.trim().split('\n').length - 1; if (n !== CONTAINERS) throw new Error(`stats printed ${n} rows`); };
    for (let i = 0; i < RUNS; i++) for (const s of sides) s.stats.push(await timed(s.cli, ['stats', '--no-stream'], rows));
    for (let i = 0; i < EXEC_RUNS; i++) for (const s of sides) s.exec.push(await timed(s.cli, ['exec', 'st0', 'true']));
    const [b, dk] = sides;
    const row = (what: string, x: number, y: number) => `| ${what} | ${x.toFixed(0)} ms | ${y.toFixed(0)} ms | ${(x / y).toFixed(2)} | ≤ 0.5 | ${x <= y / 2 ? 'yes' : 'no'} |`;
    const table = [
      `${CONTAINERS} running containers; medians of ${RUNS} (stats) and ${EXEC_RUNS} (exec) alternating runs, docker CLI 28 against each daemon:`,
      '',
      '| figure | berthd | dockerd | berth / docker | goal | met |',
      '| --- | ---: | ---: | ---: | :---: | :---: |',
      row(`docker stats --no-stream (${CONTAINERS} containers)`, median(b.stats), median(dk.stats)),
      row('docker exec <c> true', median(b.exec), median(dk.exec)),
      '',
    ].join('\n');
    process.stdout.write(`${table}\n`);
  } finally {
    for (const s of sides) await s.d.stop().catch(() => undefined);
  }
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack ?? String(e)}\n`); process.exit(1); });
