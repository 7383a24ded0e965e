/**
 * `berth registry serve` with real clients and in trouble: skopeo copy/inspect/list-tags/
 * delete; basic auth (bcrypt htpasswd) and TLS; kill -9 in the middle of an upload; gc.
 */
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { busyboxLayout, rawRequest, sha256, skopeo, startBerthRegistry, storedBlobs, tmpDir, type RunningRegistry } from './lib';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const bcrypt = require('bcryptjs') as { hashSync(pw: string, rounds: number): string };

describe('berth registry with skopeo', () => {
  let reg: RunningRegistry;
  let work: string;
  let layoutManifest: string;
  before(async () => {
    work = tmpDir('berth-reg-ops-');
    layoutManifest = busyboxLayout(path.join(work, 'oci')).manifest;
    reg = await startBerthRegistry();
  });
  after(async () => { await reg.stop(); fs.rmSync(work, { recursive: true, force: true }); });

  it('copy in, inspect, list-tags, copy out, delete', async () => {
    const dest = `docker://127.0.0.1:${reg.port}/lib/busybox`;
    skopeo(['copy', '--dest-tls-verify=false', `oci:${work}/oci:latest`, `${dest}:1`]);
    skopeo(['copy', '--dest-tls-verify=false', `oci:${work}/oci:latest`, `${dest}:2`]);
    const info = JSON.parse(skopeo(['inspect', '--tls-verify=false', `${dest}:1`])) as { Digest: string; RepoTags: string[] };
    assert.equal(info.Digest, layoutManifest);
    assert.deepEqual(info.RepoTags, ['1', '2']);
    const tags = JSON.parse(skopeo(['list-tags', '--tls-verify=false', dest])) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['1', '2']);
    skopeo(['copy', '--src-tls-verify=false', `${dest}:1`, `dir:${work}/out`]);
    assert.ok(fs.existsSync(path.join(work, 'out', 'manifest.json')));
    skopeo(['delete', '--tls-verify=false', `${dest}:1`]);
    const after = JSON.parse(skopeo(['list-tags', '--tls-verify=false', dest])) as { Tags: string[] };
    assert.deepEqual(after.Tags, [], 'deleting by digest drops every tag of it');
    await new Promise((r) => setTimeout(r, 200)); // execFileSync held the event loop: read the log pipe
    assert.match(reg.log(), /"method":"DELETE","path":"\/v2\/lib\/busybox\/manifests\/sha256:/, 'access log line');
  });

  it('health and metrics', async () => {
    assert.equal((await fetch(`${reg.url}/healthz`)).status, 200);
    const m = await (await fetch(`${reg.url}/metrics`)).text();
    assert.match(m, /berth_registry_http_requests_total\{method="PUT",code="201"\} \d+/);
    assert.match(m, /berth_registry_blob_bytes_received_total [1-9]/);
  });
});

describe('berth registry with basic auth and TLS', () => {
  let reg: RunningRegistry;
  let work: string;
  before(async () => {
    work = tmpDir('berth-reg-auth-');
    busyboxLayout(path.join(work, 'oci'));
    fs.writeFileSync(path.join(work, 'htpasswd'), `alice:${bcrypt.hashSync('s3cret', 5).replace(/^\$2a\$/, '$2y$')}\n`);
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', path.join(work, 'key.pem'), '-out', path.join(work, 'cert.pem')], { stdio: 'ignore' });
    reg = await startBerthRegistry({ scheme: 'https', args: ['--htpasswd', path.join(work, 'htpasswd'), '--tls-cert', path.join(work, 'cert.pem'), '--tls-key', path.join(work, 'key.pem')] });
  });
  after(async () => { await reg.stop(); fs.rmSync(work, { recursive: true, force: true }); });

  const get = (p: string, auth?: string) => new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const https = require('node:https') as typeof import('node:https');
    const req = https.request({ host: '127.0.0.1', port: reg.port, path: p, ca: fs.readFileSync(path.join(work, 'cert.pem')), headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });

  it('answers 401 with a Basic challenge without (or with wrong) credentials', async () => {
    for (const auth of [undefined, 'alice:wrong', 'bob:s3cret']) {
      const r = await get('/v2/', auth);
      assert.equal(r.status, 401);
      assert.equal(r.headers['www-authenticate'], 'Basic realm="Registry Realm"');
      assert.match(r.body, /"UNAUTHORIZED"/);
    }
    assert.equal((await get('/v2/', 'alice:s3cret')).status, 200);
  });

  it('skopeo pushes and reads with credentials over TLS (verified by the CA)', () => {
    const certDir = path.join(work, 'certs');
    fs.mkdirSync(certDir);
    fs.copyFileSync(path.join(work, 'cert.pem'), path.join(certDir, 'ca.crt'));
    const dest = `docker://127.0.0.1:${reg.port}/secure/bb:1`;
    assert.throws(() => skopeo(['copy', '--dest-cert-dir', certDir, `oci:${work}/oci:latest`, dest]), /unauthorized|authentication required/i);
    skopeo(['copy', '--dest-cert-dir', certDir, '--dest-creds', 'alice:s3cret', `oci:${work}/oci:latest`, dest]);
    const tags = JSON.parse(skopeo(['list-tags', '--cert-dir', certDir, '--creds', 'alice:s3cret', `docker://127.0.0.1:${reg.port}/secure/bb`])) as { Tags: string[] };
    assert.deepEqual(tags.Tags, ['1']);
  });
});

describe('berth registry crash safety and gc', () => {
  it('kill -9 during uploads leaves no visible partial blob; the restart cleans one-request temp files and keeps sessions', async () => {
    const root = tmpDir('berth-reg-kill-');
    try {
      let reg = await startBerthRegistry({ root });
      const data = Buffer.alloc(3 * 1024 * 1024, 9);
      const d = sha256(data);
      const MB = 1024 * 1024;
      const p = await fetch(`${reg.url}/v2/k/x/blobs/uploads/`, { method: 'POST' });
      const loc = new URL(p.headers.get('location') ?? '', reg.url).toString();
      assert.equal((await fetch(loc, { method: 'PATCH', body: data.subarray(0, MB), headers: { 'Content-Type': 'application/octet-stream' } })).status, 202);
      const path1 = new URL(loc).pathname;
      // a monolithic upload and a second chunk of the session in flight, half sent, when the registry dies
      const inflight = rawRequest(reg.port, `POST /v2/k/x/blobs/uploads/?digest=${d} HTTP/1.1\nHost: x\nContent-Type: application/octet-stream\nContent-Length: ${data.length}\n`, data.subarray(0, data.length / 2), true);
      const chunk = rawRequest(reg.port, `PATCH ${path1} HTTP/1.1\nHost: x\nContent-Type: application/octet-stream\nContent-Range: ${MB}-${2 * MB - 1}\nContent-Length: ${MB}\n`, data.subarray(MB, MB + MB / 2), true);
      await new Promise((r) => setTimeout(r, 150));
      reg.proc.kill('SIGKILL');
      await Promise.all([inflight, chunk]);
      await reg.stop();
      assert.deepEqual(storedBlobs(root), []);
      assert.ok(fs.readdirSync(path.join(root, 'ingest')).length > 0, 'temp files exist before the restart');
      reg = await startBerthRegistry({ root, port: reg.port });
      assert.deepEqual(fs.readdirSync(path.join(root, 'ingest')), [], 'the restart removes them');
      assert.equal((await fetch(`${reg.url}/v2/k/x/blobs/${d}`, { method: 'HEAD' })).status, 404);
      const st = await fetch(loc);
      assert.equal(st.status, 204, 'the session survived');
      assert.equal(st.headers.get('range'), `0-${MB - 1}`, 'at its last acknowledged chunk, not the half-sent one');
      // resume: the rest in one PATCH, then PUT with the digest of the whole
      assert.equal((await fetch(loc, { method: 'PATCH', body: data.subarray(MB), headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${MB}-${data.length - 1}` } })).status, 202);
      const put = await fetch(`${loc}?digest=${d}`, { method: 'PUT' });
      assert.equal(put.status, 201);
      const g = await fetch(`${reg.url}/v2/k/x/blobs/${d}`);
      assert.equal(sha256(Buffer.from(await g.arrayBuffer())), d);
      assert.deepEqual(fs.readdirSync(path.join(root, 'uploads')), [], 'the finished session is gone');
      await reg.stop();
    } finally { fs.rmSync(root, { recursive: true, force: true }); }
  });

  it('upload sessions survive a restart: POST, restart, PATCH, restart, PUT; a wrong digest is still refused', async () => {
    const root = tmpDir('berth-reg-resume-');
    try {
      let reg = await startBerthRegistry({ root });
      const restart = async () => { await reg.stop(); reg = await startBerthRegistry({ root, port: reg.port }); };
      const a = Buffer.from('first chunk, ');
      const b = Buffer.from('second chunk');
      const whole = Buffer.concat([a, b]);
      const open = async () => new URL((await fetch(`${reg.url}/v2/r/s/blobs/uploads/`, { method: 'POST' })).headers.get('location') ?? '', reg.url).toString();
      const loc = await open();
      const bad = await open();
      await restart();
      assert.equal((await fetch(loc, { method: 'PATCH', body: a, headers: { 'Content-Range': `0-${a.length - 1}` } })).status, 202);
      assert.equal((await fetch(bad, { method: 'PATCH', body: whole })).status, 202);
      await restart();
      assert.equal((await fetch(`${reg.url}/v2/other/repo/blobs/uploads/${loc.split('/').pop()}`)).status, 404, 'the session belongs to its repository');
      const ooo = await fetch(loc, { method: 'PATCH', body: b, headers: { 'Content-Range': `0-${b.length - 1}` } });
      assert.equal(ooo.status, 416, 'the offset was kept');
      const put = await fetch(`${loc}?digest=${sha256(whole)}`, { method: 'PUT', body: b });
      assert.equal(put.status, 201);
      assert.equal(Buffer.from(await (await fetch(`${reg.url}/v2/r/s/blobs/${sha256(whole)}`)).arrayBuffer()).toString(), whole.toString());
      const wrong = await fetch(`${bad}?digest=${sha256(Buffer.from('something else'))}`, { method: 'PUT' });
      assert.equal(wrong.status, 400);
      assert.equal(((await wrong.json()) as { errors: { code: string }[] }).errors[0].code, 'DIGEST_INVALID');
      assert.equal((await fetch(bad)).status, 404, 'a refused digest ends the session');
      assert.deepEqual(storedBlobs(root), [sha256(whole)]);
      await reg.stop();
    } finally { fs.rmSync(root, { recursive: true, force: true }); }
  });

  it('gc removes only blobs no manifest references (dry run first)', async () => {
    const root = tmpDir('berth-reg-gc-');
    try {
      const reg = await startBerthRegistry({ root });
      const put = async (name: string, b: Buffer) => assert.equal((await fetch(`${reg.url}/v2/${name}/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: b })).status, 201);
      const cfg = Buffer.from('{"os":"linux"}');
      const keep = Buffer.from('kept layer');
      const orphan = Buffer.from('orphan layer');
      const gone = Buffer.from('layer of a deleted manifest');
      for (const b of [cfg, keep, orphan, gone]) await put('gc/a', b);
      const man = (layers: Buffer[]) => Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(cfg), size: cfg.length }, layers: layers.map((l) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: sha256(l), size: l.length })) }));
      const m1 = man([keep]);
      const m2 = man([gone]);
      const h = { 'Content-Type': 'application/vnd.oci.image.manifest.v1+json' };
      assert.equal((await fetch(`${reg.url}/v2/gc/a/manifests/keep`, { method: 'PUT', body: m1, headers: h })).status, 201);
      assert.equal((await fetch(`${reg.url}/v2/gc/a/manifests/gone`, { method: 'PUT', body: m2, headers: h })).status, 201);
      assert.equal((await fetch(`${reg.url}/v2/gc/a/manifests/${sha256(m2)}`, { method: 'DELETE' })).status, 202);
      await reg.stop();
      const berth = path.join(__dirname, '..', '..', '..', '..', 'bin', 'berth');
      const dry = execFileSync('node', [berth, 'registry', 'gc', '--root', root, '--dry-run'], { encoding: 'utf8' });
      assert.match(dry, /3 blobs marked, 3 blobs eligible for deletion/);
      assert.equal(storedBlobs(root).length, 6);
      execFileSync('node', [berth, 'registry', 'gc', '--root', root], { encoding: 'utf8' });
      assert.deepEqual(storedBlobs(root).sort(), [sha256(cfg), sha256(keep), sha256(m1)].sort());
      const again = await startBerthRegistry({ root });
      const r = await fetch(`${again.url}/v2/gc/a/manifests/keep`);
      assert.equal(r.status, 200);
      assert.equal((await fetch(`${again.url}/v2/gc/a/blobs/${sha256(keep)}`)).status, 200);
      assert.equal((await fetch(`${again.url}/v2/gc/a/blobs/${sha256(orphan)}`, { method: 'HEAD' })).status, 404);
      await again.stop();
    } finally { fs.rmSync(root, { recursive: true, force: true }); }
  });
});

describe('berth registry settings and concurrency', () => {
  it('--config file settings; --read-only refuses writes with 405 UNSUPPORTED', async () => {
    const root = tmpDir('berth-reg-ro-');
    const cfgDir = tmpDir('berth-reg-cfg-');
    try {
      const cfg = path.join(cfgDir, 'registry.json');
      fs.writeFileSync(cfg, JSON.stringify({ root, readOnly: true }));
      const reg = await startBerthRegistry({ root: cfgDir, args: ['--config', cfg, '--root', root] });
      const b = Buffer.from('x');
      const r = await fetch(`${reg.url}/v2/ro/x/blobs/uploads/?digest=${sha256(b)}`, { method: 'POST', body: b });
      assert.equal(r.status, 405);
      assert.equal(((await r.json()) as { errors: { code: string }[] }).errors[0].code, 'UNSUPPORTED');
      assert.equal((await fetch(`${reg.url}/v2/_catalog`)).status, 200, 'reads still work');
      await reg.stop();
      assert.deepEqual(storedBlobs(root), []);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(cfgDir, { recursive: true, force: true });
    }
  });

  it('concurrent pushes of the same blob all succeed and store it once', async () => {
    const reg = await startBerthRegistry();
    try {
      const data = Buffer.alloc(2 * 1024 * 1024, 3);
      const d = sha256(data);
      const rs = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => fetch(`${reg.url}/v2/c/r${i % 2}/blobs/uploads/?digest=${d}`, { method: 'POST', body: data })));
      assert.deepEqual(rs.map((r) => r.status), [201, 201, 201, 201, 201, 201]);
      assert.deepEqual(storedBlobs(reg.root), [d]);
      const g = await fetch(`${reg.url}/v2/c/r0/blobs/${d}`);
      assert.equal(sha256(Buffer.from(await g.arrayBuffer())), d);
    } finally { await reg.stop(); }
  });

  it('idle upload sessions expire and lose their temp files', async () => {
    const root = tmpDir('berth-reg-exp-');
    try {
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { RegistryStorage } = require('../../../src/registry/storage') as typeof import('../../../src/registry/storage');
      // eslint-disable-next-line @typescript-eslint/no-var-requires
      const { Uploads } = require('../../../src/registry/uploads') as typeof import('../../../src/registry/uploads');
      const store = new RegistryStorage(root);
      await store.init();
      const ups = new Uploads(store);
      await ups.init();
      const u = await ups.open('a/b');
      assert.equal(await ups.expire(60_000, Date.now()), 0);
      assert.equal(await ups.expire(60_000, Date.now() + 120_000), 1);
      assert.equal(fs.existsSync(u.file), false);
      assert.deepEqual(fs.readdirSync(ups.dir), []);
      assert.throws(() => ups.get('a/b', u.id), /upload unknown/);
      const old = await ups.open('a/b');
      const later = new Uploads(store);
      assert.equal(await later.init(), 1, 'a restart loads the session');
      assert.equal(later.get('a/b', old.id).offset, 0);
      assert.equal(await later.expire(60_000, Date.now() + 120_000), 1, 'and it expires as before');
    } finally { fs.rmSync(root, { recursive: true, force: true }); }
  });
});

describe('berth registry with token auth', () => {
  it('401 Bearer challenge with scope; /token grants per user; skopeo pushes as alice, bob may only pull', async () => {
    const work = tmpDir('berth-reg-tok-');
    const reg0 = { stop: async () => undefined } as Pick<RunningRegistry, 'stop'>;
    let reg: Pick<RunningRegistry, 'stop'> = reg0;
    try {
      busyboxLayout(path.join(work, 'oci'));
      fs.writeFileSync(path.join(work, 'htpasswd'), `alice:${bcrypt.hashSync('s3cret', 5)}\nbob:${bcrypt.hashSync('pw', 5)}\n`);
      fs.writeFileSync(path.join(work, 'cfg.json'), JSON.stringify({ tokenAuth: true, access: [{ user: 'alice', name: '*', actions: ['*'] }, { user: 'bob', name: 'lib/*', actions: ['pull'] }] }));
      const r = await startBerthRegistry({ args: ['--htpasswd', path.join(work, 'htpasswd'), '--config', path.join(work, 'cfg.json')] });
      reg = r;
      const c = await fetch(`${r.url}/v2/lib/bb/tags/list`);
      assert.equal(c.status, 401);
      assert.equal(c.headers.get('www-authenticate'), `Bearer realm="http://127.0.0.1:${r.port}/token",service="berth-registry",scope="repository:lib/bb:pull"`);
      assert.equal((await fetch(`${r.url}/token?service=berth-registry&scope=repository:lib/bb:pull`)).status, 401, '/token wants credentials');
      const tok = async (user: string, scope: string) => {
        const t = await fetch(`${r.url}/token?service=berth-registry&scope=${scope}`, { headers: { Authorization: `Basic ${Buffer.from(user).toString('base64')}` } });
        assert.equal(t.status, 200);
        return ((await t.json()) as { token: string }).token;
      };
      const bobs = await tok('bob:pw', 'repository:lib/bb:pull,push');
      const claims = JSON.parse(Buffer.from(bobs.split('.')[1], 'base64url').toString()) as { access: { actions: string[] }[] };
      assert.deepEqual(claims.access[0].actions, ['pull'], 'bob gets pull only');
      const forged = `${bobs.split('.')[0]}.${Buffer.from(JSON.stringify({ ...claims, sub: 'bob', access: [{ type: 'repository', name: 'lib/bb', actions: ['*'] }] })).toString('base64url')}.${bobs.split('.')[2]}`;
      assert.equal((await fetch(`${r.url}/v2/lib/bb/blobs/uploads/`, { method: 'POST', headers: { Authorization: `Bearer ${forged}` } })).status, 401, 'a forged token is refused');
      const aOnly = await tok('alice:s3cret', 'repository:a:pull');
      assert.equal((await fetch(`${r.url}/v2/a/blobs/evil/manifests/1`, { headers: { Authorization: `Bearer ${aOnly}` } })).status, 401, 'a token for a does not cover a/blobs/evil');
      assert.equal((await fetch(`${r.url}/v2/a/manifests/1`, { headers: { Authorization: `Bearer ${aOnly}` } })).status, 404, 'but does cover a');
      const dest = `docker://127.0.0.1:${r.port}/lib/bb`;
      skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'alice:s3cret', `oci:${work}/oci:latest`, `${dest}:1`]);
      assert.throws(() => skopeo(['copy', '--dest-tls-verify=false', '--dest-creds', 'bob:pw', `oci:${work}/oci:latest`, `${dest}:2`]), /unauthorized|denied|authentication required/i);
      assert.deepEqual((JSON.parse(skopeo(['list-tags', '--tls-verify=false', '--creds', 'bob:pw', dest])) as { Tags: string[] }).Tags, ['1']);
    } finally { await reg.stop(); fs.rmSync(work, { recursive: true, force: true }); }
  });
});
