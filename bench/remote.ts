/**
 * The cost of remote access: the real docker CLI against one berthd over its unix socket
 * and over TCP with mutual TLS (certificates made by openssl, as in the tests), in the same
 * run (and, for reference, a dockerd the same way). Both clients run through `nsenter --net` into the daemon's netns, so the only
 * difference is the transport. Runs alternate unix/TLS; medians are compared.
 *   node dist/bench/remote.js        (BENCH_RUNS, default 31)
 * Prints a markdown table (also written to the file named by BENCH_OUT).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestDaemon, importBusybox, makeCli, type CliResult, type Target } from '../test/integration/harness';
import { DOCKER_ARGV, configDir, inNetns, makeCerts, type Certs } from '../test/integration/remote/fixtures';

const RUNS = Number(process.env.BENCH_RUNS ?? 31);
const PORT = 2376;

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

async function measure(daemon: Target, root: string, certs: Certs): Promise<string[]> {
  const d = await TestDaemon.start({
    name: `bench-remote-${daemon}`,
    target: daemon,
    extraArgs: ['-H', `tcp://127.0.0.1:${PORT}`, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey],
  });
  try {
    await importBusybox(makeCli('docker', d.socket));
    const cfg = configDir(root, 'docker');
    const envs = {
      unix: { DOCKER_HOST: d.host, DOCKER_CONFIG: cfg },
      tls: { DOCKER_HOST: `tcp://127.0.0.1:${PORT}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.clientDir, DOCKER_CONFIG: cfg },
    };
    const cases: [string, string[]][] = [
      ['`docker ps`', ['ps']],
      ['`docker run --rm --network none busybox true`', ['run', '--rm', '--network', 'none', 'busybox', 'true']],
    ];
    const rows: string[] = [];
    const who = daemon === 'berth' ? 'berthd' : 'dockerd 20.10 (reference)';
    for (const [label, args] of cases) {
      const t = { unix: [] as number[], tls: [] as number[] };
      const cpu = { unix: 0, tls: 0 };
      for (const side of ['unix', 'tls'] as const) await timed(() => inNetns(d.netns, [...DOCKER_ARGV, ...args], envs[side])); // warm-up
      for (let i = 0; i < RUNS; i++) {
        for (const side of (i % 2 ? ['tls', 'unix'] : ['unix', 'tls']) as ('unix' | 'tls')[]) {
          const c0 = daemonCpuMs(d.pid);
          t[side].push(await timed(() => inNetns(d.netns, [...DOCKER_ARGV, ...args], envs[side])));
          cpu[side] += daemonCpuMs(d.pid) - c0;
        }
      }
      const u = median(t.unix);
      const s = median(t.tls);
      const ratio = s / u;
      const daemonCpu = `${(cpu.unix / RUNS).toFixed(2)} / ${(cpu.tls / RUNS).toFixed(2)} ms`;
      rows.push(`| ${who} | ${label} | ${u.toFixed(1)} ms | ${s.toFixed(1)} ms | ${ratio.toFixed(2)}x | <= 1.2x | ${ratio <= 1.2 ? 'met' : 'NOT met'} | ${daemonCpu} |`);
    }
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
