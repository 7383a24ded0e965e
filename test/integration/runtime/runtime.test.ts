import { after, before, describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isConflict, isInvalidParameter, isNotFound } from '../../../src/errdefs';
import { RuncConmonRuntime } from '../../../src/runtime/runc';
import { buildExecProcess } from '../../../src/runtime/spec';
import { readLogs, logFiles } from '../../../src/runtime/logs';
import { Fixture, makeFixture, newId, containerOpts, collect, waitExit, bundleOf } from './fixture';

const asRoot = process.getuid?.() === 0;
// These drive berth's runtime layer directly: nothing to compare against a real dockerd.
const skip = !asRoot ? 'needs root' : process.env.TARGET === 'docker' ? 'runtime layer only exists in berth' : false;

describe('runc + conmon runtime', { skip }, () => {
  let f: Fixture;
  before(async () => { f = makeFixture(); await f.runtime.init(); });
  after(async () => { await f.cleanup(); });

  it('runs a container: attach before start, output on both streams, exit code, state, delete', async () => {
    const id = newId(f, 'run');
    const created = await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'echo hello; echo oops >&2; exit 3']));
    assert.ok(created.pid > 0 && created.monitorPid > 0);
    assert.equal((await f.runtime.state(id))?.status, 'created');
    assert.equal(await f.runtime.monitorPid(id, bundleOf(f, id)), created.monitorPid);
    const c = collect(await f.runtime.attach(id, bundleOf(f, id)));
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    assert.equal(await exited, 3);
    await c.ended;
    assert.equal(c.stdout(), 'hello\n');
    assert.equal(c.stderr(), 'oops\n');
    assert.equal(await f.runtime.exitCode(id), 3);
    assert.equal((await f.runtime.state(id))?.status, 'stopped');
    const logs = [];
    for await (const e of readLogs(logFiles(path.join(bundleOf(f, id), 'ctr.log')))) logs.push(`${e.stream}:${e.data.toString()}`);
    assert.deepEqual(logs.sort(), ['stderr:oops\n', 'stdout:hello\n']);
    await f.runtime.delete(id);
    assert.equal(await f.runtime.state(id), null);
    assert.equal(await f.runtime.exitCode(id), null);
    await f.runtime.delete(id); // idempotent
  });

  it('reports a bad command as an OCI runtime create failure', async () => {
    const id = newId(f, 'bad');
    await assert.rejects(f.runtime.create(containerOpts(f, id, ['/nonexistent'])), /OCI runtime create failed/);
    assert.equal(await f.runtime.state(id), null);
  });

  it('delivers stdin EOF with closeStdin while output keeps flowing (cat)', async () => {
    const id = newId(f, 'cat');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'cat; echo after-eof'], { openStdin: true, stdinOnce: true }));
    const a = await f.runtime.attach(id, bundleOf(f, id));
    const c = collect(a);
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    const big = Buffer.alloc(100_000, 'x');
    a.write(Buffer.from('line1\n'));
    a.write(big);
    a.closeStdin();
    assert.equal(await exited, 0);
    await c.ended;
    assert.equal(c.stdout(), `line1\n${big.toString()}after-eof\n`);
  });

  it('keeps stdin written and closed before start (docker run -i < file)', async () => {
    const id = newId(f, 'early');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'wc -c; echo done >&2'], { openStdin: true, stdinOnce: true }));
    const a = await f.runtime.attach(id, bundleOf(f, id));
    const c = collect(a);
    a.write(Buffer.alloc(200_000, 'y'));
    a.closeStdin();
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    assert.equal(await exited, 0);
    await c.ended;
    assert.equal(c.stdout().trim(), '200000');
    assert.equal(c.stderr(), 'done\n');
  });

  it('keeps stdin open across clients with openStdin and !stdinOnce', async () => {
    const id = newId(f, 'keep');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'read a; read b; echo "$a-$b"'], { openStdin: true, stdinOnce: false }));
    const a1 = await f.runtime.attach(id, bundleOf(f, id));
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    a1.write(Buffer.from('one\n'));
    await new Promise((r) => setTimeout(r, 100));
    a1.close();
    const a2 = await f.runtime.attach(id, bundleOf(f, id));
    const c = collect(a2);
    a2.write(Buffer.from('two\n'));
    assert.equal(await exited, 0);
    await c.ended;
    assert.equal(c.stdout(), 'one-two\n');
  });

  it('gives a tty and resizes it through the ctl fifo', async () => {
    const id = newId(f, 'tty');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'stty size; read x; stty size'], { tty: true, openStdin: true, stdinOnce: true }));
    await f.runtime.resize(id, bundleOf(f, id), 40, 120);
    const a = await f.runtime.attach(id, bundleOf(f, id));
    const c = collect(a);
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    for (let i = 0; i < 100 && !c.stdout().includes('40 120'); i++) await new Promise((r) => setTimeout(r, 20));
    await f.runtime.resize(id, bundleOf(f, id), 50, 132);
    await new Promise((r) => setTimeout(r, 50));
    a.write(Buffer.from('\r'));
    assert.equal(await exited, 0);
    await c.ended;
    assert.match(c.stdout(), /40 120\r\n[\s\S]*50 132\r\n/);
    assert.equal(c.stderr(), '');
  });

  it('sets the initial tty size from the spec (consoleSize)', async () => {
    const id = newId(f, 'csz');
    await f.runtime.create(containerOpts(f, id, ['stty', 'size'], { tty: true }, { consoleSize: { height: 27, width: 81 } }));
    const c = collect(await f.runtime.attach(id, bundleOf(f, id)));
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    assert.equal(await exited, 0);
    await c.ended;
    assert.equal(c.stdout(), '27 81\r\n');
  });

  describe('exec and signals in a running container', () => {
    let id: string;
    let exited: Promise<number>;
    before(async () => {
      id = newId(f, 'exec');
      await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'trap "echo got-term; exit 42" TERM; while true; do sleep 0.05; done']));
      exited = waitExit(f.runtime, id, 30000);
      await f.runtime.start(id);
    });

    const proc = (args: string[], terminal = false) => buildExecProcess({
      args, env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, terminal,
      containerSpec: JSON.parse(fs.readFileSync(path.join(bundleOf(f, id), 'config.json'), 'utf8')),
    });
    const execOpts = (n: string, args: string[], o: { tty?: boolean; stdin?: boolean; out?: boolean } = {}) => ({
      execId: `${id}x${n}`, process: proc(args, o.tty), tty: o.tty ?? false, attachStdin: o.stdin ?? false,
      attachStdout: o.out ?? true, attachStderr: o.out ?? true, execDir: path.join(f.dir, 'e', `${id}x${n}`),
    });

    it('execs with output on both streams and the exit code', async () => {
      const h = await f.runtime.exec(id, bundleOf(f, id), execOpts('1', ['sh', '-c', 'echo out; echo err >&2; exit 7']));
      assert.ok(h.pid > 0);
      const c = collect(h.attach!);
      assert.equal(await h.wait(), 7);
      await c.ended;
      assert.equal(c.stdout(), 'out\n');
      assert.equal(c.stderr(), 'err\n');
    });

    it('execs with stdin and EOF', async () => {
      const h = await f.runtime.exec(id, bundleOf(f, id), execOpts('2', ['cat'], { stdin: true }));
      const c = collect(h.attach!);
      h.attach!.write(Buffer.from('piped\n'));
      h.attach!.closeStdin();
      assert.equal(await h.wait(), 0);
      await c.ended;
      assert.equal(c.stdout(), 'piped\n');
    });

    it('execs with a tty and resize', async () => {
      const h = await f.runtime.exec(id, bundleOf(f, id), execOpts('3', ['sh', '-c', 'read x; stty size'], { tty: true, stdin: true }));
      const c = collect(h.attach!);
      await h.resize(33, 77);
      await new Promise((r) => setTimeout(r, 50));
      h.attach!.write(Buffer.from('\r'));
      assert.equal(await h.wait(), 0);
      await c.ended;
      assert.match(c.stdout(), /33 77\r\n/);
    });

    it('execs with an initial tty size (consoleSize)', async () => {
      const o = execOpts('6', ['stty', 'size'], { tty: true });
      o.process = buildExecProcess({ args: ['stty', 'size'], env: ['PATH=/bin'], user: { uid: 0, gid: 0 }, terminal: true, consoleSize: { height: 22, width: 66 },
        containerSpec: JSON.parse(fs.readFileSync(path.join(bundleOf(f, id), 'config.json'), 'utf8')) });
      const h = await f.runtime.exec(id, bundleOf(f, id), o);
      const c = collect(h.attach!);
      assert.equal(await h.wait(), 0);
      await c.ended;
      assert.equal(c.stdout(), '22 66\r\n');
    });

    it('runs a detached exec', async () => {
      const o = execOpts('4', ['sh', '-c', 'echo hi > /tmp/detached; exit 5'], { out: false });
      const h = await f.runtime.exec(id, bundleOf(f, id), o);
      assert.equal(h.attach, null);
      assert.equal(await h.wait(), 5);
      assert.equal(fs.readFileSync(path.join(f.rootfs, 'tmp', 'detached'), 'utf8'), 'hi\n');
    });

    it('fails an exec of a missing binary clearly', async () => {
      await assert.rejects(f.runtime.exec(id, bundleOf(f, id), execOpts('5', ['/no/such'])),
        (e) => /^OCI runtime exec failed: exec failed: unable to start container process: exec: "\/no\/such": stat \/no\/such: no such file or directory: unknown$/.test((e as Error).message));
    });

    it('lists pids, pauses and resumes', async () => {
      const pids = await f.runtime.pids(id);
      assert.ok(pids.length >= 1);
      await f.runtime.pause(id);
      assert.equal((await f.runtime.state(id))?.status, 'paused');
      await f.runtime.resume(id);
      assert.equal((await f.runtime.state(id))?.status, 'running');
    });

    it('refuses invalid signals and delivers SIGTERM by name', async () => {
      await assert.rejects(f.runtime.kill(id, 'SIGFOO'), (e) => isInvalidParameter(e) && /Invalid signal: SIGFOO/.test((e as Error).message));
      await f.runtime.kill(id, 'TERM');
      assert.equal(await exited, 42);
      assert.equal(fs.readFileSync(path.join(bundleOf(f, id), 'ctr.log'), 'utf8').includes('got-term'), true);
      await assert.rejects(f.runtime.kill(id, 'KILL'), isConflict);
    });
  });

  const runOutput = async (tag: string, args: string[], spec: Parameters<typeof containerOpts>[4] = {}) => {
    const id = newId(f, tag);
    await f.runtime.create(containerOpts(f, id, args, {}, spec));
    const c = collect(await f.runtime.attach(id, bundleOf(f, id)));
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    const code = await exited;
    await c.ended;
    await f.runtime.delete(id);
    return { code, out: c.stdout(), err: c.stderr() };
  };

  it("applies docker's defaults: caps, masked and read-only paths, /dev/shm, hostname, rlimits", async () => {
    const r = await runOutput('def', ['sh', '-c', [
      'grep CapEff /proc/self/status', 'hostname', 'cat /proc/kcore | wc -c', 'echo 1 > /proc/sys/vm/drop_caches && echo wrote-sys',
      'grep " /dev/shm " /proc/mounts', 'ulimit -n', 'ls /dev | tr "\\n" " "',
    ].join('; ')], { namespaces: { network: 'new' } });
    assert.match(r.out, /CapEff:\s+00000000a80425fb/);
    assert.match(r.out, /\nc1\n/);
    assert.match(r.out, /\n0\n/); // /proc/kcore masked
    assert.doesNotMatch(r.out, /wrote-sys/);
    assert.match(r.out, /size=65536k/);
    assert.match(r.out, /\n20000\n/);
    for (const d of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'pts', 'shm', 'mqueue']) assert.match(r.out, new RegExp(` ${d} `));
  });

  it('runs privileged with every cap the daemon holds and host devices', async () => {
    const bnd = /CapBnd:\s+([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))![1];
    const r = await runOutput('priv', ['sh', '-c', 'grep CapEff /proc/self/status; ls /dev | wc -l; echo 1 > /proc/sys/vm/drop_caches && echo wrote-sys'], { privileged: true });
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, new RegExp(`CapEff:\\s+${bnd}`));
    assert.ok(Number(r.out.split('\n')[1]) > 20);
    assert.match(r.out, /wrote-sys/);
  });

  it('honours cap-add/cap-drop and a non-root user', async () => {
    const r = await runOutput('caps', ['sh', '-c', 'grep -E "CapEff|CapBnd" /proc/self/status; id -u'], { capAdd: ['NET_ADMIN'], capDrop: ['chown'], user: { uid: 1000, gid: 1000 } });
    assert.match(r.out, /CapEff:\s+0000000000000000/);
    assert.match(r.out, /CapBnd:\s+00000000a80435fa/);
    assert.match(r.out, /1000/);
  });

  it('maps runtime errors the way dockerd words them', async () => {
    const id = newId(f, 'err');
    await f.runtime.create(containerOpts(f, id, ['sleep', '100']));
    await f.runtime.start(id);
    await assert.rejects(f.runtime.delete(id), isConflict);
    await f.runtime.pause(id);
    await assert.rejects(f.runtime.pause(id), (e) => isConflict(e) && /is already paused/.test((e as Error).message));
    await f.runtime.resume(id);
    await assert.rejects(f.runtime.resume(id), (e) => isConflict(e) && /is not paused/.test((e as Error).message));
    const exited = waitExit(f.runtime, id);
    await f.runtime.kill(id, 'SIGKILL');
    assert.equal(await exited, 137);
    await assert.rejects(f.runtime.start(id), isConflict);
    await assert.rejects(f.runtime.attach(id, bundleOf(f, id)), (e) => isConflict(e) && /cannot attach to a stopped container/.test((e as Error).message));
    const proc = buildExecProcess({ args: ['true'], env: [], user: { uid: 0, gid: 0 }, terminal: false, containerSpec: containerOpts(f, id, ['true']).spec });
    await assert.rejects(f.runtime.exec(id, bundleOf(f, id), {
      execId: `${id}x`, process: proc, tty: false, attachStdin: false, attachStdout: true, attachStderr: true, execDir: path.join(f.dir, 'e', `${id}x`),
    }), isConflict);
    await assert.rejects(f.runtime.start('nosuch'), isNotFound);
    await assert.rejects(f.runtime.kill('nosuch', 9), isNotFound);
    await f.runtime.delete(id, true);
    const bad = newId(f, 'bad');
    await assert.rejects(f.runtime.create(containerOpts(f, bad, ['/nonexistent'])),
      (e) => /^OCI runtime create failed: runc create failed: unable to start container process: exec: "\/nonexistent": stat \/nonexistent: no such file or directory: unknown$/.test((e as Error).message));
  });

  it('kills with numbers and KILL', async () => {
    for (const sig of [9, 'KILL', '9', 'SIGKILL']) {
      const id = newId(f, 'k');
      await f.runtime.create(containerOpts(f, id, ['sleep', '100']));
      const exited = waitExit(f.runtime, id);
      await f.runtime.start(id);
      await f.runtime.kill(id, sig);
      assert.equal(await exited, 137, `signal ${sig}`);
      await f.runtime.delete(id);
    }
  });

  it('reports exits that happened while no runtime watched (restart)', async () => {
    const id = newId(f, 'down');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'exit 4']));
    await f.runtime.start(id);
    for (let i = 0; i < 200 && (await f.runtime.exitCode(id)) === null; i++) await new Promise((r) => setTimeout(r, 10));
    const second = new RuncConmonRuntime({ stateDir: f.runtime.stateDir });
    const seen = new Promise<number>((resolve) => second.onExit((eid, code) => { if (eid === id) resolve(code); }));
    await second.init();
    assert.equal(await seen, 4);
    second.close();
    await f.runtime.delete(id);
  });

  it('follows logs until the container exits', async () => {
    const id = newId(f, 'logs');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'for i in 1 2 3 4 5; do echo line$i; sleep 0.05; done; printf partial']));
    const exited = waitExit(f.runtime, id);
    const logPath = path.join(bundleOf(f, id), 'ctr.log');
    const got: string[] = [];
    const reader = (async () => {
      for await (const e of readLogs([logPath], { follow: true, finished: exited })) got.push(e.data.toString());
    })();
    await f.runtime.start(id);
    await reader;
    assert.deepEqual(got, ['line1\n', 'line2\n', 'line3\n', 'line4\n', 'line5\n', 'partial']);
    const tail: string[] = [];
    for await (const e of readLogs([logPath], { tail: 2 })) tail.push(e.data.toString());
    assert.deepEqual(tail, ['line5\n', 'partial']);
  });

  it('rotates logs at max-size through conmon reopen, losing no line', async () => {
    const id = newId(f, 'rot');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'i=0; while [ $i -lt 400 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); [ $((i % 20)) = 0 ] && sleep 0.02; done'],
      { logMaxSize: 8192, logMaxFiles: 50 }));
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    await exited;
    const logPath = path.join(bundleOf(f, id), 'ctr.log');
    const files = logFiles(logPath, 50);
    assert.ok(files.length > 3, `expected rotated files, got ${files.length}`);
    const lines: string[] = [];
    for await (const e of readLogs(files)) lines.push(e.data.toString().split(' ')[1]);
    assert.deepEqual(lines, Array.from({ length: 400 }, (_, i) => String(i)));
  });

  it('leaks no file descriptors across runs and execs', async () => {
    const fds = () => fs.readdirSync('/proc/self/fd').length;
    await runOutput('warm', ['true']);
    const before = fds();
    for (let i = 0; i < 5; i++) {
      const r = await runOutput('fd', ['sh', '-c', 'echo x']);
      assert.equal(r.out, 'x\n');
    }
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(fds() <= before + 2, `fds ${before} -> ${fds()}`);
  });

  it('keeps a burst within max-file files of about max-size, newest lines intact', async () => {
    const id = newId(f, 'burst');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'i=0; while [ $i -lt 3000 ]; do echo "line $i xxxxxxxxxxxxxxxxxxxx"; i=$((i+1)); done; sleep 0.3'],
      { logMaxSize: 10_000, logMaxFiles: 3 }));
    const exited = waitExit(f.runtime, id);
    await f.runtime.start(id);
    await exited;
    const logPath = path.join(bundleOf(f, id), 'ctr.log');
    const files = logFiles(logPath, 3).filter((p) => fs.existsSync(p));
    assert.ok(files.length <= 3);
    for (const p of files.slice(0, -1)) assert.ok(fs.statSync(p).size <= 10_000, `${p}: ${fs.statSync(p).size}`);
    const nums: number[] = [];
    for await (const e of readLogs(files)) nums.push(Number(e.data.toString().split(' ')[1]));
    assert.equal(nums[nums.length - 1], 2999);
    assert.deepEqual(nums, Array.from({ length: nums.length }, (_, i) => 3000 - nums.length + i));
    assert.ok(nums.length < 1000, `kept ${nums.length} lines`);
  });

  it('detects an OOM kill', async () => {
    const id = newId(f, 'oom');
    await f.runtime.create(containerOpts(f, id, ['sh', '-c', 'x=xxxxxxxxxxxxxxxx; while true; do x=$x$x; done'], {},
      { resources: { memory: { limit: 16 * 1024 * 1024, swap: 16 * 1024 * 1024 } } }));
    const exited = waitExit(f.runtime, id, 20000);
    await f.runtime.start(id);
    assert.equal(await exited, 137);
    assert.equal(await f.runtime.oomKilled(id), true);
    await f.runtime.delete(id);
    assert.equal(await f.runtime.oomKilled(id), false);
  });
});
