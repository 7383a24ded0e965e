import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { decompressStream, peek } from '../../../src/util/tar-decompress';

async function all(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(Buffer.from(c as Buffer));
  return Buffer.concat(parts);
}

function source(data: Buffer, piece: number): PassThrough {
  const p = new PassThrough();
  let off = 0;
  const more = () => {
    if (off >= data.length) { p.end(); return; }
    p.write(data.subarray(off, off + piece));
    off += piece;
    setImmediate(more);
  };
  setImmediate(more);
  return p;
}

test('peek: the head, then every byte once', async () => {
  const data = Buffer.from(Array.from({ length: 5000 }, (_, i) => i % 251));
  for (const piece of [1, 3, 700, 10000]) {
    const { head, stream } = await peek(source(data, piece), 6);
    assert.ok(head.length >= 6);
    assert.deepEqual(head.subarray(0, 6), data.subarray(0, 6));
    assert.deepEqual(await all(stream), data, `pieces of ${piece}`);
  }
  const short = await peek(Readable.from([Buffer.from('abc')]), 6);
  assert.equal(short.head.toString(), 'abc');
  assert.equal((await all(short.stream)).toString(), 'abc');
  const empty = await peek(Readable.from([]), 6);
  assert.equal(empty.head.length, 0);
  assert.equal((await all(empty.stream)).length, 0);
});

test('peek: a stream closed before its first bytes (the client went away) rejects instead of waiting', async () => {
  const src = new PassThrough();
  src.write(Buffer.from('abc'));
  setTimeout(() => src.destroy(), 10);
  await assert.rejects(peek(src, 512), /cut short: the client went away/);
});

test('peek: a stream counted by a data listener sees each byte once', async () => {
  const data = Buffer.alloc(100_000, 7);
  const src = source(data, 4096);
  let seen = 0;
  src.on('data', (c: Buffer) => { seen += c.length; });
  const { stream } = await peek(src, 6);
  assert.equal((await all(stream)).length, data.length);
  assert.equal(seen, data.length);
});

test('decompressStream: plain and gzip', async () => {
  const data = Buffer.from('x'.repeat(10_000));
  const plain = await decompressStream(source(data, 1000));
  assert.equal(plain.compression, 'none');
  assert.deepEqual(await all(plain.stream), data);
  const gz = await decompressStream(source(zlib.gzipSync(data), 100));
  assert.equal(gz.compression, 'gzip');
  assert.deepEqual(await all(gz.stream), data);
});
