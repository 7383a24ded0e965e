/**
 * Benchmark (not part of CI): a real dockerd pushes and pulls a ~150 MB image (one layer
 * of random bytes) to `berth registry serve` and to the reference registry, in one netns.
 *   node dist/test/integration/registry/registry-bench.js [MB] [rounds]
 * Both registries run for the whole bench, as a registry does. Every round imports a new
 * image (new random bytes: the push uploads every byte, no 'layer exists' and no
 * cross-repository mount), pushes it to both, alternating which goes first, then pulls it
 * back from each after an rmi. Per push it prints wall time, the registry process's CPU
 * time (/proc/<pid>/stat) and, for berth, its slower requests (access log); at the end,
 * medians and the load average. BENCH_CPU_PROF=<dir> writes a V8 CPU profile of the berth
 * registry there.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { makeCli } from '../harness';
import { startDockerd } from '../distribution/fixtures';
import { startBerthRegistry, startReference, tmpDir } from './lib';

const TICK_MS = 1000 / 100; // USER_HZ

function cpuMs(pid: number | undefined): number {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_MS;
}

/** dockerd's pid, from its pidfile next to its socket. */
const pidOf = (socket: string) => Number(fs.readFileSync(path.join(path.dirname(socket), 'pid'), 'utf8'));

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

/** The berth access log's upload and blob requests after `from`: method, path tail, ms. */
function slowest(log: string, from: number): string {
  const lines = log.slice(from).split('\n').filter((l) => l.startsWith('{"time"')).map((l) => JSON.parse(l) as { method: string; path: string; status: number; ms: number });
  return lines.filter((l) => l.ms >= 5).map((l) => `${l.method} ${l.path.replace(/^\/v2\/[^?]*\/(blobs|manifests)\//, '$1/').slice(0, 24)} ${l.status} ${l.ms}ms`).join(', ');
}

async function main(): Promise<void> {
  const mb = Number(process.argv[2] ?? 150);
  const rounds = Number(process.argv[3] ?? 3);
  const netns = `berth-regbench-${process.pid}`;
  const work = tmpDir('berth-regbench-');
  execFileSync('ip', ['netns', 'add', netns]);
  execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  const nodeArgs = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const stops: (() => Promise<void>)[] = [];
  const times: Record<'berth' | 'reference', { push: number[]; pull: number[]; cpu: number[] }> = { berth: { push: [], pull: [], cpu: [] }, reference: { push: [], pull: [], cpu: [] } };
  const load0 = os.loadavg().map((l) => l.toFixed(1)).join(' ');
  try {
    const dd = await startDockerd(netns);
    stops.push(() => dd.stop());
    const docker = makeCli('docker', dd.socket);
    const regs = { berth: await startBerthRegistry({ netns, port: 5000, nodeArgs }), reference: await startReference(netns, 5001) };
    stops.push(() => regs.berth.stop(), () => regs.reference.stop());
    fs.mkdirSync(path.join(work, 'root'));
    for (let round = 0; round < rounds; round++) {
      execFileSync('head', ['-c', String(mb * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', fs.openSync(path.join(work, 'root', 'data.bin'), 'w'), 'inherit'] });
      const tar = execFileSync('tar', ['-C', path.join(work, 'root'), '-c', '.'], { maxBuffer: (mb + 10) << 20 });
      const src = `bench:${round}`;
      const imp = await docker(['import', '-', src], { input: tar, timeoutMs: 300_000 });
      if (imp.code !== 0) throw new Error(imp.stderr);
      const order = round % 2 === 0 ? (['berth', 'reference'] as const) : (['reference', 'berth'] as const);
      for (const name of order) {
        const reg = regs[name];
        const img = `127.0.0.1:${reg.port}/bench/img${round}:1`;
        await docker(['tag', src, img]);
        const logFrom = reg.log().length;
        const cpu0 = cpuMs(reg.proc.pid);
        const dcpu0 = cpuMs(pidOf(dd.socket));
        let t = Date.now();
        const p = await docker(['push', img], { timeoutMs: 600_000 });
        if (p.code !== 0) throw new Error(`${name} push: ${p.stderr}`);
        const push = Date.now() - t;
        const cpu = cpuMs(reg.proc.pid) - cpu0;
        const dcpu = cpuMs(pidOf(dd.socket)) - dcpu0;
        await docker(['rmi', img, src]);
        t = Date.now();
        const l = await docker(['pull', img], { timeoutMs: 600_000 });
        if (l.code !== 0) throw new Error(`${name} pull: ${l.stderr}`);
        const pull = Date.now() - t;
        await docker(['tag', img, src]);
        await docker(['rmi', img]);
        times[name].push.push(push);
        times[name].pull.push(pull);
        times[name].cpu.push(cpu);
        const detail = name === 'berth' ? `   [${slowest(reg.log(), logFrom)}]` : '';
        console.log(`${name.padEnd(10)} push ${(push / 1000).toFixed(2)} s (registry CPU ${Math.round(cpu)} ms, dockerd ${Math.round(dcpu)} ms)   pull ${(pull / 1000).toFixed(2)} s${detail}`);
      }
      await docker(['rmi', src]);
    }
    const s = (n: number) => `${(n / 1000).toFixed(2)} s`;
    for (const name of ['berth', 'reference'] as const) {
      console.log(`median ${name.padEnd(10)} push ${s(median(times[name].push))} (registry CPU ${Math.round(median(times[name].cpu))} ms)   pull ${s(median(times[name].pull))}`);
    }
    console.log(`${mb} MB, ${rounds} rounds; load average before ${load0}, after ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  } finally {
    for (const st of stops.reverse()) await st().catch(() => undefined);
    execFileSync('ip', ['netns', 'del', netns]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
