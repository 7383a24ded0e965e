import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { mergeImageConfig, prepareConfig } from '../../../src/containers/create';
import { normalizeName, generateName } from '../../../src/containers/names';
import { resolveUser } from '../../../src/containers/user';
import { validateCreateBody } from '../../../src/containers/validate';
import { DetachWatcher, parseDetachKeys } from '../../../src/util/stdcopy';
import { secureJoin } from '../../../src/util/securejoin';
import { parseSignal } from '../../../src/util/signal';
import { humanDuration } from '../../../src/util/units';
import { hostsFile, resolvConf } from '../../../src/containers/etcfiles';

test('names: Docker rules and generated names', () => {
  assert.equal(normalizeName('web-1'), '/web-1');
  assert.throws(() => normalizeName('-bad'), /Invalid container name \(-bad\), only \[a-zA-Z0-9\]\[a-zA-Z0-9_.-\] are allowed/);
  assert.throws(() => normalizeName('a'), /Invalid container name/);
  assert.match(generateName(), /^[a-z]+_[a-z]+$/);
});

test('merge: image defaults fill what the user left out; an entrypoint drops the image Cmd', () => {
  const img = { Env: ['PATH=/bin', 'A=1'], Cmd: ['sh'], WorkingDir: '/w', Labels: { l: 'img' }, User: 'nobody' };
  const c = mergeImageConfig({ Env: ['A=2'], Labels: { m: 'u' } }, img);
  assert.deepEqual(c.Env, ['A=2', 'PATH=/bin']);
  assert.deepEqual(c.Cmd, ['sh']);
  assert.equal(c.WorkingDir, '/w');
  assert.deepEqual(c.Labels, { l: 'img', m: 'u' });
  const e = mergeImageConfig({ Entrypoint: ['echo'] }, img);
  assert.equal(e.Cmd, undefined);
});

test('prepareConfig: no command, relative workdir, AutoRemove with restart policy', () => {
  const image = { architecture: 'amd64', os: 'linux', rootfs: { type: 'layers' as const, diff_ids: [] }, config: {} };
  assert.throws(() => prepareConfig({ Image: 'x' }, image), /no command specified/);
  assert.throws(() => prepareConfig({ Image: 'x', Cmd: ['a'], WorkingDir: 'rel' }, image), /needs to be an absolute path/);
  assert.throws(() => prepareConfig({ Image: 'x', Cmd: ['a'], HostConfig: { AutoRemove: true, RestartPolicy: { Name: 'always' } } }, image), /AutoRemove/);
  assert.deepEqual(prepareConfig({ Image: 'x', Cmd: 'true' as unknown as string[] }, image).config.Cmd, ['true']);
});

test('validate: wrong field types are 400s in Go json words', () => {
  assert.throws(() => validateCreateBody({ Image: 'x', Env: 'A=1' }), /cannot unmarshal string into Go struct field CreateRequest.Env of type \[\]string/);
  assert.throws(() => validateCreateBody({ Image: 'x', Tty: 'yes' }), /cannot unmarshal string into Go struct field CreateRequest.Tty of type bool/);
  assert.throws(() => validateCreateBody({ Image: 'x', HostConfig: { Memory: 'lots' } }), /HostConfig.Memory of type int64/);
  assert.throws(() => validateCreateBody([]), /cannot unmarshal array/);
  validateCreateBody({ Image: 'x', Cmd: 'echo hi', Env: null });
});

test('user resolution from the container passwd and group files', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-user-'));
  mkdirSync(path.join(root, 'etc'));
  writeFileSync(path.join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nwww:x:33:33::/var/www:/bin/false\n');
  writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\nwww:x:33:\nstaff:x:50:www\n');
  assert.deepEqual(resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
  assert.deepEqual(resolveUser(root, 'www'), { uid: 33, gid: 33, additionalGids: [50], home: '/var/www' });
  assert.deepEqual(resolveUser(root, '1000:50'), { uid: 1000, gid: 50, additionalGids: [], home: '/' });
  assert.deepEqual(resolveUser(root, 'www:staff'), { uid: 33, gid: 50, additionalGids: [], home: '/var/www' });
  assert.throws(() => resolveUser(root, 'ghost'), /unable to find user ghost: no matching entries in passwd file/);
});

test('secureJoin keeps symlinks inside the root', () => {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-sj-'));
  mkdirSync(path.join(root, 'etc'));
  symlinkSync('/', path.join(root, 'etc', 'up'));
  symlinkSync('../../../../../../', path.join(root, 'dots'));
  symlinkSync('/etc/passwd', path.join(root, 'abs'));
  assert.equal(secureJoin(root, '/etc/up/etc/passwd'), path.join(root, 'etc/passwd'));
  assert.equal(secureJoin(root, '/dots/etc/shadow'), path.join(root, 'etc/shadow'));
  assert.equal(secureJoin(root, '/abs'), path.join(root, 'etc/passwd'));
  assert.equal(secureJoin(root, '../../x'), path.join(root, 'x'));
});

test('detach keys: default ctrl-p ctrl-q, split across chunks, false starts pass through', () => {
  const keys = parseDetachKeys('ctrl-p,ctrl-q');
  assert.deepEqual(keys, Buffer.from([16, 17]));
  assert.equal(parseDetachKeys('ctrl-1'), null);
  const w = new DetachWatcher(keys);
  assert.deepEqual(w.feed(Buffer.from([104, 16])), { pass: Buffer.from([104]), detach: false });
  assert.deepEqual(w.feed(Buffer.from([105])), { pass: Buffer.from([16, 105]), detach: false });
  assert.deepEqual(w.feed(Buffer.from([16, 17, 120])), { pass: Buffer.alloc(0), detach: true });
});

test('signals and human durations', () => {
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('kill'), 9);
  assert.equal(parseSignal('10'), 10);
  assert.throws(() => parseSignal('SIGNOPE'), /Invalid signal: SIGNOPE/);
  assert.equal(humanDuration(500), 'Less than a second');
  assert.equal(humanDuration(1000), '1 second');
  assert.equal(humanDuration(75_000), 'About a minute');
  assert.equal(humanDuration(3 * 3600_000), '3 hours');
});

test('etc files: extra hosts and resolv.conf without loopback servers', () => {
  const hosts = hostsFile('abc', '', undefined, ['db:10.0.0.2', 'v6:::1']);
  assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
  assert.match(hosts, /^10\.0\.0\.2\tdb$/m);
  assert.match(hosts, /^::1\tv6$/m);
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-rc-'));
  writeFileSync(path.join(dir, 'r'), 'nameserver 127.0.0.53\nnameserver 192.0.2.1\nsearch example\noptions ndots:2\n');
  assert.equal(resolvConf({ hostNetwork: false }, path.join(dir, 'r')), 'nameserver 192.0.2.1\nsearch example\noptions ndots:2\n');
  assert.equal(resolvConf({ hostNetwork: false, dns: ['192.0.2.9'], search: ['.'] }, path.join(dir, 'r')), 'nameserver 192.0.2.9\noptions ndots:2\n');
});
