/**
 * docker build (classic) on berthd vs dockerd, same run, same machine: a 9-step Dockerfile
 * over a 50 MB context (random data, so nothing compresses away), built cold (--no-cache)
 * and then fully cached, median of BENCH_RUNS (default 5) alternating runs.
 * Goals (issue 8): cold at most 0.8 of dockerd's time, cached rebuild at most 0.5.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { type Cli, TestDaemon, importBusybox, makeCli } from '../test/integration/harness';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const DOCKERFILE = `FROM busybox
ENV APP=/app MODE=bench
WORKDIR /app
COPY data/ /app/data/
RUN find /app/data -type f | wc -l > /app/count
COPY small.txt /app/
RUN md5sum /app/small.txt > /app/small.md5
LABEL bench=build
CMD ["cat", "/app/count"]
`;

function makeContext(dir: string): void {
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  for (let i = 0; i < 50; i++) fs.writeFileSync(path.join(dir, 'data', `blob-${i}.bin`), randomBytes(1 << 20));
  for (let i = 0; i < 200; i++) fs.writeFileSync(path.join(dir, 'data', `small-${i}.txt`), `file ${i}\n`);
  fs.writeFileSync(path.join(dir, 'small.txt'), 'small\n');
  fs.writeFileSync(path.join(dir, 'Dockerfile'), DOCKERFILE);
}

const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

async function timed(cli: Cli, args: string[]): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await cli(args, { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * The floor under any daemon: the same `docker build` against a socket that only reads the
 * context and answers at once (the CLI's start, its walk of the context and its sending).
 */
function drainServer(socket: string): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.url?.includes('/_ping')) { res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.43' }); res.end('OK'); return; }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(`${JSON.stringify({ aux: { ID: `sha256:${'0'.repeat(64)}` } })}\r\n${JSON.stringify({ stream: 'Successfully built 000000000000\n' })}\r\n`);
    });
  });
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

const load = () => os.loadavg().map((x) => x.toFixed(1)).join(' ');

async function main(): Promise<void> {
  const loadBefore = load();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-build-'));
  const sides: { label: string; d: TestDaemon; cli: Cli; cold: number[]; cached: number[] }[] = [];
  const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-drain-'));
  const drain = await drainServer(path.join(sockDir, 'd.sock'));
  const floor: number[] = [];
  try {
    makeContext(work);
    const drainCli = makeCli('docker', path.join(sockDir, 'd.sock'));
    for (const target of ['berth', 'docker'] as const) {
      const d = await TestDaemon.start({ name: `bench-build-${target}`, target });
      const cli = makeCli('docker', d.socket);
      sides.push({ label: target === 'berth' ? 'berthd' : 'dockerd', d, cli, cold: [], cached: [] });
      await importBusybox(cli);
      await timed(cli, ['build', '-t', 'bench', work]); // warm-up
    }
    for (let i = 0; i < RUNS; i++) {
      for (const s of sides) {
        s.cold.push(await timed(s.cli, ['build', '--no-cache', '-t', 'bench', work]));
        s.cached.push(await timed(s.cli, ['build', '-t', 'bench', work]));
      }
      floor.push(await timed(drainCli, ['build', '-t', 'bench', work]));
    }
    const [b, dk] = sides;
    const row = (what: string, x: number, y: number, goal: number) => `| ${what} | ${(x / 1000).toFixed(2)} s | ${(y / 1000).toFixed(2)} s | ${(x / y).toFixed(2)} | ≤ ${goal} | ${x / y <= goal ? 'yes' : 'no'} |`;
    const table = [
      `docker build (classic), 9 steps, 50 MB context, median of ${RUNS} alternating runs`,
      `(load average ${loadBefore} before, ${load()} after):`,
      '',
      '| figure | berthd | dockerd | berth / docker | goal | met |',
      '| --- | ---: | ---: | ---: | :---: | :---: |',
      row('cold build (--no-cache)', median(b.cold), median(dk.cold), 0.8),
      row('fully cached rebuild', median(b.cached), median(dk.cached), 0.5),
      '',
      `floor (the CLI sending the context to a socket that only reads it): ${(median(floor) / 1000).toFixed(2)} s`,
      '',
      ...sides.map((s) => `${s.label}: cold ${s.cold.map((x) => (x / 1000).toFixed(2)).join(' ')}; cached ${s.cached.map((x) => (x / 1000).toFixed(2)).join(' ')}`),
      '',
    ].join('\n');
    process.stdout.write(table);
    if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, table);
  } finally {
    for (const s of sides) await s.d.stop().catch(() => undefined);
    drain.close();
    fs.rmSync(sockDir, { recursive: true, force: true });
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
