// Ad-hoc latency probe (not a test): node dist/test/integration/runtime/timing.js
import * as path from 'node:path';
import { buildExecProcess } from '../../../src/runtime/spec';
import { makeFixture, newId, containerOpts, collect, waitExit, bundleOf } from './fixture';

async function main() {
  const f = makeFixture();
  try {
    await f.runtime.init();
    const runs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const id = newId(f, 't');
      const t0 = process.hrtime.bigint();
      await f.runtime.create(containerOpts(f, id, ['true']));
      const a = collect(await f.runtime.attach(id, bundleOf(f, id)));
      const ex = waitExit(f.runtime, id);
      await f.runtime.start(id);
      await ex; await a.ended;
      await f.runtime.delete(id);
      runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log('run --rm true (ms):', runs.map((x) => x.toFixed(1)).join(' '));
    const id = newId(f, 's');
    await f.runtime.create(containerOpts(f, id, ['sleep', '100']));
    await f.runtime.start(id);
    const spec = containerOpts(f, id, ['true']).spec;
    const ex: number[] = [];
    for (let i = 0; i < 10; i++) {
      const t0 = process.hrtime.bigint();
      const h = await f.runtime.exec(id, bundleOf(f, id), {
        execId: `${id}e${i}`, process: buildExecProcess({ args: ['true'], env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, terminal: false, containerSpec: spec }),
        tty: false, attachStdin: false, attachStdout: true, attachStderr: true, execDir: path.join(f.dir, 'e', `${i}`),
      });
      const c = collect(h.attach!);
      await h.wait(); await c.ended;
      ex.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    console.log('exec true (ms):', ex.map((x) => x.toFixed(1)).join(' '));
    await f.runtime.kill(id, 'KILL');
  } finally { await f.cleanup(); }
}
main().catch((e) => { console.error(e); process.exit(1); });
