import { after, test } from 'node:test';
import { rmSync as rmTemp } from 'node:fs';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { ContentStore } from '../../../src/content/store';
import { isInvalidParameter, isNotFound } from '../../../src/errdefs';

const made: string[] = [];
after(() => { for (const d of made) rmTemp(d, { recursive: true, force: true }); });

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

async function store() {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-content-'));
  made.push(dir);
  const s = new ContentStore(path.join(dir, 'content'));
  await s.init();
  return s;
}

test('content: ingest streams, verifies, commits; read, exists, delete', async () => {
  const s = await store();
  const data = Buffer.from('hello berth');
  const info = await s.ingest(Readable.from([data.subarray(0, 5), data.subarray(5)]), digestOf(data));
  assert.deepEqual(info, { digest: digestOf(data), size: data.length });
  assert.ok(await s.exists(info.digest));
  assert.deepEqual(await s.readBuffer(info.digest), data);
  const chunks: Buffer[] = [];
  for await (const c of await s.read(info.digest)) chunks.push(c as Buffer);
  assert.deepEqual(Buffer.concat(chunks), data);
  assert.deepEqual(await s.list(), [info.digest]);
  // same content again: kept once
  await s.writeBuffer(data);
  assert.equal(readdirSync(s.blobsDir).length, 1);
  await s.delete(info.digest);
  assert.ok(!(await s.exists(info.digest)));
  await s.delete(info.digest); // idempotent
  await assert.rejects(s.readBuffer(info.digest), (e) => isNotFound(e));
  await assert.rejects(s.read(info.digest), (e) => isNotFound(e));
});

test('content: a digest mismatch fails and leaves nothing behind', async () => {
  const s = await store();
  const wrong = digestOf(Buffer.from('other'));
  await assert.rejects(s.ingest(Readable.from([Buffer.from('payload')]), wrong), (e) => isInvalidParameter(e) && /digest mismatch/.test((e as Error).message));
  assert.deepEqual(readdirSync(s.blobsDir), []);
  assert.deepEqual(readdirSync(s.ingestDir), []);
});

test('content: a failing source stream leaves nothing behind', async () => {
  const s = await store();
  const src = new Readable({ read() { this.push(Buffer.from('part')); this.destroy(new Error('connection reset')); } });
  await assert.rejects(s.ingest(src), /connection reset/);
  assert.deepEqual(readdirSync(s.blobsDir), []);
  assert.deepEqual(readdirSync(s.ingestDir), []);
});

test('content: malformed digests never reach a path', async () => {
  const s = await store();
  for (const bad of ['sha256:../..', '../../etc/passwd', `sha256:${'A'.repeat(64)}`, `sha256:${'a'.repeat(63)}`,
    `sha256:${'a'.repeat(64)}/../x`, 'sha512:' + 'a'.repeat(128), 'sha256:']) {
    assert.throws(() => s.blobPath(bad), (e) => isInvalidParameter(e), bad);
    assert.equal(await s.exists(bad), false, bad);
    await assert.rejects(s.readBuffer(bad), (e) => isInvalidParameter(e), bad);
    await assert.rejects(s.ingest(Readable.from([Buffer.from('x')]), bad), (e) => isInvalidParameter(e), bad);
  }
});

test('content: reconcile removes interrupted ingests', async () => {
  const s = await store();
  writeFileSync(path.join(s.ingestDir, '.tmp-deadbeef'), 'half a blob');
  writeFileSync(path.join(s.blobsDir, '.tmp-x'), 'half');
  const kept = await s.writeBuffer(Buffer.from('kept'));
  assert.equal(await s.reconcile(), 2);
  assert.deepEqual(readdirSync(s.ingestDir), []);
  assert.ok(existsSync(s.blobPath(kept.digest)));
});

test('content: adoptAll places files written into the ingest dir, keeps an existing blob, and refuses others', async () => {
  const s = await store();
  const a = Buffer.from('layer a');
  const b = Buffer.from('layer b');
  await s.writeBuffer(b);
  const ta = path.join(s.ingestDir, '.tmp-aaaa');
  const tb = path.join(s.ingestDir, '.tmp-bbbb');
  writeFileSync(ta, a);
  writeFileSync(tb, Buffer.from('not b: an existing blob is not replaced'));
  await s.adoptAll([{ tmp: ta, digest: digestOf(a) }, { tmp: tb, digest: digestOf(b) }], true);
  assert.deepEqual(await s.readBuffer(digestOf(a)), a);
  assert.deepEqual(await s.readBuffer(digestOf(b)), b);
  assert.deepEqual(readdirSync(s.ingestDir), []);
  // a path outside the ingest dir is refused before anything moves or goes
  const tc = path.join(s.ingestDir, '.tmp-cccc');
  writeFileSync(tc, Buffer.from('c'));
  const outside = path.join(s.root, 'elsewhere');
  writeFileSync(outside, Buffer.from('d'));
  await assert.rejects(s.adoptAll([{ tmp: tc, digest: digestOf(Buffer.from('c')) }, { tmp: outside, digest: digestOf(Buffer.from('d')) }], true), (e) => isInvalidParameter(e));
  assert.ok(!(await s.exists(digestOf(Buffer.from('c')))));
  assert.ok(existsSync(outside));
});
