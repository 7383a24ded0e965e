/**
 * docker cp of a 200 MB directory of mixed file sizes, out of and into a running container:
 * berthd vs dockerd on the same machine in the same run, both driven by the real docker CLI
 * (issue 7's goal: at least as fast as dockerd). Runs alternate berthd, dockerd, ...; medians.
 * Knobs: BENCH_CP_RUNS (default 5), BENCH_CP_MB (200). Run as root: node dist/bench/cp.js
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Cli, TestDaemon, importBusybox, makeCli } from '../test/integration/harness';

const RUNS = Number(process.env.BENCH_CP_RUNS ?? 5);
const MB = Number(process.env.BENCH_CP_MB ?? 200);

/** 60% of the files 1-8 KiB, 35% 16-512 KiB, 5% 1-8 MiB, up to MB megabytes, in 50 directories. */
function makeTree(root: string): { files: number; bytes: number } {
  let seed = 7;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  let bytes = 0;
  let files = 0;
  const pool = randomBytes(8 << 20);
  while (bytes < MB * 1024 * 1024) {
    const r = rnd();
    const size = r < 0.6 ? 1024 + Math.floor(rnd() * 7 * 1024) : r < 0.95 ? 16384 + Math.floor(rnd() * 496 * 1024) : (1 << 20) + Math.floor(rnd() * 7 * (1 << 20));
    const dir = path.join(root, `d${files % 50}`, `s${files % 7}`);
    fs.mkdirSync(dir, { recursive: true });
    const off = Math.floor(rnd() * (pool.length - size));
    fs.writeFileSync(path.join(dir, `f${files}`), pool.subarray(off, off + size));
    bytes += size;
    files++;
  }
  return { files, bytes };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed(cli: Cli, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await cli(args, { timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-cp-'));
  const sides: { label: string; d: TestDaemon; cli: Cli; out: number[]; in: number[] }[] = [];
  try {
    const tree = path.join(work, 'tree');
    const made = makeTree(tree);
    for (const target of ['berth', 'docker'] as const) {
      const d = await TestDaemon.start({ name: `bench-cp-${target}`, target });
      const cli = makeCli('docker', d.socket);
      sides.push({ label: target === 'berth' ? 'berthd' : 'dockerd', d, cli, out: [], in: [] });
      await importBusybox(cli);
      const r = await cli(['run', '-d', '--network', 'none', '--name', 'cpbench', 'busybox', 'sleep', '3600']);
      if (r.code !== 0) throw new Error(r.stderr);
      await timed(cli, ['cp', tree, 'cpbench:/seed']);
    }
    for (let i = 0; i < RUNS; i++) {
      for (const s of sides) {
        await s.cli(['exec', 'cpbench', 'rm', '-rf', '/into']);
        s.in.push(await timed(s.cli, ['cp', tree, 'cpbench:/into']));
        const dest = path.join(work, `out-${s.label}`);
        fs.rmSync(dest, { recursive: true, force: true });
        s.out.push(await timed(s.cli, ['cp', 'cpbench:/seed', dest]));
      }
    }
    const [b, dk] = sides;
    const row = (what: string, x: number, y: number) => `| ${what} | ${(x / 1000).toFixed(2)} s | ${(y / 1000).toFixed(2)} s | ${(x / y).toFixed(2)} | ≤ 1 | ${x <= y ? 'yes' : 'no'} |`;
    const table = [
      `docker cp of ${(made.bytes / 1048576).toFixed(0)} MiB in ${made.files} files, median of ${RUNS} alternating runs:`,
      '',
      '| figure | berthd | dockerd | berth / docker | goal | met |',
      '| --- | ---: | ---: | ---: | :---: | :---: |',
      row('docker cp out of a container', median(b.out), median(dk.out)),
      row('docker cp into a container', median(b.in), median(dk.in)),
      '',
    ].join('\n');
    process.stdout.write(table);
    if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, table);
  } finally {
    for (const s of sides) await s.d.stop().catch(() => undefined);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
