/**
 * Images as root on a temp data root: import of a busybox rootfs through the HTTP routes,
 * a container layer mounted on overlayfs and run with chroot, whiteouts across layers,
 * and kill -9 in the middle of an import.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { EventBus } from '../../../src/engine/events';
import { LocalImageService } from '../../../src/images/service';
import { openDatabase } from '../../../src/metadata/db';
import { createApiServer } from '../../../src/server/http';
import { Router } from '../../../src/server/router';
import { registerImageRoutes } from '../../../src/server/router/images/routes';
import { OverlayStore } from '../../../src/snapshots/overlay';
import { createLogger } from '../../../src/util/log';
import { extractTar } from '../../../src/util/tar-extract';
import { busyboxTar } from '../harness/busybox';
import { makeTar, tarStream } from '../../unit/util/tarhelp';

const isRoot = process.getuid?.() === 0;
const opts = { skip: !isRoot && 'needs root (overlay mounts)' };

let base = '';
let server: http.Server | undefined;
let sock = '';
let svc: LocalImageService;

function request(method: string, p: string, body?: Buffer): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: sock, method, path: p, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  if (!isRoot) return;
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-it-images-'));
  const events = new EventBus();
  svc = new LocalImageService({ root: path.join(base, 'data'), db: openDatabase(path.join(base, 'berth.db')), events });
  await svc.reconcile();
  const router = new Router();
  registerImageRoutes(router, svc, events);
  server = createApiServer({ router, log: createLogger('error') });
  sock = path.join(base, 'api.sock');
  await new Promise<void>((r) => server!.listen(sock, r));
});

after(async () => {
  if (server) await new Promise<void>((r) => server!.close(() => r()));
  if (!base) return;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const mp = line.split(' ')[4];
    if (mp?.startsWith(base)) try { execFileSync('umount', ['-l', mp]); } catch { /* already gone */ }
  }
  fs.rmSync(base, { recursive: true, force: true });
});

test('import through POST /images/create, then list, inspect, history, tag, rmi', opts, async () => {
  const tar = fs.readFileSync(busyboxTar());
  const q = new URLSearchParams({ fromSrc: '-', repo: 'bb', tag: 't1', message: 'hello' });
  q.append('changes', 'CMD ["sh"]');
  q.append('changes', 'ENV A=1');
  const r = await request('POST', `/v1.50/images/create?${q}`, gzipSync(tar));
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /^\{"status":"sha256:[a-f0-9]{64}"\}\r\n$/);
  const id = JSON.parse(r.text).status as string;

  const list = JSON.parse((await request('GET', '/v1.50/images/json')).text);
  assert.equal(list.length, 1);
  assert.deepEqual(list[0].RepoTags, ['bb:t1']);
  assert.equal(list[0].Id, id);

  const ins = JSON.parse((await request('GET', '/v1.50/images/bb:t1/json')).text);
  assert.equal(ins.Comment, 'hello');
  assert.deepEqual(ins.Config, { Env: ['A=1'], Cmd: ['sh'] });
  assert.equal(ins.GraphDriver.Name, 'overlay2');
  assert.ok(fs.existsSync(path.join(ins.GraphDriver.Data.UpperDir, 'bin', 'busybox')));

  const hist = JSON.parse((await request('GET', `/v1.50/images/${id.slice(7, 19)}/history`)).text);
  assert.equal(hist[0].Comment, 'hello');
  assert.deepEqual(hist[0].Tags, ['bb:t1']);

  assert.equal((await request('POST', '/v1.50/images/bb:t1/tag?repo=localhost:5000/x/bb&tag=2')).status, 201);
  const bad = await request('POST', '/v1.50/images/bb:t1/tag?repo=Bad');
  assert.equal(bad.status, 400);
  assert.deepEqual(JSON.parse(bad.text), { message: 'invalid reference format: repository name (library/Bad) must be lowercase' });
  const missing = await request('GET', '/v1.50/images/nope/json');
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.text), { message: 'No such image: nope:latest' });

  const conflict = await request('DELETE', `/v1.50/images/${id.slice(7, 19)}`);
  assert.equal(conflict.status, 409);
  assert.match(JSON.parse(conflict.text).message, /image is referenced in multiple repositories/);
  assert.deepEqual(JSON.parse((await request('DELETE', '/v1.50/images/localhost:5000/x/bb:2')).text), [{ Untagged: 'localhost:5000/x/bb:2' }]);

  const pull = await request('POST', '/v1.50/images/create?fromImage=busybox&tag=latest');
  assert.equal(pull.status, 501);
  assert.deepEqual(JSON.parse(pull.text), { message: 'pull is not implemented yet in berth' });
  const badChange = await request('POST', `/v1.50/images/create?fromSrc=-&changes=${encodeURIComponent('RUN x')}`, tar);
  assert.equal(badChange.status, 400);
  assert.deepEqual(JSON.parse(badChange.text), { message: 'run is not a valid change command' });
  const notTar = await request('POST', '/v1.50/images/create?fromSrc=-', Buffer.from('definitely not a tar'.repeat(100)));
  assert.equal(notTar.status, 400, notTar.text);
  assert.equal(JSON.parse((await request('GET', '/v1.50/images/json')).text).length, 1, 'failed imports leave nothing');
});

test('container layer: mount, run busybox in it with chroot, writes go to the upper dir', opts, async () => {
  const img = svc.get('bb:t1');
  const cid = 'a'.repeat(64);
  await svc.createContainerLayer(cid, img.id);
  const merged = await svc.mountContainerLayer(cid);
  assert.equal(await svc.mountContainerLayer(cid), merged, 'mount is idempotent');
  const out = execFileSync('chroot', [merged, '/bin/sh', '-c', 'echo hi > /tmp/new; cat /etc/passwd | head -1; rm /bin/ls; echo ok'], { encoding: 'utf8' });
  assert.equal(out, 'root:x:0:0:root:/root:/bin/sh\nok\n');
  const upper = svc.containerLayerDiffDir(cid);
  assert.equal(fs.readFileSync(path.join(upper, 'tmp', 'new'), 'utf8'), 'hi\n');
  const wh = fs.lstatSync(path.join(upper, 'bin', 'ls'));
  assert.ok(wh.isCharacterDevice() && wh.rdev === 0, 'deleting a lower file leaves an overlay whiteout');
  const size = await svc.containerLayerSize(cid);
  assert.equal(size.sizeRw, 3);
  assert.equal(size.sizeRootFs, img.size + 3);
  const gd = svc.containerGraphDriver(cid);
  assert.equal(gd.Data?.MergedDir, merged);
  assert.ok(gd.Data?.LowerDir?.endsWith('/diff'));
  // the image cannot go while the container exists (soft), its layers stay after rmi -f
  svc.setUsageCheck((i) => (i === img.id ? [cid] : []));
  assert.throws(() => svc.remove(img.id, {}), /must be forced/);
  await svc.unmountContainerLayer(cid);
  await svc.unmountContainerLayer(cid);
  assert.ok(!fs.existsSync(path.join(merged, 'bin')));
  await svc.removeContainerLayer(cid);
  assert.ok(!fs.existsSync(path.dirname(merged)));
  svc.setUsageCheck(() => []);
});

test('whiteouts and opaque dirs hide lower content across layers', opts, async () => {
  const store = new OverlayStore(path.join(base, 'ovl'));
  await store.init();
  const l1 = await makeTar([
    { name: 'a/', type: 'directory', mode: 0o755 }, { name: 'a/keep', body: 'k' }, { name: 'a/gone', body: 'g' },
    { name: 'opq/', type: 'directory', mode: 0o755 }, { name: 'opq/old', body: 'o' }, { name: 'dir-gone/', type: 'directory' },
    { name: 'dir-gone/x', body: 'x' },
  ]);
  const l2 = await makeTar([
    { name: 'a/.wh.gone', body: '' }, { name: '.wh.dir-gone', body: '' },
    { name: 'opq/', type: 'directory', mode: 0o755 }, { name: 'opq/.wh..wh..opq', body: '' }, { name: 'opq/new', body: 'n' },
  ]);
  // unpacked in parallel, committed in order
  const [p1, p2] = await Promise.all([
    store.prepareLayer(async (d) => { await extractTar(tarStream(l1), d); }),
    store.prepareLayer(async (d) => { await extractTar(tarStream(l2), d); }),
  ]);
  assert.ok(await store.commitLayer(p1, 'layer1', null));
  assert.ok(await store.commitLayer(p2, 'layer2', 'layer1'));
  assert.equal(fs.readFileSync(path.join(store.dir('layer2'), 'lower'), 'utf8'), `l/${await store.link('layer1')}`);
  assert.match(fs.readlinkSync(path.join(store.root, 'l', await store.link('layer1'))), /^\.\.\/layer1\/diff$/);
  await store.createRW('rw', 'layer2');
  const m = await store.mount('rw');
  assert.deepEqual(fs.readdirSync(path.join(m, 'a')), ['keep']);
  assert.deepEqual(fs.readdirSync(path.join(m, 'opq')), ['new']);
  assert.ok(!fs.existsSync(path.join(m, 'dir-gone')));
  await store.unmount('rw');
  await store.remove('rw');
  await store.remove('layer2');
  await store.remove('layer1');
  assert.deepEqual(fs.readdirSync(store.root), ['l']);
  assert.deepEqual(fs.readdirSync(path.join(store.root, 'l')), []);
});

async function runChild(root: string, tar: string, delayMs: number, killAfterMs: number): Promise<string> {
  const child = spawn(process.execPath, [path.join(__dirname, 'import-child.js')], {
    env: { ...process.env, BERTH_IMPORT_CHILD: root, BERTH_IMPORT_TAR: tar, BERTH_IMPORT_DELAY: String(delayMs) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
  child.stderr.on('data', (c: Buffer) => { err += c.toString(); });
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await Promise.race([closed, new Promise<void>((resolve) => {
    const iv = setInterval(() => { if (out.includes('started')) { clearInterval(iv); resolve(); } }, 5);
    void closed.then(() => clearInterval(iv));
  })]);
  await Promise.race([closed, new Promise((r) => setTimeout(r, killAfterMs))]);
  child.kill('SIGKILL');
  const code = await closed;
  if (code !== null && code !== 0) throw new Error(`import child failed (${code}): ${err}`);
  return out;
}

test('kill -9 during import: nothing half-made is visible; reconcile clears the leftovers', opts, async (t) => {
  const tar = busyboxTar();
  // kill early, in the middle and near the end; a fast run may also finish: then it must be whole
  const outcomes: string[] = [];
  for (const [delay, killAfter] of [[20, 100], [5, 100], [2, 250], [1, 400], [0, 1500]]) {
    const root = fs.mkdtempSync(path.join(base, 'crash-'));
    const out = await runChild(root, tar, delay, killAfter);
    const s = new LocalImageService({ root, db: openDatabase(path.join(root, 'berth.db')) });
    await s.reconcile();
    const images = s.list({ all: true });
    const overlay = fs.readdirSync(path.join(root, 'overlay2')).filter((n) => n !== 'l');
    const blobs = fs.readdirSync(path.join(root, 'content', 'blobs', 'sha256'));
    assert.deepEqual(fs.readdirSync(path.join(root, 'content', 'ingest')), []);
    assert.ok(overlay.every((n) => !n.startsWith('.tmp-')), `temp dirs left: ${overlay}`);
    outcomes.push(`${delay}ms/chunk killed at ${killAfter}ms: ${images.length ? 'complete' : 'nothing'}`);
    if (images.length === 0) {
      assert.ok(!out.includes('done'));
      assert.deepEqual(overlay, [], `killed after ${killAfter}ms: layer dirs left`);
      assert.deepEqual(blobs, []);
      assert.deepEqual(fs.readdirSync(path.join(root, 'overlay2', 'l')), []);
    } else {
      assert.equal(images.length, 1);
      assert.deepEqual(images[0].repoTags, ['crash:test'], 'an image is visible only with its tag');
      assert.equal(overlay.length, 1);
      // the config, and the layer's uncompressed tar kept under its diff ID (for push and save)
      assert.deepEqual(blobs.sort(), [images[0].id.slice(7), ...s.records.layers().map((l) => l.diff_id.slice(7))].sort());
      assert.ok(fs.existsSync(path.join(root, 'overlay2', overlay[0], 'diff', 'bin', 'busybox')));
    }
    // and the store still works: the same import now succeeds
    const img = await s.import({ source: fs.createReadStream(tar), repo: 'again' });
    assert.deepEqual(s.get(img.id).repoTags.includes('again:latest'), true);
  }
  t.diagnostic(outcomes.join('; '));
  assert.ok(outcomes.some((o) => o.endsWith('nothing')), 'at least one import was killed half-way');
});

test('reconcile: every state between the steps of an import ends whole or gone', opts, async () => {
  const root = fs.mkdtempSync(path.join(base, 'states-'));
  const db = openDatabase(path.join(root, 'berth.db'));
  let s = new LocalImageService({ root, db });
  await s.reconcile();
  // 1. crash while unpacking: a temp layer dir; 2. crash after the rename, before the row;
  // 3. crash after the config blob, before the row; 4. an ingest in flight
  const img = await s.import({ source: tarStream(await makeTar([{ name: 'f', body: 'x' }])), repo: 'gone' });
  const layerDir = s.records.layer(s.records.image(img.id)!.top_layer!)!.dir;
  s.records.tx(() => { s.records.deleteImage(img.id); s.records.deleteLayer(`sha256:${layerDir}`); });
  fs.mkdirSync(path.join(root, 'overlay2', '.tmp-0123456789abcdef', 'diff', 'half'), { recursive: true });
  fs.writeFileSync(path.join(root, 'content', 'ingest', '.tmp-feedface'), 'half a blob');
  fs.symlinkSync('../nowhere/diff', path.join(root, 'overlay2', 'l', 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'));
  s = new LocalImageService({ root, db });
  await s.reconcile();
  assert.deepEqual(fs.readdirSync(path.join(root, 'overlay2')), ['l']);
  assert.deepEqual(fs.readdirSync(path.join(root, 'overlay2', 'l')), []);
  assert.deepEqual(fs.readdirSync(path.join(root, 'content', 'ingest')), []);
  assert.deepEqual(fs.readdirSync(path.join(root, 'content', 'blobs', 'sha256')), []);
  assert.deepEqual(s.list({ all: true }), []);
  // and the store still works
  const again = await s.import({ source: tarStream(await makeTar([{ name: 'g', body: 'y' }])), repo: 'kept' });
  assert.deepEqual(s.get('kept').id, again.id);
});

test('import from a URL streams Docker progress lines and ends with the id', opts, async () => {
  const tar = fs.readFileSync(busyboxTar());
  const files = http.createServer((req, res) => {
    if (req.url === '/rootfs.tar') { res.writeHead(200, { 'Content-Length': tar.length }); res.end(tar); return; }
    res.writeHead(404); res.end();
  });
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  try {
    const port = (files.address() as { port: number }).port;
    const r = await request('POST', `/v1.50/images/create?fromSrc=${encodeURIComponent(`http://127.0.0.1:${port}/rootfs.tar`)}&repo=fromurl`);
    assert.equal(r.status, 200);
    const lines = r.text.split('\r\n').filter(Boolean).map((l) => JSON.parse(l));
    assert.deepEqual(lines[0], { status: `Downloading from http://127.0.0.1:${port}/rootfs.tar` });
    assert.ok(lines.some((l) => l.status === 'Importing' && l.progressDetail.total === tar.length));
    const id = lines[lines.length - 1].status;
    assert.equal(svc.get('fromurl').id, id);
    assert.equal(svc.config(id).comment, `Imported from http://127.0.0.1:${port}/rootfs.tar`);
    const missing = await request('POST', `/v1.50/images/create?fromSrc=${encodeURIComponent(`http://127.0.0.1:${port}/nope`)}`);
    assert.equal(missing.status, 400, 'nothing was streamed yet: a real status');
    assert.match(JSON.parse(missing.text).message, /404/);
  } finally {
    files.close();
  }
});

test('a data root reached through a symlink, and concurrent mounts, still mount once', opts, async () => {
  const real = fs.mkdtempSync(path.join(base, 'real-'));
  const link = path.join(base, 'via-link');
  fs.symlinkSync(real, link);
  const s = new LocalImageService({ root: link, db: openDatabase(path.join(real, 'berth.db')) });
  await s.reconcile();
  const img = await s.import({ source: tarStream(await makeTar([{ name: 'f', body: 'x' }])) });
  await s.createContainerLayer('b'.repeat(64), img.id);
  const [m1, m2] = await Promise.all([1, 2, 3, 4, 5].map(() => s.mountContainerLayer('b'.repeat(64))));
  assert.equal(m1, m2);
  const count = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === m1).length;
  assert.equal(count, 1);
  await s.removeContainerLayer('b'.repeat(64));
  assert.equal(fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.split(' ')[4] === m1).length, 0);
});
