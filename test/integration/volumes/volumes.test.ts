/**
 * Volumes and mounts through the real docker CLI and through berth, against a daemon of
 * its own: named volumes outlive containers, copy-up from the image, ro mounts, volumes-from,
 * tmpfs, anonymous volumes and rm -v, in-use refusals, local driver tmpfs/bind options,
 * restarts; and a volume removal never touching what a bind points to.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { TestDaemon, makeCli, importBusybox, busyboxTar, type Cli } from '../harness';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'needs root (a daemon, mounts)';
const N = ['--network', 'none'];

let d: TestDaemon;
let docker: Cli;
let berth: Cli;
let work = '';

async function ok(cli: Cli, args: string[], input?: string | Buffer): Promise<string> {
  const r = await cli(args, input === undefined ? {} : { input });
  assert.equal(r.code, 0, `${cli.kind} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start({ name: 'volumes' });
  docker = makeCli('docker', d.socket);
  berth = makeCli('berth', d.socket);
  await importBusybox(docker);
  // An image with content under a VOLUME, for copy-up: /data/a.txt, /data/sub/b owned by 33:33, dir mode 0750.
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-vol-'));
  const rootfs = path.join(work, 'rootfs');
  fs.mkdirSync(rootfs);
  execFileSync('tar', ['-C', rootfs, '-xf', busyboxTar()]);
  fs.mkdirSync(path.join(rootfs, 'data', 'sub'), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'data', 'a.txt'), 'from-image\n');
  fs.writeFileSync(path.join(rootfs, 'data', 'sub', 'b'), 'deep\n');
  execFileSync('chown', ['-R', '33:33', path.join(rootfs, 'data')]);
  fs.chmodSync(path.join(rootfs, 'data'), 0o750);
  execFileSync('tar', ['--numeric-owner', '-C', rootfs, '-cf', path.join(work, 'vimg.tar'), '.']);
  await ok(docker, ['import', '-c', 'CMD ["sh"]', '-c', 'VOLUME /data', path.join(work, 'vimg.tar'), 'volimg']);
});

after(async () => {
  if (!isRoot) return;
  await d?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

for (const kind of ['docker', 'berth'] as const) {
  const cli = () => (kind === 'docker' ? docker : berth);

  test(`${kind}: data in a named volume survives rm of its container and shows in the next one`, { skip }, async () => {
    const v = `keep-${kind}`;
    assert.equal((await ok(cli(), ['volume', 'create', '--label', 'k=v', v])).trim(), v);
    await ok(cli(), ['run', ...N, '--name', `w-${kind}`, '-v', `${v}:/d`, 'busybox', 'sh', '-c', 'echo persisted > /d/f']);
    await ok(cli(), ['rm', `w-${kind}`]);
    assert.equal((await ok(cli(), ['run', '--rm', ...N, '-v', `${v}:/d`, 'busybox', 'cat', '/d/f'])).trim(), 'persisted');
    const inspect = JSON.parse(await ok(cli(), ['volume', 'inspect', v]))[0];
    assert.equal(inspect.Name, v);
    assert.equal(inspect.Driver, 'local');
    assert.deepEqual(inspect.Labels, { k: 'v' });
    assert.match(inspect.Mountpoint, /\/volumes\/keep-\w+\/_data$/);
    assert.ok((await ok(cli(), ['volume', 'ls', '-q', '--filter', 'label=k=v'])).split('\n').includes(v));
    assert.deepEqual((await ok(cli(), ['volume', 'rm', v])).trim(), v);
  });

  test(`${kind}: copy-up fills a new named volume from the image, nocopy does not`, { skip }, async () => {
    const out = await ok(cli(), ['run', '--rm', ...N, '-v', `up-${kind}:/data`, 'volimg', 'sh', '-c', 'cat /data/a.txt /data/sub/b; stat -c "%u:%g %a" /data /data/a.txt']);
    assert.equal(out, 'from-image\ndeep\n33:33 750\n33:33 644\n');
    // Not copied again once the volume has content.
    await ok(cli(), ['run', '--rm', ...N, '-v', `up-${kind}:/data`, 'volimg', 'sh', '-c', 'rm /data/a.txt']);
    assert.equal((await ok(cli(), ['run', '--rm', ...N, '-v', `up-${kind}:/data`, 'volimg', 'ls', '/data'])).trim(), 'sub');
    assert.equal((await ok(cli(), ['run', '--rm', ...N, '-v', `nc-${kind}:/data:nocopy`, 'volimg', 'ls', '-A', '/data'])).trim(), '');
    await ok(cli(), ['volume', 'rm', `up-${kind}`, `nc-${kind}`]);
  });

  test(`${kind}: ro mounts refuse writes; --volumes-from shares (and :ro)`, { skip }, async () => {
    const v = `share-${kind}`;
    const r = await cli()(['run', '--rm', ...N, '-v', `${v}:/d:ro`, 'busybox', 'sh', '-c', 'echo x > /d/f']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr + r.stdout, /Read-only file system/);
    await ok(cli(), ['create', ...N, '--name', `src-${kind}`, '-v', `${v}:/shared`, '-v', '/anon', 'busybox']);
    await ok(cli(), ['run', '--rm', ...N, '--volumes-from', `src-${kind}`, 'busybox', 'sh', '-c', 'echo hello > /shared/f; echo a > /anon/g']);
    assert.equal((await ok(cli(), ['run', '--rm', ...N, '-v', `${v}:/x`, 'busybox', 'cat', '/x/f'])).trim(), 'hello');
    const ro = await cli()(['run', '--rm', ...N, '--volumes-from', `src-${kind}:ro`, 'busybox', 'sh', '-c', 'cat /shared/f /anon/g && touch /shared/z']);
    assert.notEqual(ro.code, 0);
    assert.match(ro.stdout, /hello\na\n/);
    const mounts = JSON.parse(await ok(cli(), ['inspect', '-f', '{{json .Mounts}}', `src-${kind}`])) as { Type: string; Name: string; Destination: string; RW: boolean }[];
    assert.deepEqual(mounts.map((m) => [m.Type, m.Destination, m.RW]).sort(), [['volume', '/anon', true], ['volume', '/shared', true]]);
    const anon = mounts.find((m) => m.Destination === '/anon')!.Name;
    assert.match(anon, /^[0-9a-f]{64}$/);
    // In use: refused with Docker's message.
    const inUse = await cli()(['volume', 'rm', v]);
    assert.notEqual(inUse.code, 0);
    assert.match(inUse.stderr, new RegExp(`remove ${v}: volume is in use - \\[[0-9a-f]{64}\\]`));
    // rm -v removes the anonymous volume, never the named one.
    await ok(cli(), ['rm', '-v', `src-${kind}`]);
    const names = (await ok(cli(), ['volume', 'ls', '-q'])).split('\n');
    assert.ok(!names.includes(anon));
    assert.ok(names.includes(v));
    await ok(cli(), ['volume', 'rm', v]);
  });

  test(`${kind}: tmpfs is empty at start and in memory; --mount options`, { skip }, async () => {
    const out = await ok(cli(), ['run', '--rm', ...N, '--tmpfs', '/t:size=1m', '--mount', 'type=tmpfs,target=/u,tmpfs-mode=1770', 'busybox',
      'sh', '-c', 'ls -A /t; stat -c %a /u; grep -E " /(t|u) " /proc/mounts | cut -d" " -f1-3 | sort']);
    assert.equal(out, '1770\ntmpfs /t tmpfs\ntmpfs /u tmpfs\n');
    const missing = path.join(work, `missing-${kind}`);
    const r = await cli()(['run', '--rm', ...N, '--mount', `type=bind,source=${missing},target=/x`, 'busybox', 'true']);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /bind source path does not exist/);
    await ok(cli(), ['run', '--rm', ...N, '-v', `${missing}/sub:/x`, 'busybox', 'touch', '/x/made']);
    assert.ok(fs.existsSync(path.join(missing, 'sub', 'made')), '-v creates a missing host path');
    const bindRo = await cli()(['run', '--rm', ...N, '--mount', `type=bind,source=${missing},target=/x,readonly`, 'busybox', 'touch', '/x/no']);
    assert.notEqual(bindRo.code, 0);
  });
}

test('local driver: tmpfs and bind volumes; removing a bind volume leaves its directory alone', { skip }, async () => {
  await ok(docker, ['volume', 'create', '-o', 'type=tmpfs', '-o', 'device=tmpfs', '-o', 'o=size=1m', 'tv']);
  assert.match(await ok(docker, ['run', '--rm', ...N, '-v', 'tv:/m', 'busybox', 'grep', ' /m ', '/proc/mounts']), /^tmpfs \/m tmpfs .*size=1024k/);
  const host = path.join(work, 'precious');
  fs.mkdirSync(host);
  fs.writeFileSync(path.join(host, 'keep'), 'precious\n');
  await ok(berth, ['volume', 'create', '-o', 'type=none', '-o', `device=${host}`, '-o', 'o=bind', 'bv']);
  assert.equal(await ok(docker, ['run', '--rm', ...N, '-v', 'bv:/b', 'busybox', 'sh', '-c', 'cat /b/keep; echo new > /b/new']), 'precious\n');
  // docker cp on a stopped container reaches a device volume's content too.
  await ok(docker, ['create', ...N, '--name', 'bv-user', '-v', 'bv:/b', 'busybox']);
  const out = path.join(work, 'bv-keep');
  await ok(docker, ['cp', 'bv-user:/b/keep', out]);
  assert.equal(fs.readFileSync(out, 'utf8'), 'precious\n');
  await ok(docker, ['rm', 'bv-user']);
  await ok(docker, ['volume', 'rm', 'bv', 'tv']);
  assert.deepEqual(fs.readdirSync(host).sort(), ['keep', 'new']);
  const bad = await docker(['volume', 'create', '-o', 'foo=bar', 'badopt']);
  assert.match(bad.stderr, /invalid option: "foo"/);
});

test('volumes survive a daemon restart; prune removes only anonymous ones unless --all', { skip }, async () => {
  await ok(docker, ['run', '--rm', ...N, '-v', 'durable:/d', 'busybox', 'sh', '-c', 'echo kept > /d/f']);
  await ok(docker, ['create', ...N, '--name', 'anon-owner', '-v', '/a', 'busybox']);
  await ok(docker, ['rm', 'anon-owner']);
  await d.restart();
  assert.equal((await ok(docker, ['run', '--rm', ...N, '-v', 'durable:/d', 'busybox', 'cat', '/d/f'])).trim(), 'kept');
  // Since API 1.42 prune spares named volumes unless --all (Debian's dockerd 20.10 speaks 1.41).
  const v = String(JSON.parse(await ok(docker, ['version', '-f', '{{json .Server.APIVersion}}']))).split('.').map(Number);
  const modern = v[0] > 1 || v[1] >= 42;
  const pruned = await ok(docker, ['volume', 'prune', '-f']);
  assert.match(pruned, /Deleted Volumes:\n([0-9a-f]{64}\n|durable\n)+/);
  if (modern) {
    assert.ok((await ok(docker, ['volume', 'ls', '-q'])).split('\n').includes('durable'));
    await ok(berth, ['volume', 'prune', '-af']);
  }
  assert.ok(!(await ok(docker, ['volume', 'ls', '-q'])).split('\n').includes('durable'));
  const gone = await docker(['volume', 'inspect', 'durable']);
  assert.match(gone.stderr, /get durable: no such volume/);
});

test('run --rm removes its anonymous volumes (not named ones); volume events', { skip }, async () => {
  const before = new Set((await ok(docker, ['volume', 'ls', '-q'])).split('\n').filter(Boolean));
  const since = String(Math.floor(Date.now() / 1000) - 1);
  await ok(docker, ['run', '--rm', ...N, '-v', '/anon', '-v', 'named-rm:/n', 'busybox', 'true']);
  const after = (await ok(docker, ['volume', 'ls', '-q'])).split('\n').filter((v) => v && !before.has(v));
  assert.deepEqual(after, ['named-rm']);
  const ev = await ok(docker, ['events', '--since', since, '--until', String(Math.floor(Date.now() / 1000) + 1), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']);
  assert.match(ev, /^create named-rm$/m);
  assert.match(ev, /^mount named-rm$/m);
  assert.match(ev, /^unmount named-rm$/m);
  assert.match(ev, /^destroy [0-9a-f]{64}$/m);
  await ok(docker, ['volume', 'rm', 'named-rm']);
});

test('system df reports images, containers and volumes', { skip }, async () => {
  await ok(docker, ['run', ...N, '--name', 'dfc', '-v', 'dfv:/d', 'busybox', 'sh', '-c', 'head -c 5000 /dev/zero > /d/z; head -c 3000 /dev/zero > /z']);
  for (const cli of [docker, berth]) {
    const out = await ok(cli, ['system', 'df', '--format', '{{.Type}} {{.TotalCount}} {{.Active}} {{.Size}}']);
    const lines = out.trim().split('\n');
    assert.match(lines[0], /^Images \d+ 1 \d/);
    assert.match(lines[1], /^Containers 1 0 3kB$/);
    assert.match(lines[2], /^Local Volumes 1 1 5kB$/);
    assert.equal(lines[3], 'Build Cache 0 0 0B');
    assert.match(await ok(cli, ['system', 'df', '-v']), /Local Volumes space usage:\n\nVOLUME NAME\s+LINKS\s+SIZE\ndfv\s+1\s+5kB/);
  }
  await ok(docker, ['rm', '-v', 'dfc']);
  await ok(docker, ['volume', 'rm', 'dfv']);
});
