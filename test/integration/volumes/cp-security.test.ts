/**
 * docker cp against hostile containers: symlinks to / and to host paths (absolute, `..`
 * chains, /proc/self/root), links inside volumes and binds that point above the mount,
 * tars that plant a symlink and write through it, hardlinks to outside, and a directory
 * swapped for a symlink while copies run. Host marker files sit at the paths an unsafe
 * implementation would reach; nothing outside the container may be read or written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tar from 'tar-stream';
import { TestDaemon, makeCli, importBusybox, request, sleep, type Cli } from '../harness';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'needs root (a daemon)';
const SECRET = 'HOST-SECRET-do-not-leak';

let d: TestDaemon;
let docker: Cli;
let work = '';
let hostDir = '';

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; linkname?: string; data?: string };
function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  for (const e of entries) {
    if (e.type === 'file' || e.type === undefined) pack.entry({ name: e.name, mode: 0o644 }, e.data ?? 'pwned\n');
    else pack.entry({ name: e.name, type: e.type, linkname: e.linkname, mode: 0o755 });
  }
  pack.finalize();
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
}

const q = encodeURIComponent;
const get = (c: string, p: string) => request(d.socket, 'GET', `/containers/${c}/archive?path=${q(p)}`);
const head = (c: string, p: string) => request(d.socket, 'HEAD', `/containers/${c}/archive?path=${q(p)}`);
const put = (c: string, p: string, body: Buffer) => request(d.socket, 'PUT', `/containers/${c}/archive?path=${q(p)}`, { body, headers: { 'Content-Type': 'application/x-tar' } });

function hostUntouched(): void {
  assert.deepEqual(fs.readdirSync(hostDir).sort(), ['secret']);
  assert.equal(fs.readFileSync(path.join(hostDir, 'secret'), 'utf8'), SECRET);
  for (const p of ['/tmp/pwned-berth-sec', '/pwned-berth-sec']) assert.ok(!fs.existsSync(p), `${p} must not exist`);
}

async function exec(c: string, script: string): Promise<void> {
  const r = await docker(['exec', c, 'sh', '-c', script]);
  assert.equal(r.code, 0, r.stderr);
}

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start({ name: 'cp-security' });
  docker = makeCli('docker', d.socket);
  await importBusybox(docker);
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-cpsec-'));
  hostDir = path.join(work, 'HOST');
  fs.mkdirSync(hostDir);
  fs.writeFileSync(path.join(hostDir, 'secret'), SECRET);
  fs.mkdirSync(path.join(work, 'bind'));
  fs.writeFileSync(path.join(work, 'sibling-secret'), SECRET);
  const r = await docker(['run', '-d', '--network', 'none', '--name', 'evil', '-v', 'evilvol:/vol', '-v', `${path.join(work, 'bind')}:/b`, 'busybox', 'sleep', '3600']);
  assert.equal(r.code, 0, r.stderr);
  await exec('evil', [
    'ln -s / /rootlink', 'ln -s ../../../../../../../.. /up', 'ln -s /proc/self/root /procroot',
    `ln -s ${hostDir} /hostabs`, `ln -s ../../../../../../..${hostDir} /hostrel`,
    'ln -s ../../../../.. /vol/esc', 'ln -s .. /b/out', `ln -s ${hostDir}/secret /vol/file-link`,
    'mkdir -p /race/dir && echo inside > /race/dir/f',
  ].join(' && '));
});

after(async () => {
  if (!isRoot) return;
  await d?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test('reads through hostile symlinks never reach the host', { skip }, async () => {
  const paths = [
    `/rootlink${hostDir}/secret`, `/up${hostDir}/secret`, `/procroot${hostDir}/secret`, '/hostabs/secret', '/hostrel/secret',
    `/vol/esc${hostDir}/secret`, `/b/out/sibling-secret`, '/hostabs/', '/hostabs/.',
  ];
  for (const p of paths) {
    const r = await get('evil', p);
    assert.equal(r.status, 404, `${p}: ${r.status} ${r.body.slice(0, 200)}`);
    assert.ok(!r.body.includes(SECRET), p);
    assert.equal((await head('evil', p)).status, 404, `HEAD ${p}`);
  }
  // A symlink is archived as a link; its stat's linkTarget is resolved inside the container.
  const link = await get('evil', '/vol/file-link');
  assert.equal(link.status, 200);
  assert.ok(!link.body.includes(SECRET));
  const stat = JSON.parse(Buffer.from(String(link.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(stat.linkTarget, `${hostDir}/secret`);
  // Whole trees with every kind of link: nothing of the host inside.
  for (const p of ['/', '/vol', '/b', '/up/', '/rootlink/.']) {
    const r = await get('evil', p);
    assert.equal(r.status, 200, p);
    assert.ok(!r.body.includes(SECRET), `tree ${p} leaked the host secret`);
  }
  const cli = await docker(['cp', '-L', `evil:/hostabs`, path.join(work, 'out-L')]);
  assert.notEqual(cli.code, 0);
  assert.ok(!fs.existsSync(path.join(work, 'out-L')));
});

test('writes through hostile symlinks stay inside the container', { skip }, async () => {
  const file = await makeTar([{ name: 'pwned-berth-sec' }]);
  for (const p of ['/hostabs', `/up${hostDir}`, `/procroot${hostDir}`, '/hostrel']) {
    const r = await put('evil', p, file);
    assert.equal(r.status, 404, `${p}: ${r.status} ${r.body}`);
  }
  // Into /up/tmp and /rootlink: that is the container's own /tmp and root.
  assert.equal((await put('evil', '/up/tmp', file)).status, 200);
  assert.equal((await put('evil', '/b/out', file)).status, 200);
  const planted = await makeTar([
    { name: 'x', type: 'symlink', linkname: hostDir },
    { name: 'x/pwned-berth-sec' },
    { name: 'y', type: 'symlink', linkname: '../../../../../../..' },
    { name: `y${hostDir}/pwned2` },
    { name: '../../../../../tmp/pwned-berth-sec' },
    { name: 'hl', type: 'link', linkname: `../../../../../..${hostDir}/secret` },
  ]);
  const r = await put('evil', '/tmp', planted);
  assert.ok([200, 400, 404].includes(r.status), `${r.status} ${r.body}`);
  hostUntouched();
  assert.equal(fs.readdirSync(path.join(work, 'bind')).includes('pwned-berth-sec'), false, '/b/out is the container root, not the bind\'s host parent');
  assert.ok(!fs.existsSync(path.join(work, 'pwned-berth-sec')));
  const inside = await docker(['exec', 'evil', 'sh', '-c', 'ls /tmp/pwned-berth-sec /pwned-berth-sec']);
  assert.equal(inside.code, 0, inside.stderr);
});

test('a directory swapped for a symlink during copies never leads outside', { skip }, async () => {
  const loop = docker.spawn(['exec', 'evil', 'sh', '-c',
    `while :; do mv /race/dir /race/dir.x; ln -s ${hostDir} /race/dir; rm /race/dir; mv /race/dir.x /race/dir; done`]);
  try {
    await sleep(200);
    const file = await makeTar([{ name: 'pwned-race' }, { name: 'sub/pwned-race' }]);
    // Under the race a copy may also fail half-way (the daemon drops the connection): that
    // delivers nothing, so it leaks nothing; what must never happen is the secret in a body.
    const reset = (e: unknown) => {
      if (!/ECONNRESET|socket hang up|aborted/.test(String((e as Error).message ?? e) + String((e as { code?: string }).code ?? ''))) throw e;
      return { body: '' };
    };
    for (let i = 0; i < 60; i++) {
      const r = await get('evil', i % 2 ? '/race' : '/race/dir/f').catch(reset);
      assert.ok(!r.body.includes(SECRET), `read ${i} leaked the host secret`);
      await put('evil', '/race/dir', file).catch(reset);
      await put('evil', '/race/dir/', file).catch(reset);
    }
  } finally {
    loop.kill('SIGKILL');
  }
  await docker(['exec', 'evil', 'pkill', '-f', 'while']);
  hostUntouched();
});

test('docker cp through the real CLI into and out of symlinked paths', { skip }, async () => {
  const src = path.join(work, 'src.txt');
  fs.writeFileSync(src, 'payload\n');
  const into = await docker(['cp', src, 'evil:/hostabs']);
  // /hostabs dangles inside the container, so docker cp creates a file named by the link target's path inside the container or fails; either way the host is untouched.
  assert.ok(into.code === 0 || into.code === 1, into.stderr);
  hostUntouched();
  const out = path.join(work, 'out-up');
  const r = await docker(['cp', `evil:/up${hostDir}`, out]);
  assert.notEqual(r.code, 0);
  assert.ok(!fs.existsSync(out));
});
