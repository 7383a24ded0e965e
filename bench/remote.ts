/**
 * The cost of remote access: the real docker CLI against one berthd over its unix socket
 * and over TCP with mutual TLS (certificates made by openssl, as in the tests), in the same
 * run (and, for reference, a dockerd the same way). Both clients run through `nsenter --net`
 * into the daemon's netns, so the only difference is the transport. Runs alternate unix/TLS;
 * medians are compared. A last row times `docker ps` against a bare Node server behind the
 * same TLS set-up (bench/tls-floor-server.ts): what Node's TLS costs with no engine behind it.
 *   node dist/bench/remote.js        (BENCH_RUNS, default 31)
 * Prints a markdown table (also written to the file named by BENCH_OUT).
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestDaemon, importBusybox, makeCli, type CliResult, type Target } from '../test/integration/harness';
import { DOCKER_ARGV, configDir, inNetns, makeCerts, type Certs } from '../test/integration/remote/fixtures';

const RUNS = Number(process.env.BENCH_RUNS ?? 31);
const PORT = 2376;
const FLOOR_PORT = 2377;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

async function timed(fn: () => Promise<CliResult>): Promise<number> {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.code !== 0) throw new Error(`command failed (${r.code}): ${r.stderr}`);
  return ms;
}

/**
 * CPU time the daemon process has used so far (all its threads, from the scheduler's
 * nanosecond accounting): what one command costs the daemon, which load on the machine
 * stretches far less than wall time.
 */
function daemonCpuMs(pid: number | undefined): number {
  if (!pid) return 0;
  let ns = 0;
  try {
    for (const t of fs.readdirSync(`/proc/${pid}/task`)) {
      try { ns += Number(fs.readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]); } catch { /* thread gone */ }
    }
  } catch { /* process gone */ }
  return ns / 1e6;
}

type Side = 'unix' | 'tls';
interface Subject { who: string; netns: string; pid: number | undefined; envs: Record<Side, Record<string, string>> }

/** RUNS alternating unix/TLS runs of one docker command (after a warm-up of each): one table row. */
async function row(x: Subject, label: string, args: string[]): Promise<string> {
  const t = { unix: [] as number[], tls: [] as number[] };
  const cpu = { unix: 0, tls: 0 };
  const once = (side: Side) => timed(() => inNetns(x.netns, [...DOCKER_ARGV, ...args], x.envs[side]));
  for (const side of ['unix', 'tls'] as const) await once(side); // warm-up
  for (let i = 0; i < RUNS; i++) {
    for (const side of (i % 2 ? ['tls', 'unix'] : ['unix', 'tls']) as Side[]) {
      const c0 = daemonCpuMs(x.pid);
      t[side].push(await once(side));
      cpu[side] += daemonCpuMs(x.pid) - c0;
    }
  }
  const u = median(t.unix);
  const s = median(t.tls);
  const ratio = s / u;
  const daemonCpu = `${(cpu.unix / RUNS).toFixed(2)} / ${(cpu.tls / RUNS).toFixed(2)} ms`;
  return `| ${x.who} | ${label} | ${u.toFixed(1)} ms | ${s.toFixed(1)} ms | ${ratio.toFixed(2)}x | <= 1.2x | ${ratio <= 1.2 ? 'met' : 'NOT met'} | ${daemonCpu} |`;
}

const envsFor = (host: string, port: number, root: string, certs: Certs): Record<Side, Record<string, string>> => {
  const cfg = configDir(root, 'docker');
  return {
    unix: { DOCKER_HOST: host, DOCKER_CONFIG: cfg },
    tls: { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.clientDir, DOCKER_CONFIG: cfg },
  };
};

/**
 * The floor: bench/tls-floor-server.ts (a bare Node HTTP server answering `docker ps` at
 * once, behind berthd's own TLS listener set-up) in the daemon's netns, timed the same way.
 * Its ratio is what Node's TLS alone costs a command this short.
 */
async function floorRow(netns: string, root: string, certs: Certs): Promise<string> {
  const sock = path.join(root, 'floor.sock');
  const child = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, path.join(__dirname, 'tls-floor-server.js'), sock, String(FLOOR_PORT), certs.ca, certs.serverCert, certs.serverKey], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.once('data', () => resolve());
      child.once('exit', (code) => reject(new Error(`floor server exited (${code})`)));
    });
    // nsenter execs node: the child's pid is the server's
    return await row({ who: 'bare Node TLS + HTTP server (floor)', netns, pid: child.pid, envs: envsFor(`unix://${sock}`, FLOOR_PORT, root, certs) }, '`docker ps`', ['ps']);
  } finally {
    child.kill();
  }
}

async function measure(daemon: Target, root: string, certs: Certs): Promise<string[]> {
  const d = await TestDaemon.start({
    name: `bench-remote-${daemon}`,
    target: daemon,
    extraArgs: ['-H', `tcp://127.0.0.1:${PORT}`, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey],
  });
  try {
    await importBusybox(makeCli('docker', d.socket));
    const x: Subject = { who: daemon === 'berth' ? 'berthd' : 'dockerd 20.10 (reference)', netns: d.netns, pid: d.pid, envs: envsFor(d.host, PORT, root, certs) };
    const rows = [
      await row(x, '`docker ps`', ['ps']),
      await row(x, '`docker run --rm --network none busybox true`', ['run', '--rm', '--network', 'none', 'busybox', 'true']),
    ];
    if (daemon === 'berth') rows.push(await floorRow(d.netns, root, certs));
    return rows;
  } finally {
    await d.stop();
  }
}

/** The 1-minute load average: figures from a shared 2-core machine mean little without it. */
const loadavg = (): string => os.loadavg()[0].toFixed(1);

async function main(): Promise<void> {
  const load0 = loadavg();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-bench-remote-'));
  const certs = makeCerts(path.join(root, 'certs'));
  try {
    const rows = await measure('berth', root, certs);
    // The same measurement against dockerd shows what TLS costs the docker CLI by itself.
    if (process.env.BENCH_DOCKERD !== '0' && fs.existsSync('/usr/sbin/dockerd')) rows.push(...(await measure('docker', root, certs)));
    const table = [
      `Remote access (${RUNS} runs each, alternating, medians; docker CLI ${DOCKER_ARGV[0]}; TLS 1.3, P-256 keys, client certificates verified;`
        + ` Node ${process.versions.node}, OpenSSL ${process.versions.openssl}; load average ${load0} at start, ${loadavg()} at end):`,
      '',
      '| daemon | command | unix socket | TCP + mutual TLS | TLS / unix | goal | | daemon CPU per command, unix / TLS |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n');
    process.stdout.write(`${table}\n`);
    if (process.env.BENCH_OUT) fs.writeFileSync(process.env.BENCH_OUT, `${table}\n`);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? e}\n`);
  process.exit(1);
});
