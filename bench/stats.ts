/**
 * Issue 3's benchmark: `docker stats --no-stream` over 50 running containers and
 * `docker exec <c> true`, berthd vs dockerd in the same run, both through the real docker CLI.
 * Goal: each median at most 1/2 of dockerd's. Runs alternate berthd, dockerd, ...; medians.
 * It also times the exec's floor, what no daemon on runc can go below: plain `runc exec <c>
 * true` on berthd's container, plus the docker CLI's own `docker exec` against a socket that
 * answers its requests at once (start-up, ping, container inspect, exec create, start, inspect).
 * Knobs: BENCH_STATS_CONTAINERS (50), BENCH_STATS_RUNS (7), BENCH_EXEC_RUNS (21).
 * Run as root: node dist/bench/stats.js
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
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

/** Answers the docker CLI's `docker exec` requests at once: the CLI's own cost of an exec. */
function instantServer(socket: string): Promise<http.Server> {
  const json = (res: http.ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Api-Version': '1.43' });
    res.end(JSON.stringify(body));
  };
  const server = http.createServer((req, res) => {
    const url = req.url ?? '';
    req.resume();
    if (url.endsWith('/_ping')) { res.writeHead(200, { 'Content-Type': 'text/plain', 'Api-Version': '1.43' }); res.end('OK'); return; }
    if (req.method === 'GET' && /\/containers\/[^/]+\/json/.test(url)) {
      json(res, 200, { Id: 'f'.repeat(64), State: { Running: true, Status: 'running' }, Config: { Tty: false, OpenStdin: false }, HostConfig: {} });
    } else if (req.method === 'POST' && /\/containers\/[^/]+\/exec$/.test(url)) json(res, 201, { Id: 'e'.repeat(64) });
    else if (req.method === 'GET' && /\/exec\/[^/]+\/json/.test(url)) json(res, 200, { ID: 'e'.repeat(64), Running: false, ExitCode: 0, Pid: 0 });
    else json(res, 404, { message: `not here: ${url}` });
  });
  // exec start is a hijack: answer the upgrade, then end the (empty) stream
  server.on('upgrade', (_req, sock: Socket) => {
    sock.end('HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n');
  });
  return new Promise((resolve) => server.listen(socket, () => resolve(server)));
}

function runcExec(runcRoot: string, id: string): Promise<number> {
  const t0 = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile('/usr/sbin/runc', ['--root', runcRoot, 'exec', id, 'true'], (err) => {
      if (err) reject(err); else resolve(Number(process.hrtime.bigint() - t0) / 1e6);
    });
  });
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
    // the floor: runc exec alone (on berthd's container) and the CLI against instant answers
    const id = (await b.cli(['inspect', '-f', '{{.Id}}', 'st0'])).stdout.trim();
    const runcRoot = path.join(b.d.execRoot, 'runtime', 'runc');
    const sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-bench-exec-'));
    const instant = await instantServer(path.join(sockDir, 'd.sock'));
    const cliOnly = makeCli('docker', path.join(sockDir, 'd.sock'));
    const runc: number[] = [];
    const cli: number[] = [];
    try {
      for (let i = 0; i < EXEC_RUNS; i++) {
        runc.push(await runcExec(runcRoot, id));
        cli.push(await timed(cliOnly, ['exec', 'st0', 'true']));
      }
    } finally {
      instant.close();
      fs.rmSync(sockDir, { recursive: true, force: true });
    }
    const floor = median(runc) + median(cli);
    const row = (what: string, x: number, y: number) => `| ${what} | ${x.toFixed(0)} ms | ${y.toFixed(0)} ms | ${(x / y).toFixed(2)} | ≤ 0.5 | ${x <= y / 2 ? 'yes' : 'no'} |`;
    const table = [
      `${CONTAINERS} running containers; medians of ${RUNS} (stats) and ${EXEC_RUNS} (exec) alternating runs, docker CLI 28 against each daemon:`,
      '',
      '| figure | berthd | dockerd | berth / docker | goal | met |',
      '| --- | ---: | ---: | ---: | :---: | :---: |',
      row(`docker stats --no-stream (${CONTAINERS} containers)`, median(b.stats), median(dk.stats)),
      row('docker exec <c> true', median(b.exec), median(dk.exec)),
      '',
      `exec floor: plain \`runc exec <c> true\` ${median(runc).toFixed(0)} ms + the docker CLI against instant answers ${median(cli).toFixed(0)} ms`
        + ` = ${floor.toFixed(0)} ms, ${(floor / median(dk.exec)).toFixed(2)} of dockerd's exec (berthd's exec is ${(median(b.exec) - floor).toFixed(0)} ms above it)`,
      '',
    ].join('\n');
    process.stdout.write(`${table}\n`);
  } finally {
    for (const s of sides) await s.d.stop().catch(() => undefined);
  }
}

main().catch((e) => { process.stderr.write(`${(e as Error).stack ?? String(e)}\n`); process.exit(1); });
