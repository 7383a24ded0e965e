/**
 * Networking benchmarks, berthd vs dockerd in the same run, both driven by the docker CLI,
 * each daemon in its own netns with its default bridge and iptables on (dockerd with its
 * userland proxy, its default):
 *   1. `docker run --rm busybox true` on the default bridge vs `--network none`, median of
 *      BENCH_RUNS alternating runs (berthd), and dockerd on its default bridge
 *   2. throughput into a published port on 127.0.0.1 from the daemon's netns: BENCH_MB MiB
 *      pushed by node into `nc -l | wc -c` in the container (checked), median of
 *      BENCH_TRANSFERS (5) transfers per daemon, interleaved
 * Usage: npx tsc -p . && node dist/bench/network.js
 */
import { execFile } from 'node:child_process';
import { Cli, TestDaemon, importBusybox, makeCli, sleep } from '../test/integration/harness';

const RUNS = Number(process.env.BENCH_RUNS ?? 21);
const MB = Number(process.env.BENCH_MB ?? 512);
const TRANSFERS = Number(process.env.BENCH_TRANSFERS ?? 5);

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

/** Pushes `mb` MiB into host:port from inside the netns (node, since busybox nc stops early); MiB/s. */
const PUSH = `const net=require('net');const [h,p,mb]=[process.argv[1],+process.argv[2],+process.argv[3]];const c=Buffer.alloc(1<<20);let t0;
const s=net.connect(p,h,()=>{t0=process.hrtime.bigint();let n=0;const w=()=>{while(n<mb){n++;if(!s.write(c)){s.once('drain',w);return;}}s.end();};w();});
s.on('close',()=>console.log(mb/(Number(process.hrtime.bigint()-t0)/1e9)));s.on('error',()=>{});`;

function push(netns: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', PUSH, '127.0.0.1', String(port), String(MB)], { timeout: 300_000 },
      (e, out) => (e ? reject(e) : resolve(Number(out.trim()))));
  });
}

/** One transfer into a fresh `nc -l` container behind 127.0.0.1:port, checked; MiB/s. */
async function transfer(d: TestDaemon, cli: Cli, port: number, i: number): Promise<number> {
  const name = `tp-${port}-${i}`;
  // A stdin that never ends: busybox nc closes the connection when its stdin does.
  await must(cli, ['run', '-d', '--name', name, '-p', `127.0.0.1:${port}:80`, 'busybox', 'sh', '-c', 'sleep 100000 | nc -l -p 80 | wc -c']);
  await sleep(1000);
  const rate = await push(d.netns, port);
  await sleep(500);
  const got = Number((await cli(['logs', name])).stdout.trim());
  await cli(['rm', '-f', name]);
  if (got !== MB * 1048576) throw new Error(`throughput: the container got ${got} bytes of ${MB} MiB`);
  return rate;
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
    // Interleaved, so that both daemons see the same load; the median of TRANSFERS each.
    const rates: Record<'berth' | 'docker', number[]> = { berth: [], docker: [] };
    for (let i = 0; i < TRANSFERS; i++) {
      rates.berth.push(await transfer(berth, b, 18777, i));
      rates.docker.push(await transfer(docker, k, 18778, i));
    }
    const [tb, td] = [median(rates.berth), median(rates.docker)];
    const rows = [
      '| figure | berthd | dockerd | goal |',
      '|---|---|---|---|',
      `| run --rm true, default bridge (median of ${RUNS}) | ${bridge.toFixed(0)} ms | ${dk.toFixed(0)} ms | berth/docker <= 0.33: ${(bridge / dk).toFixed(2)} |`,
      `| run --rm true, --network none (berthd) | ${none.toFixed(0)} ms | | bridge - none <= 15 ms: ${(bridge - none).toFixed(1)} ms |`,
      `| published port on 127.0.0.1, ${MB} MiB (median of ${TRANSFERS}, interleaved) | ${tb.toFixed(0)} MiB/s | ${td.toFixed(0)} MiB/s | berth/docker >= 0.8: ${(tb / td).toFixed(2)} |`,
    ];
    process.stdout.write(rows.join('\n') + '\n');
  } finally {
    await berth.stop();
    await docker.stop();
  }
}

main().catch((e) => { process.stderr.write(`${String(e)}\n`); process.exit(1); });
