import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { FrameDecoder, demuxBuffer, demuxStream, encodeFrame } from '../../../src/client';

test('encodeFrame writes docker\'s 8-byte header', () => {
  const f = encodeFrame(2, 'hi');
  assert.deepEqual([...f.subarray(0, 8)], [2, 0, 0, 0, 0, 0, 0, 2]);
  assert.equal(f.subarray(8).toString(), 'hi');
});

test('FrameDecoder reassembles frames split at every byte', () => {
  const data = Buffer.concat([encodeFrame(1, 'hello '), encodeFrame(2, 'oops'), encodeFrame(1, ''), encodeFrame(1, 'world')]);
  const d = new FrameDecoder();
  const out: string[] = [];
  for (const b of data) for (const f of d.push(Buffer.from([b]))) out.push(`${f.stream}:${f.payload.toString()}`);
  assert.deepEqual(out, ['1:hello ', '2:oops', '1:', '1:world']);
  assert.equal(d.pending, 0);
});

test('FrameDecoder handles a large frame and a header split across chunks', () => {
  const big = Buffer.alloc(70000, 0x61);
  const data = Buffer.concat([encodeFrame(1, big), encodeFrame(2, 'x')]);
  const d = new FrameDecoder();
  const frames = [...d.push(data.subarray(0, 5)), ...d.push(data.subarray(5, 40000)), ...d.push(data.subarray(40000))];
  assert.equal(frames.length, 2);
  assert.equal(frames[0].payload.length, 70000);
  assert.equal(frames[1].stream, 2);
});

test('demuxBuffer rejects a truncated stream and unknown stream ids', () => {
  assert.throws(() => demuxBuffer(encodeFrame(1, 'abc').subarray(0, 9)), /truncated/);
  const bad = encodeFrame(1, 'a');
  bad[0] = 7;
  assert.throws(() => demuxBuffer(bad), /unrecognized input header/);
});

test('demuxStream copies stdout and stderr frames to their writers', async () => {
  const src = Readable.from([Buffer.concat([encodeFrame(1, 'out1\n'), encodeFrame(2, 'err1\n')]), encodeFrame(1, 'out2\n')]);
  const out = new PassThrough();
  const err = new PassThrough();
  const o: Buffer[] = [];
  const e: Buffer[] = [];
  out.on('data', (c) => o.push(c));
  err.on('data', (c) => e.push(c));
  await demuxStream(src, out, err);
  assert.equal(Buffer.concat(o).toString(), 'out1\nout2\n');
  assert.equal(Buffer.concat(e).toString(), 'err1\n');
});

test('demuxStream rejects with the text of a systemerr frame', async () => {
  const src = Readable.from([encodeFrame(3, 'boom')]);
  await assert.rejects(demuxStream(src, new PassThrough(), new PassThrough()), /boom/);
});
