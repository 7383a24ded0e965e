import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import type { Readable } from 'node:stream';
import { collect, execFile, spawnChild, startSpawner } from '../../../src/util/spawn';

// The daemon's way of starting children: through the spawner process (started here, as
// berthd does at start-up); it ends when this test process does.
startSpawner();

const readAll = (s: Readable): Promise<string> => new Promise((resolve, reject) => {
  let out = '';
  s.setEncoding('utf8');
  s.on('data', (d: string) => { out += d; });
  s.on('end', () => resolve(out));
  s.on('error', reject);
});

test('collect: exit status, stdout, stderr and input, run by the spawner', async () => {
  const r = await collect('sh', ['-c', 'read x; echo "got $x"; echo oops >&2; echo "ppid $PPID"; exit 3'], { input: 'hello\n' });
  assert.equal(r.code, 3);
  assert.match(r.stdout, /^got hello\n/);
  assert.equal(r.stderr, 'oops\n');
  const ppid = Number(/ppid (\d+)/.exec(r.stdout)![1]);
  assert.notEqual(ppid, process.pid, 'the child is the spawner\'s, not this process\'s');
  assert.match(fs.readFileSync(`/proc/${ppid}/cmdline`, 'utf8'), /spawner-main\.js/);
});

test('collect: a missing command rejects with ENOENT; a timeout kills; too much output is cut', async () => {
  await assert.rejects(collect('/nonexistent/berth-no-such-tool', []), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  const slow = await collect('sleep', ['5'], { timeoutMs: 100 });
  assert.equal(slow.signal, 'SIGTERM');
  assert.equal(slow.killed, true);
  const big = await collect('sh', ['-c', 'head -c 200000 /dev/zero'], { maxBuffer: 1000 });
  assert.equal(big.overflow, true);
});

test('execFile: node\'s callback shape, with the command in the error', async () => {
  const [err, out] = await new Promise<[Error | null, string]>((resolve) => execFile('sh', ['-c', 'echo out; echo bad >&2; exit 2'], {}, (e, o) => resolve([e, o])));
  assert.equal(out, 'out\n');
  assert.match(String(err?.message), /Command failed: sh -c .*\nbad/);
  assert.equal((err as Error & { code?: number }).code, 2);
});

test('spawnChild: streamed stdin and stdout through handed-over pipes, then exit and close in order', async () => {
  const child = spawnChild('sh', ['-c', 'tr a-z A-Z; echo done >&2'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events: string[] = [];
  const closed = new Promise<number | null>((resolve) => {
    child.on('exit', () => events.push('exit'));
    child.on('close', (code: number | null) => { events.push('close'); resolve(code); });
  });
  const out = readAll(child.stdout!);
  const err = readAll(child.stderr!);
  // written before the pipe has arrived from the spawner: held, then delivered in order
  const big = 'abc'.repeat(100_000);
  child.stdin!.write(big);
  child.stdin!.end('xyz\n');
  assert.equal(await out, `${big.toUpperCase()}XYZ\n`);
  assert.equal(await err, 'done\n');
  assert.equal(await closed, 0);
  assert.deepEqual(events, ['exit', 'close']);
  assert.ok(typeof child.pid === 'number' && child.pid > 0);
});

test('spawnChild: an extra pipe (fd 3) both ways, kill, and a missing command', async () => {
  const child = spawnChild('sh', ['-c', 'echo ready >&3; read line <&3; echo "heard $line" >&3; exec sleep 30'], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  const fd3 = child.stdio[3]!;
  fd3.setEncoding('utf8');
  const first = await new Promise<string>((resolve) => fd3.once('data', resolve));
  assert.equal(first, 'ready\n');
  fd3.write('hi\n');
  const second = await new Promise<string>((resolve) => fd3.once('data', resolve));
  assert.equal(second, 'heard hi\n');
  const exited = new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c: number | null, s: string | null) => resolve([c, s])));
  assert.equal(child.kill('SIGKILL'), true);
  assert.deepEqual(await exited, [null, 'SIGKILL']);
  fd3.destroy();

  const missing = spawnChild('/nonexistent/berth-no-such-tool', [], { stdio: ['ignore', 'pipe', 'pipe'] });
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => missing.on('error', resolve));
  assert.equal(err.code, 'ENOENT');
});
