import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { type IdMapping, OVERFLOW_ID, remappedRootName, rootPair, shiftTree, specMappings, toContainer, toHost } from '../../../src/util/idmap';
import { mapTarOwners } from '../../../src/util/tar-owners';
import { nextRangeStart, parseSubFile } from '../../../src/config/userns-remap';
import { parseDaemonArgs } from '../../../src/config/daemon';
import { lockedFlags } from '../../../src/containers/userns';
import { makeTar } from '../util/tarhelp';

const M: IdMapping = {
  uids: [{ containerId: 0, hostId: 100000, size: 65536 }, { containerId: 65536, hostId: 300000, size: 10 }],
  gids: [{ containerId: 0, hostId: 200000, size: 65536 }],
};

test('idmap: container <-> host through every range; unmapped host ids are nobody', () => {
  assert.deepEqual(toHost(M, 0, 0), { uid: 100000, gid: 200000 });
  assert.deepEqual(toHost(M, 65537, 1000), { uid: 300001, gid: 201000 });
  assert.deepEqual(toContainer(M, 300001, 201000), { uid: 65537, gid: 1000 });
  assert.deepEqual(toContainer(M, 0, 5), { uid: OVERFLOW_ID, gid: OVERFLOW_ID });
  assert.throws(() => toHost(M, 70000, 0), /Container ID 70000 cannot be mapped to a host ID/);
  assert.deepEqual(rootPair(M), { uid: 100000, gid: 200000 });
  assert.deepEqual(rootPair(null), { uid: 0, gid: 0 });
  assert.equal(remappedRootName(M), '100000.200000');
  assert.deepEqual(specMappings(M).gidMappings, [{ containerID: 0, hostID: 200000, size: 65536 }] as never);
});

test('subuid: parse, and the first free 65536 range from 100000 as dockerd picks it', () => {
  const r = parseSubFile('# c\nalice:100000:65536\n\nbob:165536:65536\nbad line\n');
  assert.deepEqual(r.map((x) => x.name), ['alice', 'bob']);
  assert.equal(nextRangeStart([]), 100000);
  assert.equal(nextRangeStart(r), 231072);
  assert.equal(nextRangeStart([{ name: 'x', start: 500000, count: 10 }]), 100000);
});

test('config: --userns-remap flag and daemon.json key, not both', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsx-cfg-'));
  try {
    const file = path.join(dir, 'daemon.json');
    fs.writeFileSync(file, JSON.stringify({ 'userns-remap': 'default' }));
    assert.equal(parseDaemonArgs(['--config-file', file]).config.usernsRemap, 'default');
    assert.equal(parseDaemonArgs(['--config-file', path.join(dir, 'none.json'), '--userns-remap', 'alice:staff']).config.usernsRemap, 'alice:staff');
    assert.throws(() => parseDaemonArgs(['--config-file', file, '--userns-remap=bob']), /specified both as a flag and in the configuration file: userns-remap/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

async function headers(buf: Readable): Promise<tar.Header[]> {
  const out: tar.Header[] = [];
  const ex = tar.extract();
  const done = (async () => { for await (const e of ex) { out.push(e.header); e.resume(); } })();
  buf.pipe(ex as unknown as NodeJS.WritableStream);
  await done;
  return out;
}

test('tar owners: ids rewritten in place, bodies and long names untouched, big ids in base-256', async () => {
  const long = `${'d/'.repeat(80)}f`;
  const src = await makeTar([
    { name: 'a', body: 'x'.repeat(700), uid: 0, gid: 0 },
    { name: long, body: 'y', uid: 1000, gid: 33, pax: { 'SCHILY.xattr.user.k': 'v' } },
    { name: 'l', type: 'symlink', linkname: 'a', uid: 5, gid: 5 },
  ]);
  const mapped = await headers(mapTarOwners(Readable.from([src.subarray(0, 100), src.subarray(100, 1500), src.subarray(1500)]), (u, g) => toHost(M, u, g)));
  assert.deepEqual(mapped.map((h) => [h.name, h.uid, h.gid]), [['a', 100000, 200000], [long, 101000, 200033], ['l', 100005, 200005]]);
  assert.equal((mapped[1].pax as Record<string, string> | undefined)?.['SCHILY.xattr.user.k'], 'v');
  const big = await headers(mapTarOwners(Readable.from([src]), () => ({ uid: 5_000_000, gid: 7 })));
  assert.equal(big[0].uid, 5_000_000);
  // GNU tar reads it the same way
  const file = path.join(os.tmpdir(), `unsx-${process.pid}.tar`);
  const chunks: Buffer[] = [];
  for await (const c of mapTarOwners(Readable.from([src]), (u, g) => toHost(M, u, g))) chunks.push(c as Buffer);
  fs.writeFileSync(file, Buffer.concat(chunks));
  try {
    const listing = execFileSync('tar', ['-tvf', file, '--numeric-owner'], { encoding: 'utf8' });
    assert.match(listing, /100000\/200000 +700 .* a\n/);
  } finally { fs.rmSync(file, { force: true }); }
});

test('shiftTree: every inode once (hard links), symlinks themselves, setuid and file capabilities kept', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'unsx-shift-'));
  try {
    fs.mkdirSync(path.join(dir, 'sub'));
    fs.writeFileSync(path.join(dir, 'sub', 'f'), 'x');
    fs.chownSync(path.join(dir, 'sub', 'f'), 1000, 33);
    fs.linkSync(path.join(dir, 'sub', 'f'), path.join(dir, 'hard'));
    fs.writeFileSync(path.join(dir, 'suid'), 'x');
    fs.chmodSync(path.join(dir, 'suid'), 0o4755);
    fs.symlinkSync('/nowhere', path.join(dir, 'ln'));
    fs.writeFileSync(path.join(dir, 'sub', 'capped'), 'x');
    const cap = '0x0100000200200000000000000000000000000000'; // cap_net_raw+ep, v2
    execFileSync('setfattr', ['-n', 'security.capability', '-v', cap, path.join(dir, 'sub', 'capped')]);
    await shiftTree(dir, M);
    assert.match(execFileSync('getfattr', ['-n', 'security.capability', '-e', 'hex', path.join(dir, 'sub', 'capped')], { encoding: 'utf8' }), new RegExp(cap));
    const st = (p: string) => fs.lstatSync(path.join(dir, p));
    assert.deepEqual([st('sub/f').uid, st('sub/f').gid], [101000, 200033]);
    assert.equal(st('hard').uid, 101000);
    assert.equal(st('suid').mode & 0o7777, 0o4755);
    assert.deepEqual([st('ln').uid, st('').uid, st('sub').gid], [100000, 100000, 200000]);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('locked mount flags: a bind repeats its source mount nosuid/nodev/noexec/ro', () => {
  const table = [{ point: '/', opts: ['rw', 'relatime'] }, { point: '/dev/shm', opts: ['rw', 'nosuid', 'nodev'] }];
  assert.deepEqual(lockedFlags(table, '/dev/shm'), ['nosuid', 'nodev']);
  assert.deepEqual(lockedFlags(table, '/etc/hostname'), ['relatime']);
  assert.deepEqual(lockedFlags(table, '/does/not/exist'), []);
});
