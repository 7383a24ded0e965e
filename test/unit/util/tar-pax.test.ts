import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PaxScanner, parsePaxRecords } from '../../../src/util/tar-pax';
import { makeTar } from './tarhelp';
import * as tar from 'tar-stream';
import { Readable } from 'node:stream';

test('pax: records keep raw bytes', () => {
  const rec = (k: string, v: Buffer) => {
    const body = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len++;
    return Buffer.concat([Buffer.from(String(len)), body]);
  };
  const buf = Buffer.concat([rec('path', Buffer.from('a/b')), rec('SCHILY.xattr.user.x', Buffer.from([0xff, 0x00, 0x0a]))]);
  const m = parsePaxRecords(buf);
  assert.equal(m.get('path')?.toString(), 'a/b');
  assert.deepEqual(m.get('SCHILY.xattr.user.x'), Buffer.from([0xff, 0x00, 0x0a]));
});

test('pax: the scanner stays in step with tar-stream, chunk by chunk', async () => {
  const entries = [
    { name: 'd/', type: 'directory' as const },
    { name: 'f', body: 'x'.repeat(1000) },
    { name: `${'long/'.repeat(30)}name`, body: 'y', pax: { 'SCHILY.xattr.user.a': 'A' } },
    { name: 'empty', body: '' },
    { name: 'ln', type: 'symlink' as const, linkname: 't' },
    { name: 'g', body: 'z'.repeat(513), pax: { 'SCHILY.xattr.user.b': 'B' } },
  ];
  const buf = await makeTar(entries);
  for (const chunkSize of [1, 7, 512, 100000]) {
    const scanner = new PaxScanner();
    const ex = tar.extract();
    const seen: [string, string | undefined][] = [];
    const done = (async () => {
      for await (const e of ex) {
        const r = scanner.next();
        seen.push([e.header.name, r?.get('SCHILY.xattr.user.a')?.toString() ?? r?.get('SCHILY.xattr.user.b')?.toString()]);
        e.resume();
      }
    })();
    const chunks: Buffer[] = [];
    for (let i = 0; i < buf.length; i += chunkSize) chunks.push(buf.subarray(i, i + chunkSize));
    const src = Readable.from(chunks.map((c) => { scanner.push(c); return c; }));
    src.pipe(ex);
    await done;
    assert.deepEqual(seen, [['d/', undefined], ['f', undefined], [`${'long/'.repeat(30)}name`, 'A'], ['empty', undefined], ['ln', undefined], ['g', 'B']], `chunks of ${chunkSize}`);
  }
});
