import { after, test } from 'node:test';
import { rmSync as rmTemp } from 'node:fs';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { extractTar, cleanTarPath } from '../../../src/util/tar-extract';
import { decompressStream, detectCompression } from '../../../src/util/tar-decompress';
import { isInvalidParameter } from '../../../src/errdefs';
import { isRoot, makeTar, tarStream, type Entry } from './tarhelp';

const made: string[] = [];
after(() => { for (const d of made) rmTemp(d, { recursive: true, force: true }); });

function dirs() {
  const base = mkdtempSync(path.join(tmpdir(), 'berth-tar-'));
  made.push(base);
  const root = path.join(base, 'layer');
  const outside = path.join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret'), 'original');
  return { base, root, outside };
}

/** tar-extract-sync.test.ts runs this file again with the synchronous calls (a pull's layer workers use them). */
const sync = process.env.BERTH_TAR_SYNC === '1';

async function extract(entries: Entry[], root: string) {
  return extractTar(tarStream(await makeTar(entries)), root, { sync });
}

function assertOutsideUntouched(outside: string) {
  assert.deepEqual(readdirSync(outside), ['secret']);
  assert.equal(readFileSync(path.join(outside, 'secret'), 'utf8'), 'original');
}

test('tar: names are cleaned lexically; climbing above the root fails', () => {
  assert.deepEqual(cleanTarPath('./a/b/'), ['a', 'b']);
  assert.deepEqual(cleanTarPath('/abs/x'), ['abs', 'x']);
  assert.deepEqual(cleanTarPath('a/../b'), ['b']);
  assert.throws(() => cleanTarPath('../x'), (e) => isInvalidParameter(e));
  assert.throws(() => cleanTarPath('a/../../x'), (e) => isInvalidParameter(e));
  assert.throws(() => cleanTarPath('/../x'), (e) => isInvalidParameter(e));
});

test('tar attack: ../ entries fail the extraction and write nothing outside', async () => {
  const { root, outside, base } = dirs();
  await assert.rejects(extract([{ name: '../outside/secret', body: 'pwned' }], root), (e) => isInvalidParameter(e));
  await assert.rejects(extract([{ name: 'a/../../outside/evil', body: 'pwned' }], root), (e) => isInvalidParameter(e));
  assertOutsideUntouched(outside);
  assert.ok(!existsSync(path.join(base, 'evil')));
});

test('tar attack: absolute names stay inside the layer', async () => {
  const { root, outside } = dirs();
  await extract([{ name: `${outside}/secret`, body: 'pwned' }], root);
  assertOutsideUntouched(outside);
  assert.equal(readFileSync(path.join(root, outside, 'secret'), 'utf8'), 'pwned');
});

test('tar attack: an absolute symlink is never followed out (a -> /outside, then a/secret)', async () => {
  const { root, outside } = dirs();
  await extract([
    { name: 'a', type: 'symlink', linkname: outside },
    { name: 'a/secret', body: 'pwned' },
    { name: 'hostetc', type: 'symlink', linkname: '/etc' },
    { name: 'hostetc/berth-should-not-exist', body: 'pwned' },
  ], root);
  assertOutsideUntouched(outside);
  assert.ok(!existsSync('/etc/berth-should-not-exist'));
  assert.equal(readFileSync(path.join(root, outside, 'secret'), 'utf8'), 'pwned');
  assert.equal(readFileSync(path.join(root, 'etc', 'berth-should-not-exist'), 'utf8'), 'pwned');
  assert.equal(readlinkSync(path.join(root, 'a')), outside);
});

test('tar attack: relative and chained symlinks are clamped to the root', async () => {
  const { root, outside } = dirs();
  await extract([
    { name: 'up', type: 'symlink', linkname: '../../../../../../../../outside' },
    { name: 'up/secret', body: 'pwned1' },
    { name: 'b', type: 'symlink', linkname: 'c' },
    { name: 'c', type: 'symlink', linkname: `/../../${path.relative('/', outside)}` },
    { name: 'b/secret', body: 'pwned2' },
  ], root);
  assertOutsideUntouched(outside);
  assert.equal(readFileSync(path.join(root, 'outside', 'secret'), 'utf8'), 'pwned1');
  assert.equal(readFileSync(path.join(root, outside, 'secret'), 'utf8'), 'pwned2');
});

test('tar attack: a symlink loop fails instead of spinning', async () => {
  const { root } = dirs();
  await assert.rejects(extract([
    { name: 'l1', type: 'symlink', linkname: 'l2' },
    { name: 'l2', type: 'symlink', linkname: 'l1' },
    { name: 'l1/x', body: 'x' },
  ], root), (e) => isInvalidParameter(e) && /too many levels/.test((e as Error).message));
});

test('tar attack: a file over an existing symlink replaces the link, never writes through it', async () => {
  const { root, outside } = dirs();
  await extract([
    { name: 'x', type: 'symlink', linkname: path.join(outside, 'secret') },
    { name: 'x', body: 'pwned' },
  ], root);
  assertOutsideUntouched(outside);
  assert.ok(lstatSync(path.join(root, 'x')).isFile());
  assert.equal(readFileSync(path.join(root, 'x'), 'utf8'), 'pwned');
});

test('tar attack: hard links must point inside the layer', async () => {
  const { root, outside } = dirs();
  for (const linkname of [path.join(outside, 'secret'), '../outside/secret', '/etc/passwd']) {
    await assert.rejects(extract([{ name: 'h', type: 'link', linkname }], root), (e) => isInvalidParameter(e), linkname);
  }
  // through a symlinked directory that points out
  await assert.rejects(extract([
    { name: 's', type: 'symlink', linkname: outside },
    { name: 'h', type: 'link', linkname: 's/secret' },
  ], root), (e) => isInvalidParameter(e));
  assertOutsideUntouched(outside);
  // to a directory: refused
  await assert.rejects(extract([{ name: 'd/', type: 'directory' }, { name: 'h2', type: 'link', linkname: 'd' }], root), (e) => isInvalidParameter(e));
  // a good one
  await extract([{ name: 'f', body: 'data' }, { name: 'g', type: 'link', linkname: 'f' }], root);
  assert.equal(statSync(path.join(root, 'f')).ino, statSync(path.join(root, 'g')).ino);
});

test('tar: modes, owners, mtimes, symlinks, fifos and devices are kept', async (t) => {
  const { root } = dirs();
  const mtime = new Date('2001-02-03T04:05:06Z');
  const entries: Entry[] = [
    { name: './', type: 'directory', mode: 0o755, mtime },
    { name: 'bin/', type: 'directory', mode: 0o711, mtime, uid: 7, gid: 8 },
    { name: 'bin/suid', body: '#!/bin/sh\n', mode: 0o4755, uid: 1234, gid: 5678, mtime },
    { name: 'bin/sticky/', type: 'directory', mode: 0o1777, mtime },
    { name: 'bin/link', type: 'symlink', linkname: 'suid', mtime },
  ];
  if (isRoot()) {
    entries.push({ name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666, mtime });
    entries.push({ name: 'dev/loop0', type: 'block-device', devmajor: 7, devminor: 0, mode: 0o660, mtime });
    entries.push({ name: 'fifo', type: 'fifo', mode: 0o600, mtime });
  }
  const res = await extract(entries, root);
  assert.equal(res.size, '#!/bin/sh\n'.length);
  const st = statSync(path.join(root, 'bin/suid'));
  assert.equal(st.mode & 0o7777, 0o4755);
  assert.equal(st.mtime.getTime(), mtime.getTime());
  assert.equal(statSync(path.join(root, 'bin')).mode & 0o7777, 0o711);
  assert.equal(statSync(path.join(root, 'bin')).mtime.getTime(), mtime.getTime(), 'dir mtime is set after its children');
  assert.equal(statSync(path.join(root, 'bin/sticky')).mode & 0o7777, 0o1777);
  assert.equal(readlinkSync(path.join(root, 'bin/link')), 'suid');
  assert.equal(statSync(root).mtime.getTime(), mtime.getTime());
  if (!isRoot()) { t.diagnostic('not root: owners and device nodes not checked'); return; }
  assert.equal(st.uid, 1234);
  assert.equal(st.gid, 5678);
  assert.equal(statSync(path.join(root, 'bin')).uid, 7);
  const dev = lstatSync(path.join(root, 'dev/null'));
  assert.ok(dev.isCharacterDevice());
  assert.equal(dev.rdev, (1 << 8) | 3);
  assert.ok(lstatSync(path.join(root, 'dev/loop0')).isBlockDevice());
  assert.ok(lstatSync(path.join(root, 'fifo')).isFIFO());
  assert.equal(lstatSync(path.join(root, 'fifo')).mode & 0o777, 0o600);
});

test('tar: whiteouts become overlay whiteouts and opaque dirs', { skip: !isRoot() && 'needs root (mknod, trusted.* xattrs)' }, async () => {
  const { root } = dirs();
  await extract([
    { name: 'etc/', type: 'directory', mode: 0o755 },
    { name: 'etc/.wh.removed', body: '' },
    { name: 'opq/', type: 'directory', mode: 0o755 },
    { name: 'opq/.wh..wh..opq', body: '' },
    { name: 'opq/new', body: 'n' },
    { name: '.wh..wh.plnk/', type: 'directory' },
  ], root);
  const wh = lstatSync(path.join(root, 'etc/removed'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.ok(!existsSync(path.join(root, 'etc/.wh.removed')));
  assert.ok(!existsSync(path.join(root, 'opq/.wh..wh..opq')));
  assert.ok(!existsSync(path.join(root, '.wh..wh.plnk')));
  const v = execFileSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', path.join(root, 'opq')]).toString();
  assert.equal(v, 'y');
});

test('tar attack: an opaque dir swapped for a symlink later in the tar is refused', { skip: !isRoot() && 'needs root' }, async () => {
  const { root, outside } = dirs();
  await assert.rejects(extract([
    { name: 'd/', type: 'directory' },
    { name: 'd/.wh..wh..opq', body: '' },
    { name: 'd', type: 'symlink', linkname: outside },
  ], root), (e) => isInvalidParameter(e));
  assertOutsideUntouched(outside);
});

test('tar: the diffID is the sha256 of the whole uncompressed stream', async () => {
  const { root } = dirs();
  const buf = await makeTar([{ name: 'a', body: 'x'.repeat(1000) }]);
  const padded = Buffer.concat([buf, Buffer.alloc(10240)]); // extra zero blocks, as GNU tar writes
  const res = await extractTar(tarStream(padded), root);
  assert.equal(res.diffId, `sha256:${createHash('sha256').update(padded).digest('hex')}`);
});

test('tar: compression is detected; gzip, bzip2 and xz decompress to the same bytes', async () => {
  const plain = await makeTar([{ name: 'hello', body: 'world' }]);
  assert.equal(detectCompression(plain), 'none');
  const variants: [string, Buffer][] = [['none', plain], ['gzip', gzipSync(plain)]];
  for (const [tool, flag] of [['bzip2', 'bzip2'], ['xz', 'xz']]) {
    variants.push([flag, execFileSync(tool, ['-c'], { input: plain })]);
  }
  for (const [kind, data] of variants) {
    const { stream, compression } = await decompressStream(tarStream(data));
    assert.equal(compression, kind);
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    assert.deepEqual(Buffer.concat(chunks), plain, kind);
  }
  // corrupt xz: an error, not a short stream
  const bad = execFileSync('xz', ['-c'], { input: plain });
  bad[bad.length - 20] ^= 0xff;
  const { stream } = await decompressStream(tarStream(bad));
  await assert.rejects((async () => { for await (const c of stream) void c; })(), /xz/);
});

test('tar: garbage input fails cleanly', async () => {
  const { root } = dirs();
  await assert.rejects(extractTar(tarStream(Buffer.from('this is not a tar archive at all'.repeat(40))), root));
});

// struct vfs_cap_data v2 for cap_net_raw+ep: magic|effective, permitted[0] = 1 << 13, the rest zero
const CAP_NET_RAW_EP = Buffer.from([0x01, 0, 0, 0x02, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

test('tar: extended attributes from pax records keep their binary values; trusted.* is dropped', { skip: !isRoot() && 'needs root (security.* and trusted.* xattrs)' }, async () => {
  const { base, root } = dirs();
  const src = path.join(base, 'src');
  mkdirSync(path.join(src, 'bin'), { recursive: true });
  mkdirSync(path.join(src, 'd'));
  writeFileSync(path.join(src, 'bin', 'ping'), 'ping');
  writeFileSync(path.join(src, 'plain'), 'no attrs');
  writeFileSync(path.join(src, 'x'.repeat(150)), 'long name');
  const set = (file: string, name: string, v: Buffer) => execFileSync('setfattr', ['-n', name, '-v', `0s${v.toString('base64')}`, file]);
  set(path.join(src, 'bin', 'ping'), 'security.capability', CAP_NET_RAW_EP);
  set(path.join(src, 'bin', 'ping'), 'user.bin', Buffer.from([0, 1, 2, 0xff, 0x0a, 0x3d]));
  set(path.join(src, 'x'.repeat(150)), 'user.long', Buffer.from('v'));
  set(path.join(src, 'd'), 'trusted.overlay.opaque', Buffer.from('y'));
  const tarFile = path.join(base, 'x.tar');
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '-C', src, '-cf', tarFile, '.']);
  await extractTar(tarStream(readFileSync(tarFile)), root);
  const get = (file: string) => execFileSync('getfattr', ['-d', '-m', '-', '-e', 'base64', '--absolute-names', file], { encoding: 'utf8' });
  const ping = get(path.join(root, 'bin', 'ping'));
  assert.match(ping, new RegExp(`security.capability=0s${CAP_NET_RAW_EP.toString('base64').replace(/[+/]/g, '\\$&')}`));
  assert.match(ping, /user.bin=0sAAEC\/wo9/);
  assert.match(get(path.join(root, 'x'.repeat(150))), /user.long=0sdg==/);
  assert.doesNotMatch(get(path.join(root, 'd')), /trusted/);
  assert.equal(get(path.join(root, 'plain')), '');
});
