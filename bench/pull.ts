/**
 * docker pull and docker push of a ~150 MB image of 8 layers: berthd vs dockerd 20.10 on the
 * same machine, same run, same loopback registry (Debian's docker-registry in berthd's
 * netns; dockerd is started in that netns too), both driven by the real docker CLI
 * (issue 4's goals: pull at most 0.7 of dockerd's time, push at most dockerd's).
 *
 * Pull: rmi + wait, then `docker pull`, alternating berthd, dockerd, ...; medians.
 * Push: each run pushes to a fresh registry (so nothing is skipped or mounted).
 * Also the CPU time each pull cost the daemon (its process and reaped children, from
 * /proc/<pid>/stat) and the registry: on a 2-core machine the pull is CPU-bound.
 * Knobs: BENCH_PULL_RUNS (default 5), BENCH_PULL_MB (150), BENCH_PULL_TIMELINE=1 (print
 * where each berthd pull spent its time). Run as root: node dist/bench/pull.js
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { type Cli, TestDaemon, makeCli } from '../test/integration/harness';
import { addOciImage, busyboxLayer, skopeoCopy, startDockerd, startRegistry, writeIndex, type Registry } from '../test/integration/distribution/fixtures';
import { execFileSync } from 'node:child_process';

const RUNS = Number(process.env.BENCH_PULL_RUNS ?? 5);
const MB = Number(process.env.BENCH_PULL_MB ?? 150);

/** A layer tar of about `mb` MiB: half random (incompressible), half text, in files of 64 KiB-4 MiB. */
function layerTar(work: string, i: number, mb: number): Buffer {
  const dir = path.join(work, `l${i}`);
  const root = path.join(dir, `layer${i}`);
  fs.mkdirSync(root, { recursive: true });
  let left = mb << 20;
  let n = 0;
  const text = Buffer.from(Array.from({ length: 4096 }, (_, k) => `line ${k} of some configuration text ${i}\n`).join(''));
  while (left > 0) {
    const size = Math.min(left, (64 << 10) << (n % 7));
    const data = n % 2 ? randomBytes(size) : Buffer.concat(Array(Math.ceil(size / text.length)).fill(text)).subarray(0, size);
    fs.writeFileSync(path.join(root, `f${n}`), data);
    left -= size;
    n++;
  }
  const tar = execFileSync('tar', ['--numeric-owner', '--mtime=2020-01-01', '-C', dir, '-cf', '-', `layer${i}`], { maxBuffer: 1 << 30 });
  fs.rmSync(dir, { recursive: true, force: true });
  return tar;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The pid of the daemon serving `socket` (dockerd's fixture does not tell). */
function daemonPid(socket: string): number {
  for (const p of fs.readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (path.basename(argv[0]) === 'dockerd' && argv.includes(`unix://${socket}`)) return Number(p);
    } catch { /* gone */ }
  }
  throw new Error(`no dockerd on ${socket}`);
}

/** utime + stime + cutime + cstime of a process, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) * 10;
}

async function timed(cli: Cli, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await cli(args, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stdout}${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function main(): Promise<void> {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-pull-'));
  let d: TestDaemon | undefined;
  let reg: Registry | undefined;
  let dockerd: Awaited<ReturnType<typeof startDockerd>> | undefined;
  try {
    // BENCH_PULL_TIMELINE=1: berthd logs at debug level; its per-pull timelines are printed at the end
    const timeline = process.env.BENCH_PULL_TIMELINE === '1';
    d = await TestDaemon.start({ name: 'bench-pull', target: 'berth', extraArgs: timeline ? ['--log-level', 'debug'] : [] });
    reg = await startRegistry(d.netns);
    dockerd = await startDockerd(d.netns);
    const layers = [busyboxLayer()];
    for (let i = 0; i < 7; i++) layers.push(layerTar(work, i, Math.round(MB / 7)));
    const layout = path.join(work, 'layout');
    const img = addOciImage(layout, layers);
    writeIndex(layout, [{ img }]);
    skopeoCopy(d.netns, `oci:${layout}:latest`, `docker://${reg.host}/big:latest`, { format: 'v2s2' });
    const compressed = fs.readdirSync(path.join(layout, 'blobs', 'sha256')).reduce((n, f) => n + fs.statSync(path.join(layout, 'blobs', 'sha256', f)).size, 0);
    fs.rmSync(layout, { recursive: true, force: true });
    const ref = `${reg.host}/big:latest`;
    const sides = [
      { label: 'berthd', cli: makeCli('docker', d.socket), pid: d.pid!, pull: [] as number[], push: [] as number[], cpu: [] as number[], regCpu: [] as number[] },
      { label: 'dockerd', cli: makeCli('docker', dockerd.socket), pid: daemonPid(dockerd.socket), pull: [] as number[], push: [] as number[], cpu: [] as number[], regCpu: [] as number[] },
    ];
    for (const s of sides) await timed(s.cli, ['pull', '-q', ref]); // warm-up
    const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    for (let i = 0; i < RUNS; i++) {
      for (const s of sides) {
        await timed(s.cli, ['rmi', ref]);
        await new Promise((r) => setTimeout(r, 1000)); // layer removal settles on both
        const c0 = cpuMs(s.pid);
        const r0 = cpuMs(reg.proc.pid!);
        s.pull.push(await timed(s.cli, ['pull', '-q', ref]));
        s.cpu.push(cpuMs(s.pid) - c0);
        s.regCpu.push(cpuMs(reg.proc.pid!) - r0);
      }
    }
    for (let i = 0; i < RUNS; i++) {
      for (const s of sides) {
        const target = await startRegistry(d.netns);
        try {
          const to = `${target.host}/pushed:${i}`;
          await timed(s.cli, ['tag', ref, to]);
          s.push.push(await timed(s.cli, ['push', '-q', to]));
          await timed(s.cli, ['rmi', to]);
        } finally { await target.stop(); }
      }
    }
    const [b, dk] = sides;
    const row = (what: string, x: number, y: number, goal: number) => `| ${what} | ${(x / 1000).toFixed(2)} s | ${(y / 1000).toFixed(2)} s | ${(x / y).toFixed(2)} | ≤ ${goal} | ${x <= goal * y ? 'yes' : 'no'} |`;
    const table = [
      `Image: ${layers.length} layers, ${(layers.reduce((n, l) => n + l.length, 0) / 1048576).toFixed(0)} MiB of tars, ${(compressed / 1048576).toFixed(0)} MiB compressed; median of ${RUNS} alternating runs:`,
      '',
      '| figure | berthd | dockerd | berth / docker | goal | met |',
      '| --- | ---: | ---: | ---: | :---: | :---: |',
      row('docker pull (after rmi)', median(b.pull), median(dk.pull), 0.7),
      row('docker push (to an empty registry)', median(b.push), median(dk.push), 1),
      '',
      `raw pull ms: berthd ${b.pull.map((x) => x.toFixed(0)).join(', ')}; dockerd ${dk.pull.map((x) => x.toFixed(0)).join(', ')}`,
      `pull CPU ms (median): berthd ${median(b.cpu)}, dockerd ${median(dk.cpu)}; the registry serving them ${median(b.regCpu)}, ${median(dk.regCpu)}; load average before: ${load0}`,
      `raw push ms: berthd ${b.push.map((x) => x.toFixed(0)).join(', ')}; dockerd ${dk.push.map((x) => x.toFixed(0)).join(', ')}`,
    ].join('\n');
    process.stdout.write(table + '\n');
    if (timeline) for (const l of d.log().split('\n').filter((x) => x.includes('msg="pull '))) process.stdout.write(`${l.replace(/^.*msg=/, '')}\n`);
    const resDir = path.join(__dirname, '..', '..', 'bench', 'results');
    fs.mkdirSync(resDir, { recursive: true });
    fs.writeFileSync(path.join(resDir, `pull-${new Date().toISOString().replace(/[:.]/g, '-')}.md`), table + '\n');
  } finally {
    await dockerd?.stop();
    await reg?.stop();
    await d?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack ?? e}\n`); process.exit(1); });
