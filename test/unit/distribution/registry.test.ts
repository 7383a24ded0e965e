/**
 * Registry client pieces without a daemon: challenges, X-Registry-Auth, endpoint rules
 * (loopback/insecure/CIDR, mirrors for docker.io only, certs.d), manifest parsing and
 * platform selection, and the Bearer token flow against an in-process HTTP server.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeAuthHeader, parseChallenges } from '../../../src/distribution/auth';
import { RegistrySession } from '../../../src/distribution/client';
import { DOCKER_HUB_ENDPOINT_HOST, RegistryHosts } from '../../../src/distribution/hosts';
import { MT, parseManifest, selectPlatform } from '../../../src/distribution/manifest';
import { pullReference } from '../../../src/distribution/pull';
import { progressBar } from '../../../src/distribution/progress';

test('WWW-Authenticate challenges', () => {
  const [c] = parseChallenges('Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"');
  assert.equal(c.scheme, 'bearer');
  assert.deepEqual(c.params, { realm: 'https://auth.example/token', service: 'registry.example', scope: 'repository:a/b:pull' });
  assert.equal(parseChallenges('Basic realm="x"')[0].scheme, 'basic');
});

test('X-Registry-Auth: base64url JSON, auth field, garbage and {} are anonymous', () => {
  const h = Buffer.from(JSON.stringify({ username: 'u', password: 'p?>', serveraddress: 'r:5000' })).toString('base64url');
  assert.deepEqual(decodeAuthHeader(h), { username: 'u', password: 'p?>', serveraddress: 'r:5000' });
  const a = Buffer.from(JSON.stringify({ auth: Buffer.from('me:pw:x').toString('base64') })).toString('base64');
  assert.equal(decodeAuthHeader(a).password, 'pw:x');
  assert.deepEqual(decodeAuthHeader('e30='), {});
  assert.deepEqual(decodeAuthHeader('%%%'), {});
  assert.deepEqual(decodeAuthHeader(undefined), {});
});

test('endpoints: loopback and listed registries are insecure; mirrors only for docker.io', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-certs-'));
  try {
    const h = new RegistryHosts({ certsDir: dir, insecureRegistries: ['reg.lan:5000', '10.1.0.0/16'], mirrors: ['http://mirror.lan:5000'] });
    assert.ok(h.isInsecure('127.0.0.1:5000'));
    assert.ok(h.isInsecure('localhost:5000'));
    assert.ok(h.isInsecure('reg.lan:5000'));
    assert.ok(h.isInsecure('10.1.2.3:443'));
    assert.ok(!h.isInsecure('10.2.0.1'));
    assert.ok(!h.isInsecure('registry.example'));
    assert.deepEqual(h.endpoints('localhost:5000').map((e) => e.url), ['https://localhost:5000', 'http://localhost:5000']);
    assert.deepEqual(h.endpoints('registry.example').map((e) => e.url), ['https://registry.example']);
    assert.deepEqual(h.endpoints('docker.io').map((e) => [e.url, e.mirror]), [['http://mirror.lan:5000', true], [`https://${DOCKER_HUB_ENDPOINT_HOST}`, false]]);
    fs.mkdirSync(path.join(dir, 'localhost:5000'));
    fs.writeFileSync(path.join(dir, 'localhost:5000', 'ca.crt'), 'PEM');
    const ep = h.endpoints('localhost:5000')[0];
    assert.equal(ep.tls.ca?.length, 1);
    assert.equal(ep.insecure, false, 'a CA in certs.d is verified');
    fs.writeFileSync(path.join(dir, 'localhost:5000', 'client.cert'), 'PEM');
    assert.throws(() => h.endpoints('localhost:5000'), /missing key/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('references: tag or digest in `tag`, latest by default', () => {
  assert.deepEqual(pullReference('busybox'), { domain: 'docker.io', path: 'library/busybox', tag: 'latest' });
  assert.deepEqual(pullReference('localhost:5000/a/b', 'v1'), { domain: 'localhost:5000', path: 'a/b', tag: 'v1' });
  const dg = 'sha256:' + 'a'.repeat(64);
  assert.deepEqual(pullReference('localhost:5000/a', dg), { domain: 'localhost:5000', path: 'a', digest: dg });
  assert.throws(() => pullReference('a//b'), /invalid reference format/);
});

const D = (c: string) => 'sha256:' + c.repeat(64);

test('manifests: schema2, OCI, index platform choice, schema1 refused, bad digests refused', () => {
  const m = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerManifest, config: { mediaType: MT.dockerConfig, digest: D('a'), size: 1 }, layers: [{ mediaType: MT.dockerLayer, digest: D('b'), size: 2 }] }));
  assert.equal(parseManifest(m, MT.dockerManifest).kind, 'manifest');
  const oci = Buffer.from(JSON.stringify({ schemaVersion: 2, config: { mediaType: MT.ociConfig, digest: D('a'), size: 1 }, layers: [{ mediaType: MT.ociLayerZstd, digest: D('b'), size: 2 }] }));
  assert.equal(parseManifest(oci, MT.ociManifest).kind, 'manifest');
  assert.throws(() => parseManifest(Buffer.from('{"schemaVersion":1,"fsLayers":[]}'), MT.schema1Signed), /schema 1 support is disabled/);
  const evil = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MT.dockerManifest, config: { mediaType: MT.dockerConfig, digest: 'sha256:../../etc', size: 1 }, layers: [] }));
  assert.throws(() => parseManifest(evil, MT.dockerManifest), /invalid config descriptor/);
  const idx = { schemaVersion: 2, manifests: [
    { mediaType: MT.ociManifest, digest: D('1'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v6' } },
    { mediaType: MT.ociManifest, digest: D('2'), size: 1, platform: { os: 'linux', architecture: 'arm', variant: 'v7' } },
    { mediaType: MT.ociManifest, digest: D('3'), size: 1, platform: { os: 'linux', architecture: 'amd64' } },
  ] };
  const parsed = parseManifest(Buffer.from(JSON.stringify(idx)), MT.ociIndex);
  assert.equal(parsed.kind, 'index');
  if (parsed.kind !== 'index') return;
  assert.equal(selectPlatform(parsed.index, { os: 'linux', architecture: 'amd64' }, 'x').digest, D('3'));
  assert.equal(selectPlatform(parsed.index, { os: 'linux', architecture: 'arm', variant: 'v7' }, 'x').digest, D('2'));
  assert.throws(() => selectPlatform(parsed.index, { os: 'linux', architecture: 's390x' }, 'x'), /no matching manifest for linux\/s390x/);
});

test('progress bar text like jsonmessage', () => {
  assert.match(progressBar(50, 100), /^\[=+>\s+\]\s+50B\/100B$/);
  assert.match(progressBar(1_500_000, 3_000_000), /1\.5MB\/3MB$/);
});

test('Bearer flow: 401 challenge, token from the realm with basic credentials and the scope, retry', async () => {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url!, 'http://x');
    if (u.pathname === '/token') {
      seen.push(`token ${u.searchParams.get('service')} ${u.searchParams.getAll('scope').join(' ')} ${req.headers.authorization}`);
      const ok = req.headers.authorization === 'Basic ' + Buffer.from('u:p').toString('base64');
      res.writeHead(ok ? 200 : 401, { 'Content-Type': 'application/json' });
      res.end(ok ? JSON.stringify({ token: 'T0K' }) : '{}');
      return;
    }
    if (req.headers.authorization !== 'Bearer T0K') {
      const port = (server.address() as { port: number }).port;
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/token",service="reg",scope="repository:a/b:pull"`, 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as { port: number }).port;
    const ep = { url: `http://127.0.0.1:${port}`, host: `127.0.0.1:${port}`, insecure: true, tls: {}, mirror: false };
    const s = new RegistrySession(ep, 'a/b', { username: 'u', password: 'p' }, ['pull', 'push'], ['repository:c/d:pull']);
    const res = await s.send('GET', s.url('tags/list'));
    assert.equal(res.status, 200);
    res.body.resume();
    assert.deepEqual(seen, [`token reg repository:a/b:pull,push repository:c/d:pull Basic ${Buffer.from('u:p').toString('base64')}`]);
    const again = await s.send('GET', s.url('tags/list'));
    again.body.resume();
    assert.equal(seen.length, 1, 'the token is reused');
    const bad = new RegistrySession(ep, 'a/b', { username: 'u', password: 'wrong' }, ['pull']);
    await assert.rejects(bad.send('GET', bad.url('tags/list')), /unauthorized: incorrect username or password/);
  } finally {
    server.close();
  }
});
