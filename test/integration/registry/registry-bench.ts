/**
 * Benchmark (not part of CI): a real dockerd pushes and pulls a ~150 MB image (one layer
 * of random bytes) to `berth registry serve` and to the reference registry, in one netns.
 *   node dist/test/integration/registry/registry-bench.js [MB]
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { makeCli } from '../harness';
import { startDockerd } from '../distribution/fixtures';
import { startBerthRegistry, startReference, tmpDir } from './lib';

async function main(): Promise<void> {
  const mb = Number(process.argv[2] ?? 150);
  const netns = `berth-regbench-${process.pid}`;
  const work = tmpDir('berth-regbench-');
  execFileSync('ip', ['netns', 'add', netns]);
  execFileSync('ip', ['-n', netns, 'link', 'set', 'lo', 'up']);
  const stops: (() => Promise<void>)[] = [];
  try {
    const dd = await startDockerd(netns);
    stops.push(() => dd.stop());
    const docker = makeCli('docker', dd.socket);
    fs.mkdirSync(path.join(work, 'root'));
    execFileSync('head', ['-c', String(mb * 1024 * 1024), '/dev/urandom'], { stdio: ['ignore', fs.openSync(path.join(work, 'root', 'data.bin'), 'w'), 'inherit'] });
    const tar = execFileSync('tar', ['-C', path.join(work, 'root'), '-c', '.'], { maxBuffer: (mb + 10) << 20 });
    const imp = await docker(['import', '-', 'bench:1'], { input: tar, timeoutMs: 300_000 });
    if (imp.code !== 0) throw new Error(imp.stderr);
    const berth = await startBerthRegistry({ netns, port: 5000 });
    stops.push(() => berth.stop());
    const ref = await startReference(netns, 5001);
    stops.push(() => ref.stop());
    let round = 0;
    for (const [name, port] of [['berth', 5000], ['reference', 5001], ['berth', 5000], ['reference', 5001]] as const) {
      const img = `127.0.0.1:${port}/bench/img${round++}:1`; // a new repository: no 'layer exists' shortcut
      await docker(['tag', 'bench:1', img]);
      let t = Date.now();
      const p = await docker(['push', img], { timeoutMs: 600_000 });
      if (p.code !== 0) throw new Error(`${name} push: ${p.stderr}`);
      const push = Date.now() - t;
      await docker(['rmi', img, 'bench:1']);
      t = Date.now();
      const l = await docker(['pull', img], { timeoutMs: 600_000 });
      if (l.code !== 0) throw new Error(`${name} pull: ${l.stderr}`);
      const pull = Date.now() - t;
      await docker(['tag', img, 'bench:1']);
      await docker(['rmi', img]);
      console.log(`${name.padEnd(10)} push ${(push / 1000).toFixed(2)} s   pull ${(pull / 1000).toFixed(2)} s   (${mb} MB)`);
    }
  } finally {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    execFileSync('ip', ['netns', 'del', netns]);
    fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e) => { console.error(e); process.exitCode = 1; });
