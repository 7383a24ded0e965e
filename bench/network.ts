/**
 * Networking benchmarks, berthd vs dockerd in the same run, both driven by the docker CLI,
 * each daemon in its own netns with its default bridge and iptables on (dockerd with its
 * userland proxy, its default):
 *   1. `docker run --rm busybox true` on the default bridge vs `--network none`, median of
 *      BENCH_RUNS alternating runs (berthd), and dockerd on its default bridge
 *   2. throughput into a published port on 127.0.0.1 from the daemon's netns: BENCH_MB MiB
 *      pushed with busybox nc into `nc -l` in the container, best of 3
 * Usage: npx tsc -p . && node dist/bench/network.js
 */
import { execFile } from 'node:child_process';
import { Cli, TestDaemon, importBusybox, makeCli, sleep } from '../test/integration/harness';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const MB = Number(process.env.BENCH_MB ?? 512);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

async function must(cli: Cli, args: string[]): Promise<string> {
  const r = await cli(args);
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function inNetns(netns: string, script: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('nsenter', [`--net=/run/netns/${netns}`, 'sh', '-c', script], { timeout: 120_000 }, (e) => (e ? reject(e) : resolve()));
  });
}

async function throughput(d: TestDaemon, cli: Cli, port: number): Promise<number> {
  let best = 0;
  for (let i = 0; i < 3; i++) {
    const name = `tp-${port}-${i}`;
    await must(cli, ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'nc -l -p 80 > /dev/null']);
    await sleep(500);
    const ms = await timed(() => inNetns(d.netns, `dd if=/dev/zero bs=1M count=${MB} 2>/dev/null | busybox nc -w 2 127.0.0.1 ${port}`));
    best = Math.max(best, MB / (ms / 1000));
    await cli(['rm', '-f', name]);
  }
  return best;
}

async function main(): Promise<void> {
  const berth = await TestDaemon.start({ name: 'bench-net-berth', target: 'berth', extraArgs: ['--bridge', 'berth0'] });
  const docker = await TestDaemon.start({ name: 'bench-net-docker', target: 'docker', extraArgs: ['--bridge=', '--iptables=true', '--ip-masq=true', '--userland-proxy=true'] });
  try {
    const b = makeCli('docker', berth.socket);
    const k = makeCli('docker', docker.socket);
    await importBusybox(b);
    await importBusybox(k);
    const times: Record<string, number[]> = { bridge: [], none: [], docker: [] };
    for (const cli of [b, k]) for (let i = 0; i < 2; i++) await must(cli, ['run', '--rm', 'busybox', 'true']);
    for (let i = 0; i < RUNS; i++) {
      times.none.push(await timed(() => must(b, ['run', '--rm', '--network', 'none', 'busybox', 'true'])));
      times.bridge.push(await timed(() => must(b, ['run', '--rm', 'busybox', 'true'])));
      times.docker.push(await timed(() => must(k, ['run', '--rm', 'busybox', 'true'])));
    }
    const [none, bridge, dk] = [median(times.none), median(times.bridge), median(times.docker)];
    const tb = await throughput(berth, b, 18777);
    const td = await throughput(docker, k, 18778);
    const rows = [
      '| figure | berthd | dockerd | goal |',
      '|---|---|---|---|',
      `| run --rm true, default bridge (median of ${RUNS}) | ${bridge.toFixed(0)} ms | ${dk.toFixed(0)} ms | berth/docker <= 0.33: ${(bridge / dk).toFixed(2)} |`,
      `| run --rm true, --network none (berthd) | ${none.toFixed(0)} ms | | bridge - none <= 15 ms: ${(bridge - none).toFixed(1)} ms |`,
      `| published port on 127.0.0.1, ${MB} MiB (best of 3) | ${tb.toFixed(0)} MiB/s | ${td.toFixed(0)} MiB/s | berth/docker >= 0.8: ${(tb / td).toFixed(2)} |`,
    ];
    process.stdout.write(rows.join('\n') + '\n');
  } finally {
    await berth.stop();
    await docker.stop();
  }
}

main().catch((e) => { process.stderr.write(`${String(e)}\n`); process.exit(1); });
