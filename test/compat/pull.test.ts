/**
 * Registry round trips through the real docker CLI and through berth against one daemon
 * and Debian's reference registry on loopback in the daemon's netns: pull, run, rmi and
 * re-pull, pull by digest, push with mounts and skips, htpasswd auth over TLS from a test
 * CA (certs.d), an OCI multi-platform index with zstd layers, a corrupted blob, save/load.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestDaemon, makeCli, request, target, type Cli } from '../integration/harness';
import {
  addOciImage, busyboxLayer, makeCerts, oneFileTar, skopeoCopy, startRegistry, writeIndex, type Registry,
} from '../integration/distribution/fixtures';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'needs root';

let d: TestDaemon;
let plain: Registry;
let secure: Registry;
let work = '';
let certsDir = '';
let imageId = '';
let manifestDigest = '';
const clis: Record<string, Cli> = {};

before(async () => {
  if (!isRoot) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-pull-'));
  certsDir = path.join(work, 'certs.d');
  // the daemon's netns must exist before the registries start in it: start the daemon first
  const certs = makeCerts(path.join(work, 'ca'));
  d = await TestDaemon.start({ name: 'pull', extraArgs: target() === 'berth' ? ['--certs-dir', certsDir] : [] });
  plain = await startRegistry(d.netns);
  secure = await startRegistry(d.netns, { htpasswd: { user: 'tester', password: 's3cret' }, tls: certs });
  fs.mkdirSync(path.join(certsDir, secure.host), { recursive: true });
  fs.copyFileSync(certs.ca, path.join(certsDir, secure.host, 'ca.crt'));
  const layout = path.join(work, 'layout');
  const img = addOciImage(layout, [busyboxLayer(), oneFileTar('hello.txt', 'hello from the registry\n')]);
  writeIndex(layout, [{ img }]);
  skopeoCopy(d.netns, `oci:${layout}:latest`, `docker://${plain.host}/busybox:latest`, { format: 'v2s2' });
  imageId = img.configDigest;
  // a multi-platform OCI index with zstd layers
  const multi = path.join(work, 'multi');
  const amd = addOciImage(multi, [busyboxLayer(), oneFileTar('arch.txt', 'amd64\n')], { compress: 'zstd', arch: 'amd64' });
  const arm = addOciImage(multi, [oneFileTar('arch.txt', 'arm64\n')], { compress: 'gzip', arch: 'arm64' });
  manifestDigest = writeIndex(multi, [{ img: amd, arch: 'amd64' }, { img: arm, arch: 'arm64' }], 'latest', true);
  skopeoCopy(d.netns, `oci:${multi}:latest`, `docker://${plain.host}/multi:latest`, { all: true });
  for (const k of ['docker', 'berth'] as const) {
    const cfg = path.join(work, `cfg-${k}`);
    fs.mkdirSync(cfg);
    const base = makeCli(k, d.socket);
    const cli = ((args: string[], o?: Parameters<Cli>[1]) => base(['--config', cfg, ...args], o)) as Cli;
    clis[k] = cli;
  }
});

after(async () => {
  await plain?.stop();
  await secure?.stop();
  await d?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);

for (const kind of ['docker', 'berth'] as const) {
  test(`${kind}: pull, run, rmi, re-pull, pull by digest`, { skip }, async () => {
    const cli = clis[kind];
    const ref = `${plain.host}/busybox:latest`;
    const p = await cli(['pull', ref]);
    ok(p, 'pull');
    assert.match(p.stdout, /Pull complete|Already exists/);
    assert.match(p.stdout, /Digest: sha256:[0-9a-f]{64}/);
    const id = await cli(['image', 'inspect', '-f', '{{.Id}}', ref]);
    assert.equal(id.stdout.trim(), imageId);
    const run = await cli(['run', '--rm', '--network', 'none', ref, 'cat', '/hello.txt']);
    ok(run, 'run');
    assert.equal(run.stdout, 'hello from the registry\n');
    const digest = /Digest: (sha256:[0-9a-f]{64})/.exec(p.stdout)![1];
    ok(await cli(['rmi', ref]), 'rmi');
    ok(await cli(['pull', ref]), 're-pull');
    ok(await cli(['rmi', ref]), 'rmi');
    const byDigest = await cli(['pull', `${plain.host}/busybox@${digest}`]);
    ok(byDigest, 'pull by digest');
    const digests = await cli(['images', '--digests', '--format', '{{.Digest}}']);
    assert.match(digests.stdout, new RegExp(digest));
    ok(await cli(['rmi', `${plain.host}/busybox@${digest}`]), 'rmi by digest');
  });

  test(`${kind}: push mounts or skips layers the registry has`, { skip }, async () => {
    const cli = clis[kind];
    ok(await cli(['pull', `${plain.host}/busybox:latest`]), 'pull');
    ok(await cli(['tag', `${plain.host}/busybox:latest`, `${plain.host}/copy-${kind}:v1`]), 'tag');
    const push = await cli(['push', `${plain.host}/copy-${kind}:v1`]);
    ok(push, 'push');
    assert.match(push.stdout, /Mounted from \S+|Layer already exists/);
    assert.match(push.stdout, /v1: digest: sha256:[0-9a-f]{64} size: \d+/);
    const again = await cli(['push', `${plain.host}/copy-${kind}:v1`]);
    assert.match(again.stdout, /Layer already exists/);
    ok(await cli(['rmi', `${plain.host}/copy-${kind}:v1`, `${plain.host}/busybox:latest`]), 'rmi');
    const back = await cli(['run', '--rm', '--network', 'none', `${plain.host}/copy-${kind}:v1`, 'cat', '/hello.txt']);
    ok(back, 'run pulled copy');
    ok(await cli(['rmi', `${plain.host}/copy-${kind}:v1`]), 'rmi');
  });

  test(`${kind}: login, push and pull with htpasswd over TLS (certs.d CA), logout`, { skip: skip || (target() === 'docker' && 'certs.d is berth\'s dir') }, async () => {
    const cli = clis[kind];
    const ref = `${secure.host}/private-${kind}:1`;
    ok(await cli(['pull', `${plain.host}/busybox:latest`]), 'pull');
    ok(await cli(['tag', `${plain.host}/busybox:latest`, ref]), 'tag');
    const anon = await cli(['push', ref]);
    assert.notEqual(anon.code, 0);
    assert.match(anon.stdout + anon.stderr, /no basic auth credentials|unauthorized/);
    const bad = await cli(['login', '-u', 'tester', '--password-stdin', secure.host], { input: 'wrong\n' });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /401 Unauthorized|unauthorized/);
    const good = await cli(['login', '-u', 'tester', '--password-stdin', secure.host], { input: 's3cret\n' });
    ok(good, 'login');
    assert.match(good.stdout, /Login Succeeded/);
    ok(await cli(['push', ref]), 'push');
    ok(await cli(['rmi', ref]), 'rmi');
    ok(await cli(['pull', ref]), 'pull');
    const out = await cli(['logout', secure.host]);
    assert.match(out.stdout, /Removing login credentials/);
    ok(await cli(['rmi', ref, `${plain.host}/busybox:latest`]), 'rmi');
  });
}

test('berth pull on a terminal redraws one line per layer (ANSI), like docker', { skip: skip || (target() === 'docker' && 'berth CLI output') }, async () => {
  const ref = `${plain.host}/busybox:latest`;
  await clis.berth(['rmi', ref]);
  const p = await clis.berth(['pull', ref], { tty: true });
  ok(p, 'pull');
  assert.match(p.stdout, /\x1b\[2K\r[0-9a-f]{12}: Pull complete/);
  assert.match(p.stdout, /\x1b\[\d+A/);
  assert.match(p.stdout, /Status: Downloaded newer image/);
  ok(await clis.berth(['rmi', ref]), 'rmi');
});

test('pull -a pulls every tag of the repository', { skip }, async () => {
  const cli = clis.docker;
  ok(await cli(['pull', `${plain.host}/busybox:latest`]), 'pull');
  ok(await cli(['tag', `${plain.host}/busybox:latest`, `${plain.host}/tags:a`]), 'tag a');
  ok(await cli(['tag', `${plain.host}/busybox:latest`, `${plain.host}/tags:b`]), 'tag b');
  ok(await cli(['push', '-a', `${plain.host}/tags`]), 'push -a');
  ok(await cli(['rmi', `${plain.host}/tags:a`, `${plain.host}/tags:b`]), 'rmi');
  for (const c of [clis.docker, clis.berth]) {
    ok(await c(['pull', '-a', `${plain.host}/tags`]), 'pull -a');
    const tags = await c(['images', '--format', '{{.Tag}}', `${plain.host}/tags`]);
    assert.deepEqual(tags.stdout.trim().split('\n').sort(), ['a', 'b']);
    ok(await c(['rmi', `${plain.host}/tags:a`, `${plain.host}/tags:b`]), 'rmi');
  }
  ok(await cli(['rmi', `${plain.host}/busybox:latest`]), 'rmi');
});

test('OCI multi-platform index with zstd layers pulls the host platform and runs', { skip: skip || (target() === 'docker' && 'dockerd 20.10 predates zstd layers') }, async () => {
  const cli = clis.docker;
  const p = await cli(['pull', `${plain.host}/multi:latest`]);
  ok(p, 'pull');
  assert.ok(p.stdout.includes(`Digest: ${manifestDigest}`), p.stdout);
  const run = await cli(['run', '--rm', '--network', 'none', `${plain.host}/multi:latest`, 'cat', '/arch.txt']);
  ok(run, 'run');
  assert.equal(run.stdout, 'amd64\n');
  const missing = await cli(['pull', '--platform', 'linux/s390x', `${plain.host}/multi:latest`]);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /no matching manifest for linux\/s390x/);
  ok(await cli(['rmi', `${plain.host}/multi:latest`]), 'rmi');
});

test('GET /distribution/{name}/json: descriptor and platforms of an index and of a manifest', { skip }, async () => {
  const multi = await request(d.socket, 'GET', `/v1.41/distribution/${plain.host}/multi:latest/json`);
  assert.equal(multi.status, 200, multi.body);
  assert.equal(multi.json.Descriptor.digest, manifestDigest);
  assert.equal(multi.json.Descriptor.mediaType, 'application/vnd.oci.image.index.v1+json');
  assert.deepEqual(multi.json.Platforms.map((p: { architecture: string }) => p.architecture).sort(), ['amd64', 'arm64']);
  const one = await request(d.socket, 'GET', `/v1.41/distribution/${plain.host}/busybox:latest/json`);
  assert.equal(one.status, 200, one.body);
  assert.deepEqual(one.json.Platforms.map((p: { os: string; architecture: string }) => `${p.os}/${p.architecture}`), ['linux/amd64']);
  const missing = await request(d.socket, 'GET', `/v1.41/distribution/${plain.host}/busybox:nope/json`);
  assert.equal(missing.status, 404);
});

for (const compress of ['none', 'gzip'] as const) {
test(`a corrupted ${compress} blob fails the pull and leaves nothing behind`, { skip: skip || (target() === 'docker' && 'inspects berth\'s data root') }, async () => {
  const layout = path.join(work, `corrupt-${compress}`);
  const img = addOciImage(layout, [oneFileTar('big.bin', randomBytes(300_000))], { compress });
  writeIndex(layout, [{ img }]);
  skopeoCopy(d.netns, `oci:${layout}:latest`, `docker://${plain.host}/corrupt-${compress}:latest`, { format: 'oci' });
  // what skopeo pushed (it may have recompressed): the tag's manifest in the registry's storage
  const v2 = path.join(plain.dir, 'data', 'docker', 'registry', 'v2');
  const blobFile = (dg: string) => path.join(v2, 'blobs', 'sha256', dg.slice(7, 9), dg.slice(7), 'data');
  const link = fs.readFileSync(path.join(v2, 'repositories', `corrupt-${compress}`, '_manifests', 'tags', 'latest', 'current', 'link'), 'utf8').trim();
  const layerDigest = (JSON.parse(fs.readFileSync(blobFile(link), 'utf8')) as { layers: { digest: string }[] }).layers[0].digest;
  const blob = blobFile(layerDigest);
  const bytes = fs.readFileSync(blob);
  bytes[bytes.length - 100] ^= 0xff;
  fs.writeFileSync(blob, bytes);
  const layersBefore = fs.readdirSync(path.join(d.dataRoot, 'overlay2')).sort();
  const p = await clis.berth(['pull', `${plain.host}/corrupt-${compress}:latest`]);
  assert.notEqual(p.code, 0);
  assert.match(p.stdout + p.stderr, new RegExp(`filesystem layer verification failed for digest ${layerDigest}`));
  const imgs = await clis.berth(['images', '-q', `${plain.host}/corrupt-${compress}`]);
  assert.equal(imgs.stdout.trim(), '');
  assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'overlay2')).sort(), layersBefore);
  assert.ok(!fs.existsSync(path.join(d.dataRoot, 'content', 'blobs', 'sha256', layerDigest.slice(7))));
});
}

test('save and load round trip keeps the image id (docker CLI and berth)', { skip }, async () => {
  const ref = `${plain.host}/busybox:latest`;
  ok(await clis.docker(['pull', ref]), 'pull');
  const tar = path.join(work, 'saved.tar');
  ok(await clis.docker(['save', '-o', tar, ref]), 'save');
  ok(await clis.docker(['rmi', ref]), 'rmi');
  const load = await clis.docker(['load', '-i', tar]);
  ok(load, 'load');
  assert.match(load.stdout, new RegExp(`Loaded image: ${ref.replace(/[.]/g, '\\.')}`));
  const id = await clis.docker(['image', 'inspect', '-f', '{{.Id}}', ref]);
  assert.equal(id.stdout.trim(), imageId);
  const run = await clis.docker(['run', '--rm', '--network', 'none', ref, 'cat', '/hello.txt']);
  assert.equal(run.stdout, 'hello from the registry\n');
  ok(await clis.docker(['rmi', ref]), 'rmi');
});

test('load reads an OCI image layout (tar of oci-layout, index.json, blobs)', { skip: skip || (target() === 'docker' && 'dockerd 20.10 predates OCI-layout load (docker 25)') }, async () => {
  const layout = path.join(work, 'oci-load');
  const img = addOciImage(layout, [busyboxLayer(), oneFileTar('oci.txt', 'from an OCI layout\n')], { compress: 'gzip' });
  writeIndex(layout, [{ img }], `${plain.host}/oci-loaded:1`);
  const tar = execFileSync('tar', ['-C', layout, '-cf', '-', '.'], { maxBuffer: 1 << 30 });
  for (const cli of [clis.docker, clis.berth]) {
    const l = await cli(['load'], { input: tar });
    ok(l, 'load');
    assert.match(l.stdout, /Loaded image: .*oci-loaded:1/);
    assert.equal((await cli(['image', 'inspect', '-f', '{{.Id}}', `${plain.host}/oci-loaded:1`])).stdout.trim(), img.configDigest);
    const run = await cli(['run', '--rm', '--network', 'none', `${plain.host}/oci-loaded:1`, 'cat', '/oci.txt']);
    assert.equal(run.stdout, 'from an OCI layout\n');
    ok(await cli(['rmi', `${plain.host}/oci-loaded:1`]), 'rmi');
  }
});
