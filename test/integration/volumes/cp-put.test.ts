/**
 * PUT /containers/{id}/archive (docker cp into a container) at the edges: a truncated or
 * corrupt tar is an error that leaves the daemon serving; a gzip body is unpacked; copies run
 * side by side; a client that goes away mid-archive fails only its copy. None of it leaves
 * file descriptors open in the daemon (the extraction holds directory fds while it runs).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import { TestDaemon, makeCli, importBusybox, request, ping, sleep, target, type Cli } from '../harness';
import { makeTar as tarOf } from '../../unit/util/tarhelp';

const skip = process.getuid?.() !== 0 && 'needs root (a daemon)';

let d: TestDaemon;
let docker: Cli;

/** Regular files (mode 0640) in a tar. */
const makeTar = (files: { name: string; data: string | Buffer }[]) => tarOf(files.map((f) => ({ name: f.name, body: f.data, mode: 0o640 })));

const put = (p: string, body: Buffer) => request(d.socket, 'PUT', `/containers/cpput/archive?path=${encodeURIComponent(p)}`, { body, headers: { 'Content-Type': 'application/x-tar' } });

async function sh(script: string): Promise<string> {
  const r = await docker(['exec', 'cpput', 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

/** Open fds of berthd (the daemon's own, not the containers'). */
const fds = () => fs.readdirSync(`/proc/${d.pid}/fd`).length;

before(async () => {
  if (skip) return;
  d = await TestDaemon.start({ name: 'cp-put' });
  docker = makeCli('docker', d.socket);
  await importBusybox(docker);
  const r = await docker(['run', '-d', '--network', 'none', '--name', 'cpput', 'busybox', 'sleep', '3600']);
  assert.equal(r.code, 0, r.stderr);
});

after(async () => { if (d) await d.stop(); });

test('a truncated or corrupt tar fails the copy, the daemon goes on', { skip }, async () => {
  await put('/', await makeTar([{ name: 'warmup', data: 'x' }]));
  const before = fds();
  const big = 'y'.repeat(300_000);
  const whole = await makeTar([{ name: 'tr/a', data: 'first\n' }, { name: 'tr/b', data: big }]);
  const cut = await put('/', whole.subarray(0, 100_000));
  assert.equal(cut.status, 500, cut.body);
  assert.match(cut.body, /unexpected EOF/);
  const bad = Buffer.from(whole);
  bad[1030] ^= 0xff; // in the second header's name (after 512 + 512 of the first entry): its checksum no longer matches
  const corrupt = await put('/', bad);
  assert.equal(corrupt.status, 500, corrupt.body);
  assert.match(corrupt.body, /invalid tar header/);
  // What came before the damage is there, as with dockerd.
  assert.equal(await sh('cat /tr/a'), 'first\n');
  assert.ok(await ping(d.socket));
  if (target() === 'berth') assert.ok(fds() <= before + 1, `fds ${before} -> ${fds()}`);
});

test('a gzip body is unpacked; two copies run side by side', { skip }, async () => {
  const gz = zlib.gzipSync(await makeTar([{ name: 'gz/f', data: 'zipped\n' }]));
  assert.equal((await put('/', gz)).status, 200);
  assert.equal(await sh('cat /gz/f'), 'zipped\n');
  const files = (tag: string) => Array.from({ length: 40 }, (_, i) => ({ name: `${tag}/d${i % 5}/f${i}`, data: `${tag}-${i}-`.repeat(5000) }));
  const [a, b] = await Promise.all([makeTar(files('pa')), makeTar(files('pb'))]);
  const [ra, rb] = await Promise.all([put('/', a), put('/', b)]);
  assert.equal(ra.status, 200, ra.body);
  assert.equal(rb.status, 200, rb.body);
  const sums = await sh('cat /pa/d3/f38 | wc -c; cat /pb/d4/f39 | wc -c; ls /pa/*/* /pb/*/* | wc -l; stat -c %a /pa/d0/f0');
  assert.deepEqual(sums.trim().split('\n').map((s) => s.trim()), [String('pa-38-'.length * 5000), String('pb-39-'.length * 5000), '80', '640']);
});

test('a client gone mid-archive fails only its copy', { skip }, async () => {
  const before = fds();
  const body = await makeTar([{ name: 'gone/a', data: 'z'.repeat(2_000_000) }]);
  await new Promise<void>((resolve) => {
    const req = http.request({ socketPath: d.socket, method: 'PUT', path: '/containers/cpput/archive?path=/', headers: { 'Content-Type': 'application/x-tar', 'Content-Length': String(body.length) } });
    req.on('error', () => resolve());
    req.on('response', (res) => { res.resume(); resolve(); });
    req.write(body.subarray(0, 700_000), () => setTimeout(() => { req.destroy(); resolve(); }, 200));
  });
  await sleep(500);
  assert.ok(await ping(d.socket));
  assert.equal((await put('/', await makeTar([{ name: 'after', data: 'ok\n' }]))).status, 200);
  assert.equal(await sh('cat /after'), 'ok\n');
  if (target() === 'berth') assert.ok(fds() <= before + 1, `fds ${before} -> ${fds()}`);
});
