import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { type TarHeader, TarReader } from '../../../src/util/tar-reader';
import { makeTar } from './tarhelp';

interface Seen { h: TarHeader; body: Buffer }

/** Reads `buf` fed in chunks of `size` bytes. */
function read(buf: Buffer, size: number): Seen[] {
  const seen: Seen[] = [];
  let parts: Buffer[] = [];
  let open = false;
  const r = new TarReader({
    entry(h) { assert.ok(!open, 'entry before the last one ended'); open = true; seen.push({ h, body: Buffer.alloc(0) }); parts = []; },
    data(c) { parts.push(Buffer.from(c)); },
    endEntry() { open = false; seen[seen.length - 1].body = Buffer.concat(parts); },
  });
  for (let off = 0; off < buf.length; off += size) r.push(buf.subarray(off, off + size));
  r.end();
  assert.ok(!open);
  return seen;
}

test('tar reader: entries, bodies and metadata in any chunking', async () => {
  const long = `${'long/'.repeat(30)}name`;
  const buf = await makeTar([
    { name: 'd/', type: 'directory', mode: 0o750, uid: 12, gid: 34 },
    { name: 'd/f', body: 'x'.repeat(1000), mode: 0o4755 },
    { name: long, body: 'y' },
    { name: 'empty', body: '' },
    { name: 'ln', type: 'symlink', linkname: 't' },
    { name: 'hard', type: 'link', linkname: 'd/f' },
    { name: 'g', body: 'z'.repeat(513) },
    { name: 'dev', type: 'character-device', devmajor: 1, devminor: 3 },
  ]);
  for (const size of [1, 7, 511, 512, 513, 100000]) {
    const seen = read(buf, size);
    assert.deepEqual(seen.map((s) => [s.h.name, s.h.type, s.body.length]), [
      ['d/', 'directory', 0], ['d/f', 'file', 1000], [long, 'file', 1], ['empty', 'file', 0],
      ['ln', 'symlink', 0], ['hard', 'link', 0], ['g', 'file', 513], ['dev', 'character-device', 0],
    ], `chunks of ${size}`);
    assert.equal(seen[0].h.mode, 0o750);
    assert.equal(seen[0].h.uid, 12);
    assert.equal(seen[0].h.gid, 34);
    assert.equal(seen[1].h.mode, 0o4755);
    assert.equal(seen[1].body.toString(), 'x'.repeat(1000));
    assert.equal(seen[1].h.mtime.getTime(), 1_000_000_000_000);
    assert.equal(seen[4].h.linkname, 't');
    assert.equal(seen[5].h.linkname, 'd/f');
    assert.deepEqual([seen[7].h.devmajor, seen[7].h.devminor], [1, 3]);
  }
});

test('tar reader: GNU long names and pax records as GNU tar writes them', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tar-reader-'));
  try {
    const deep = path.join(dir, 'src', 'a'.repeat(60), 'b'.repeat(60));
    fs.mkdirSync(deep, { recursive: true });
    fs.writeFileSync(path.join(deep, 'c'.repeat(50)), 'hello');
    fs.symlinkSync('t'.repeat(120), path.join(deep, 'link'));
    fs.utimesSync(path.join(deep, 'c'.repeat(50)), 1_500_000_000.25, 1_500_000_000.25);
    for (const format of ['gnu', 'posix']) {
      const buf = execFileSync('tar', ['-C', path.join(dir, 'src'), `--format=${format}`, '--owner=70000', '--group=70001', '--numeric-owner', '-cf', '-', '.']);
      const seen = read(buf, 4096);
      const file = seen.find((s) => s.h.name.endsWith('c'.repeat(50)));
      const link = seen.find((s) => s.h.name.endsWith('/link'));
      assert.equal(file?.h.name, `./${'a'.repeat(60)}/${'b'.repeat(60)}/${'c'.repeat(50)}`, format);
      assert.equal(file?.body.toString(), 'hello');
      assert.equal(file?.h.uid, 70000);
      assert.equal(file?.h.gid, 70001);
      assert.equal(link?.h.linkname, 't'.repeat(120), format);
      // pax keeps the fraction of the mtime; GNU whole seconds
      assert.equal(file?.h.mtime.getTime(), format === 'posix' ? 1_500_000_000_250 : 1_500_000_000_000);
    }
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('tar reader: a corrupt header and a truncated archive are errors, trailing zero blocks are not', async () => {
  const buf = await makeTar([{ name: 'f', body: 'x'.repeat(2000) }]);
  assert.equal(read(buf, 100).length, 1);
  assert.equal(read(Buffer.alloc(0), 1).length, 0);
  const bad = Buffer.from(buf);
  bad[10] ^= 1;
  assert.throws(() => read(bad, 512), /invalid tar header/);
  assert.throws(() => read(buf.subarray(0, 1024), 512), /unexpected EOF/);
  assert.throws(() => read(buf.subarray(0, 300), 512), /unexpected EOF/);
});
