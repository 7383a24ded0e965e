/**
 * Berth vs dockerd, same machine, same run, both driven by the real docker CLI.
 * Starts a berthd and a dockerd (Debian docker.io) side by side, each on its own data root,
 * socket and netns, imports the same busybox image into both, and measures:
 *   1. `docker run --rm --network none busybox true`: median wall time (runs alternate A B A B)
 *   2. 100 detached `sleep` containers started with concurrency 10: total wall time
 *   3. per running container, the monitor's RSS (conmon vs containerd-shim-runc-v2)
 *   4. daemon idle memory (berthd + its spawner vs dockerd + its containerd): summed RSS, and PSS
 * Prints a markdown table (also written to the file named by BENCH_OUT).
 * Knobs: BENCH_RUNS (default 21), BENCH_CONTAINERS (100), BENCH_CONCURRENCY (10).
 */
import * as fs from 'node:fs';
import {
  Cli, CliResult, TestDaemon, importBusybox, makeCli, processesMentioning, sleep,
} from '../test/integration/harness';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const CONTAINERS = Number(process.env.BENCH_CONTAINERS ?? 100);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 10);

interface Side {
  label: string;
  daemon: TestDaemon;
  docker: Cli;
}

interface Row {
  figure: string;
  berth: number;
  docker: number;
  unit: string;
  goal: string;
  /** true when berth/docker must be at most `limit`. */
  limit: number;
}

function must(r: CliResult, what: string): CliResult {
  if (r.code !== 0) throw new Error(`${what} failed (${r.code}): ${r.stderr}`);
  return r;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function rssKiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Proportional set size: resident pages, each shared page divided among the processes that
 * map it. berthd and its spawner are both node and share node's code, which RSS would count
 * twice; dockerd and containerd are different binaries, so for them PSS is about their RSS.
 */
function pssKiB(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function comm(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The daemon's own processes: berthd and its spawner, or dockerd plus the containerd it started. */
function daemonPids(side: Side): number[] {
  const names = side.label === 'berth' ? ['node', 'berthd'] : ['dockerd', 'containerd'];
  return processesMentioning(side.daemon.root).filter((p) => names.includes(comm(p)));
}

/** Monitor processes, one per running container: conmon, or containerd-shim-runc-v2. */
function monitorPids(side: Side): number[] {
  const name = side.label === 'berth' ? 'conmon' : 'containerd-shim';
  return processesMentioning(side.daemon.root).filter((p) => comm(p).startsWith(name));
}

async function runRm(side: Side): Promise<void> {
  must(await side.docker(['run', '--rm', '--network', 'none', 'busybox', 'true']), `${side.label}: run --rm`);
}

async function startMany(side: Side, n: number, concurrency: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      must(await side.docker(['run', '-d', '--name', `bench-${i}`, '--network', 'none', 'busybox', 'sleep', '600']), `${side.label}: run -d #${i}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

async function removeAll(side: Side): Promise<void> {
  const ids = must(await side.docker(['ps', '-aq']), 'ps -aq').stdout.split('\n').filter(Boolean);
  for (let i = 0; i < ids.length; i += 20) {
    await side.docker(['rm', '-f', ...ids.slice(i, i + 20)], { timeoutMs: 120_000 });
  }
}

async function main(): Promise<void> {
  const sides: Side[] = [];
  try {
    for (const [label, target] of [['berth', 'berth'], ['docker', 'docker']] as const) {
      const daemon = await TestDaemon.start({ name: `bench-${label}`, target });
      const side = { label, daemon, docker: makeCli('docker', daemon.socket) };
      sides.push(side);
      await importBusybox(side.docker);
    }
    const [b, d] = sides as [Side, Side];
    const rows: Row[] = [];

    process.stderr.write(`run --rm: ${RUNS} runs each, alternating\n`);
    for (let i = 0; i < 2; i++) { await runRm(b); await runRm(d); } // warm-up
    const tb: number[] = [];
    const td: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      tb.push(await timed(() => runRm(b)));
      td.push(await timed(() => runRm(d)));
    }
    rows.push({ figure: '`docker run --rm --network none busybox true`, median', berth: median(tb), docker: median(td), unit: 'ms', goal: '≤ 1/3', limit: 1 / 3 });
    // Context for the figure above: what every docker command costs before it reaches a daemon.
    const floor: number[] = [];
    for (let i = 0; i < RUNS; i++) floor.push(await timed(() => b.docker(['--version'])));
    rows.push({ figure: '(context) `docker --version`: CLI start-up alone, no daemon, median', berth: median(floor), docker: median(floor), unit: 'ms', goal: '—', limit: NaN });

    await sleep(2000);
    // Both: the plain sum of RSS counts node's code twice for berthd (once in the spawner).
    const idleRss = sides.map((s) => daemonPids(s).reduce((a, p) => a + rssKiB(p), 0) / 1024);
    rows.push({ figure: 'daemon idle RSS, summed (berthd + spawner vs dockerd + containerd)', berth: idleRss[0]!, docker: idleRss[1]!, unit: 'MiB', goal: '≤ 1', limit: 1 });
    const idle = sides.map((s) => daemonPids(s).reduce((a, p) => a + pssKiB(p), 0) / 1024);
    rows.push({ figure: 'daemon idle PSS (berthd + spawner vs dockerd + containerd)', berth: idle[0]!, docker: idle[1]!, unit: 'MiB', goal: '≤ 1', limit: 1 });

    process.stderr.write(`${CONTAINERS} detached containers, concurrency ${CONCURRENCY}\n`);
    const many: number[] = [];
    const monitor: number[] = [];
    for (const s of sides) {
      many.push(await timed(() => startMany(s, CONTAINERS, CONCURRENCY)));
      await sleep(1000);
      const mons = monitorPids(s);
      if (mons.length < CONTAINERS) process.stderr.write(`${s.label}: found ${mons.length} monitors for ${CONTAINERS} containers\n`);
      monitor.push(mons.reduce((a, p) => a + rssKiB(p), 0) / Math.max(1, mons.length) / 1024);
      await removeAll(s);
    }
    rows.push({ figure: `${CONTAINERS} detached \`sleep\` containers, concurrency ${CONCURRENCY}, total`, berth: many[0]! / 1000, docker: many[1]! / 1000, unit: 's', goal: '≤ 1/2', limit: 1 / 2 });
    rows.push({ figure: 'monitor RSS per running container (conmon vs containerd-shim-runc-v2)', berth: monitor[0]!, docker: monitor[1]!, unit: 'MiB', goal: '≤ 1/4', limit: 1 / 4 });

    const cli = (await b.docker(['version', '--format', '{{.Client.Version}}'])).stdout.trim();
    const table = render(rows, `${new Date().toISOString()}: median of ${RUNS} alternating runs; both daemons driven by docker CLI ${cli}.`);
    process.stdout.write(table);
    if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, table);
  } finally {
    for (const s of sides) await s.daemon.stop();
  }
}

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function render(rows: Row[], footer: string): string {
  const out = [
    `| figure | berthd | dockerd 20.10 | berth / docker | goal | met |`,
    `| --- | ---: | ---: | ---: | :---: | :---: |`,
  ];
  for (const r of rows) {
    const ratio = r.docker > 0 ? r.berth / r.docker : NaN;
    const met = Number.isNaN(r.limit) ? '—' : ratio <= r.limit ? 'yes' : 'no';
    out.push(`| ${r.figure} | ${fmt(r.berth)} ${r.unit} | ${fmt(r.docker)} ${r.unit} | ${ratio.toFixed(2)} | ${r.goal} | ${met} |`);
  }
  out.push('', footer, '');
  return out.join('\n');
}

main().catch((e) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
