/**
 * The daemon's --userns-remap, through the real docker CLI: containers run in a user
 * namespace mapped onto a subordinate range, the image's files show as root inside and belong
 * to the range on the host, --userns=host opts out, dockerd's conflicting flags are refused,
 * cp in and out and commit keep container-side owners. The remap user and its /etc/subuid and
 * /etc/subgid lines are the test's own (a free range it picks) and go away afterwards.
 * Also valid against dockerd (TARGET=docker), except the `default` user's name.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { type Cli, TestDaemon, importBusybox, makeCli, target } from '../harness';
import { nextRangeStart, parseSubFile } from '../../../src/config/userns-remap';
import { startBerthRegistry } from '../registry/lib';

const NONE = ['--network', 'none'];

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
const userExists = (name: string) => { try { sh('getent', ['passwd', name]); return true; } catch { return false; } };
const subLines = (name: string) => ['/etc/subuid', '/etc/subgid'].map((f) => parseSubFile(fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '').filter((r) => r.name === name));

/** A system user with one 65536 range free in both files (the range is the test's own). */
function makeRemapUser(name: string): number {
  const all = ['/etc/subuid', '/etc/subgid'].flatMap((f) => parseSubFile(fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''));
  const start = nextRangeStart(all);
  sh('useradd', ['-r', '-s', '/bin/false', name]);
  sh('usermod', ['-v', `${start}-${start + 65535}`, '-w', `${start}-${start + 65535}`, name]);
  return start;
}

/** Removes the user, its group and its subordinate lines (userdel alone keeps them on some shadow versions). */
function removeRemapUser(name: string): void {
  if (!userExists(name)) return;
  const [u, g] = subLines(name);
  for (const r of u) try { sh('usermod', ['-V', `${r.start}-${r.start + r.count - 1}`, name]); } catch { /* gone */ }
  for (const r of g) try { sh('usermod', ['-W', `${r.start}-${r.start + r.count - 1}`, name]); } catch { /* gone */ }
  try { sh('userdel', [name]); } catch { /* gone */ }
  try { sh('groupdel', [name]); } catch { /* gone with the user */ }
}

const stat = (p: string) => fs.lstatSync(p);
const ok = (r: { code: number; stdout: string; stderr: string }) => { assert.equal(r.code, 0, r.stderr || r.stdout); return r.stdout; };

describe('userns-remap', { concurrency: false }, () => {
  const user = `btuserns${process.pid % 100000}`;
  let start = 0;
  let d: TestDaemon;
  let docker: Cli;

  before(async () => {
    removeRemapUser(user);
    start = makeRemapUser(user);
    d = await TestDaemon.start({ name: 'userns', usernsRemap: user });
    docker = makeCli('docker', d.socket);
    await importBusybox(docker);
  });

  after(async () => {
    await d?.stop();
    removeRemapUser(user);
    assert.ok(!userExists(user) && subLines(user).every((l) => l.length === 0), 'the test user and its ranges are gone');
  });

  it('info shows userns; state lives in <data-root>/<uid>.<gid>, the data root stays 0701', async () => {
    const info = JSON.parse(ok(await docker(['info', '--format', '{{json .}}'])));
    assert.ok(info.SecurityOptions.includes('name=userns'), JSON.stringify(info.SecurityOptions));
    assert.equal(info.DockerRootDir, path.join(fs.realpathSync(d.dataRoot), `${start}.${start}`));
    if (target() === 'berth') assert.equal(stat(d.dataRoot).mode & 0o777, 0o701);
    const remapped = stat(info.DockerRootDir);
    assert.deepEqual([remapped.mode & 0o777, remapped.uid, remapped.gid], [0o710, 0, start]);
  });

  it('inside, id -u is 0 and uid_map/gid_map show the range; exec runs in the same namespace', async () => {
    const out = ok(await docker(['run', '--rm', ...NONE, 'busybox', 'sh', '-c', 'id -u; cat /proc/self/uid_map /proc/self/gid_map']));
    const [uid, ...maps] = out.trim().split('\n');
    assert.equal(uid, '0');
    for (const m of maps) assert.deepEqual(m.trim().split(/\s+/), ['0', String(start), '65536']);
    ok(await docker(['run', '-d', '--name', 'ux-exec', ...NONE, 'busybox', 'sleep', '60']));
    assert.equal(ok(await docker(['exec', 'ux-exec', 'cat', '/proc/self/uid_map'])).trim().split(/\s+/)[1], String(start));
    ok(await docker(['rm', '-f', 'ux-exec']));
  });

  it("the image's files show as root inside and belong to the range on the host; new files too", async () => {
    const inside = ok(await docker(['run', '--rm', ...NONE, 'busybox', 'sh', '-c', 'stat -c "%u:%g" /bin/busybox /home/tester /']));
    assert.deepEqual(inside.trim().split('\n'), ['0:0', '1000:1000', '0:0']);
    ok(await docker(['run', '-d', '--name', 'ux-files', ...NONE, 'busybox', 'sh', '-c', 'echo x > /made; mkdir /d; touch /d/t; chown 1000:33 /d/t; sleep 60']));
    const upper = ok(await docker(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'ux-files'])).trim();
    const lower = ok(await docker(['inspect', '-f', '{{.GraphDriver.Data.LowerDir}}', 'ux-files'])).trim().split(':');
    for (let i = 0; i < 50 && !fs.existsSync(path.join(upper, 'd', 't')); i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual([stat(path.join(upper, 'made')).uid, stat(path.join(upper, 'made')).gid], [start, start]);
    assert.deepEqual([stat(path.join(upper, 'd', 't')).uid, stat(path.join(upper, 'd', 't')).gid], [start + 1000, start + 33]);
    const busybox = lower.map((l) => path.join(l, 'bin', 'busybox')).find((p) => fs.existsSync(p))!;
    assert.equal(stat(busybox).uid, start);
  });

  it('docker cp keeps container-side owners both ways (host ids in the range on disk)', async () => {
    // out: the tar's headers carry the container's ids. dockerd (20.10 and current moby: its
    // tarballer has no id map) sends the host's, which cp -a into another container then
    // refuses; Berth keeps the container's (docs/userns.md).
    const listing = execFileSync('sh', ['-c', `DOCKER_HOST=unix://${d.socket} docker cp ux-files:/d - | tar -tvf - --numeric-owner`], { encoding: 'utf8' });
    const [u, g] = target() === 'docker' ? [start + 1000, start + 33] : [1000, 33];
    assert.match(listing, new RegExp(`${u}/${g} .* d/t\n`));
    // in, with -a: the tar's owners are container ids
    const src = fs.mkdtempSync(path.join(d.root, 'cp-'));
    fs.writeFileSync(path.join(src, 'f'), 'y');
    fs.chownSync(path.join(src, 'f'), 1000, 33);
    ok(await docker(['cp', '-a', path.join(src, 'f'), 'ux-files:/d/in']));
    assert.equal(ok(await docker(['exec', 'ux-files', 'stat', '-c', '%u:%g', '/d/in'])).trim(), '1000:33');
    const upper = ok(await docker(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'ux-files'])).trim();
    assert.deepEqual([stat(path.join(upper, 'd', 'in')).uid, stat(path.join(upper, 'd', 'in')).gid], [start + 1000, start + 33]);
  });

  it('commit keeps container-side owners', async () => {
    ok(await docker(['commit', 'ux-files', 'ux-committed']));
    const out = ok(await docker(['run', '--rm', ...NONE, 'ux-committed', 'stat', '-c', '%u:%g', '/made', '/d/t', '/bin/busybox']));
    assert.deepEqual(out.trim().split('\n'), ['0:0', '1000:33', '0:0']);
    ok(await docker(['rm', '-f', 'ux-files']));
  });

  it('build: COPY (--chown), WORKDIR and RUN layers show container-side owners', async () => {
    const ctx = fs.mkdtempSync(path.join(d.root, 'ctx-'));
    fs.writeFileSync(path.join(ctx, 'f.txt'), 'hello\n');
    fs.writeFileSync(path.join(ctx, 'Dockerfile'), [
      'FROM busybox', 'COPY f.txt /copied/f.txt', 'COPY --chown=1000:33 f.txt /copied/g.txt', 'WORKDIR /wd/x',
      'RUN touch /ran && chown 33:33 /ran', '',
    ].join('\n'));
    ok(await docker(['build', '-q', '-t', 'ux-built', ctx], { env: { DOCKER_BUILDKIT: '0' }, timeoutMs: 120_000 }));
    const out = ok(await docker(['run', '--rm', ...NONE, 'ux-built', 'stat', '-c', '%n %u:%g', '/copied', '/copied/f.txt', '/copied/g.txt', '/wd/x', '/ran']));
    assert.deepEqual(out.trim().split('\n'), ['/copied 0:0', '/copied/f.txt 0:0', '/copied/g.txt 1000:33', '/wd/x 0:0', '/ran 33:33']);
  });

  it("volumes: a new volume is the container root's; copy-up keeps the image's owners", async () => {
    const out = ok(await docker(['run', '--rm', ...NONE, '-v', 'ux-vol:/newdir', '-v', 'ux-vol2:/home', 'busybox', 'sh', '-c',
      'echo x > /newdir/f && stat -c "%u:%g" /newdir /newdir/f /home/tester']));
    assert.deepEqual(out.trim().split('\n'), ['0:0', '0:0', '1000:1000']);
    const mp = ok(await docker(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'ux-vol'])).trim();
    assert.deepEqual([stat(path.join(mp, 'f')).uid, stat(path.join(mp, 'f')).gid], [start, start]);
    ok(await docker(['volume', 'rm', 'ux-vol', 'ux-vol2']));
  });

  it("joining another container's namespaces joins its user namespace; a shareable /dev/shm is the container root's", async () => {
    ok(await docker(['run', '-d', '--name', 'ux-donor', ...NONE, '--ipc', 'shareable', 'busybox', 'sleep', '60']));
    try {
      const out = ok(await docker(['run', '--rm', '--ipc', 'container:ux-donor', '--pid', 'container:ux-donor', '--network', 'container:ux-donor', 'busybox', 'sh', '-c',
        'stat -c "%u:%g" /dev/shm; readlink /proc/1/ns/user; readlink /proc/self/ns/user; cat /proc/self/uid_map']));
      const [shm, ns1, nsSelf, map] = out.trim().split('\n');
      assert.equal(shm, '0:0');
      assert.equal(ns1, nsSelf, 'same user namespace as the donor (its pid 1)');
      assert.equal(map.trim().split(/\s+/)[1], String(start));
    } finally { await docker(['rm', '-f', 'ux-donor']); }
  });

  it('push then pull through a registry: the pulled layer is shifted into the range, owners as pushed', async () => {
    const reg = await startBerthRegistry({ netns: d.netns });
    try {
      const ref = `127.0.0.1:${reg.port}/ux-pull`;
      const src = fs.mkdtempSync(path.join(d.root, 'pull-'));
      fs.writeFileSync(path.join(src, 'owned'), 'z');
      fs.chownSync(path.join(src, 'owned'), 1000, 33);
      ok(await docker(['import', '-', ref], { input: execFileSync('tar', ['--numeric-owner', '-C', src, '-cf', '-', 'owned']) }));
      ok(await docker(['push', ref], { timeoutMs: 60_000 }));
      ok(await docker(['rmi', ref]));
      ok(await docker(['pull', ref], { timeoutMs: 60_000 }));
      const dir = ok(await docker(['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', ref])).trim();
      assert.deepEqual([stat(path.join(dir, 'owned')).uid, stat(path.join(dir, 'owned')).gid], [start + 1000, start + 33]);
      ok(await docker(['rmi', ref]));
    } finally { await reg.stop(); }
  });

  it('import keeps setuid bits and file capabilities through the shift', async () => {
    const src = fs.mkdtempSync(path.join(d.root, 'caps-'));
    for (const f of ['capped', 'suid']) fs.copyFileSync('/bin/true', path.join(src, f));
    fs.chmodSync(path.join(src, 'suid'), 0o4755);
    const cap = '0x0100000200200000000000000000000000000000'; // cap_net_raw+ep
    sh('setfattr', ['-n', 'security.capability', '-v', cap, path.join(src, 'capped')]);
    const tarball = execFileSync('tar', ['--numeric-owner', '--xattrs', '--xattrs-include=security.capability', '-C', src, '-cf', '-', 'capped', 'suid']);
    ok(await docker(['import', '-', 'ux-caps'], { input: tarball }));
    const dir = ok(await docker(['image', 'inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'ux-caps'])).trim();
    assert.match(sh('getfattr', ['-n', 'security.capability', '-e', 'hex', path.join(dir, 'capped')]), new RegExp(cap));
    assert.deepEqual([stat(path.join(dir, 'suid')).mode & 0o7777, stat(path.join(dir, 'suid')).uid], [0o4755, start]);
    ok(await docker(['rmi', 'ux-caps']));
  });

  it('--userns=host runs with the host map', async () => {
    const out = ok(await docker(['run', '--rm', ...NONE, '--userns=host', 'busybox', 'cat', '/proc/self/uid_map']));
    assert.deepEqual(out.trim().split(/\s+/), ['0', '0', '4294967295']);
  });

  it("--privileged, --pid=host and --network=host are refused with dockerd's messages unless --userns=host", async () => {
    const cases: [string[], RegExp][] = [
      [['--privileged'], /privileged mode is incompatible with user namespaces/],
      [['--pid=host'], /cannot share the host PID namespace when user namespaces are enabled/],
      [['--network=host'], /cannot share the host's network namespace when user namespaces are enabled/],
    ];
    for (const [flags, msg] of cases) {
      const r = await docker(['run', '--rm', ...(flags[0] === '--network=host' ? [] : NONE), ...flags, 'busybox', 'true']);
      assert.equal(r.code, 125, r.stderr);
      assert.match(r.stderr, msg);
    }
    ok(await docker(['run', '--rm', '--userns=host', '--pid=host', ...NONE, 'busybox', 'true']));
    const ps = ok(await docker(['ps', '-aq']));
    assert.equal(ps.trim(), '', 'refused containers were not created');
  });
});

describe('userns-remap default', { concurrency: false, skip: target() === 'docker' ? 'dockerd names its user dockremap' : false }, () => {
  it('creates berthremap with the first free 65536 ranges, as dockerd creates dockremap', async (t) => {
    if (userExists('berthremap')) { t.skip('berthremap exists on this host already: not the test\'s to remove'); return; }
    const all = ['/etc/subuid', '/etc/subgid'].map((f) => parseSubFile(fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''));
    let d: TestDaemon | undefined;
    try {
      d = await TestDaemon.start({ name: 'userns-default', usernsRemap: 'default' });
      const [u, g] = subLines('berthremap');
      assert.deepEqual(u.map((r) => [r.start, r.count]), [[nextRangeStart(all[0]), 65536]]);
      assert.deepEqual(g.map((r) => [r.start, r.count]), [[nextRangeStart(all[1]), 65536]]);
      const docker = makeCli('docker', d.socket);
      const info = JSON.parse(ok(await docker(['info', '--format', '{{json .}}'])));
      assert.ok(info.SecurityOptions.includes('name=userns'));
      assert.equal(path.basename(info.DockerRootDir), `${u[0].start}.${g[0].start}`);
      // a start killed between making the user and writing its ranges: the next start completes it
      await d.stop();
      d = undefined;
      sh('usermod', ['-V', `${u[0].start}-${u[0].start + 65535}`, '-W', `${g[0].start}-${g[0].start + 65535}`, 'berthremap']);
      assert.deepEqual(subLines('berthremap').map((l) => l.length), [0, 0]);
      d = await TestDaemon.start({ name: 'userns-default', usernsRemap: 'default' });
      assert.deepEqual(subLines('berthremap').map((l) => l.map((r) => r.start)), [[u[0].start], [g[0].start]]);
    } finally {
      await d?.stop();
      removeRemapUser('berthremap');
    }
    assert.ok(!userExists('berthremap') && subLines('berthremap').every((l) => l.length === 0));
  });

  it('an unknown user fails the start with dockerd\'s message', async () => {
    await assert.rejects(TestDaemon.start({ name: 'userns-bad', usernsRemap: 'no-such-user-xyz', startTimeoutMs: 10_000 }),
      /Error during uid lookup for "no-such-user-xyz"/);
  });
});
