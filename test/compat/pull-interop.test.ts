/**
 * Interop with a real dockerd (Debian's 20.10) and skopeo through one loopback registry in
 * berthd's netns: images pushed by either daemon pull into the other and run; save/load
 * both ways keeps image ids; skopeo copies out of what berth pushed; kill -9 of berthd in
 * the middle of a (slowed) pull leaves nothing half-made and the next pull succeeds; image
 * prune. Berth-only (the dockerd here is a second daemon, started by the test).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TestDaemon, makeCli, target, eventually, type Cli } from '../integration/harness';
import {
  addOciImage, busyboxLayer, inNetns, makeTokenKey, oneFileTar, skopeoCopy, startDockerd, startRegistry, startSlowProxy, startTokenServer, writeIndex, type Registry,
} from '../integration/distribution/fixtures';

const skip = (process.getuid?.() !== 0 && 'needs root') || (target() === 'docker' && 'berth against dockerd');

let d: TestDaemon;
let reg: Registry;
let dockerd: { socket: string; stop(): Promise<void> } | undefined;
let work = '';
let berth: Cli;
let bdocker: Cli; // the docker CLI against berthd
let ddocker: Cli; // the docker CLI against dockerd
let ref = '';

before(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-interop-'));
  // daemon.json is written once the registry's port is known; the mirror test restarts into it
  d = await TestDaemon.start({ name: 'pull-interop', target: 'berth', extraArgs: ['--config-file', path.join(work, 'daemon.json')] });
  reg = await startRegistry(d.netns);
  const layout = path.join(work, 'layout');
  const img = addOciImage(layout, [busyboxLayer(), oneFileTar('hello.txt', 'interop\n')]);
  writeIndex(layout, [{ img }]);
  ref = `${reg.host}/busybox:latest`;
  skopeoCopy(d.netns, `oci:${layout}:latest`, `docker://${ref}`, { format: 'v2s2' });
  dockerd = await startDockerd(d.netns);
  berth = makeCli('berth', d.socket);
  bdocker = makeCli('docker', d.socket);
  ddocker = makeCli('docker', dockerd.socket);
});

after(async () => {
  await dockerd?.stop();
  await reg?.stop();
  await d?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);
const idOf = async (cli: Cli, name: string) => (await cli(['image', 'inspect', '-f', '{{.Id}}', name])).stdout.trim();

test('dockerd pushes, berth pulls and runs; berth pushes, dockerd pulls and runs', { skip }, async () => {
  ok(await ddocker(['pull', ref]), 'dockerd pull');
  ok(await ddocker(['tag', ref, `${reg.host}/by-dockerd:1`]), 'tag');
  ok(await ddocker(['push', `${reg.host}/by-dockerd:1`]), 'dockerd push');
  ok(await berth(['pull', `${reg.host}/by-dockerd:1`]), 'berth pull');
  const run = await berth(['run', '--rm', '--network', 'none', `${reg.host}/by-dockerd:1`, 'cat', '/hello.txt']);
  assert.equal(run.stdout, 'interop\n');
  // an image made in berth (import: its layer never came from a registry)
  const imp = await bdocker(['import', '-c', 'CMD ["cat","/x.txt"]', '-', `${reg.host}/by-berth:1`], { input: oneFileTar('x.txt', `made in berth ${randomBytes(4).toString('hex')}\n`) });
  ok(imp, 'import');
  ok(await bdocker(['push', `${reg.host}/by-berth:1`]), 'berth push');
  ok(await ddocker(['pull', `${reg.host}/by-berth:1`]), 'dockerd pull');
  assert.equal(await idOf(ddocker, `${reg.host}/by-berth:1`), await idOf(bdocker, `${reg.host}/by-berth:1`));
  const base = await berth(['push', `${reg.host}/by-dockerd:1`]);
  ok(base, 'berth re-push');
  assert.match(base.stdout, /Layer already exists/);
});

test('save/load between berth and dockerd keeps image ids, both ways', { skip }, async () => {
  ok(await ddocker(['pull', ref]), 'dockerd pull');
  const fromDocker = path.join(work, 'from-docker.tar');
  ok(await ddocker(['save', '-o', fromDocker, ref]), 'dockerd save');
  await berth(['rmi', '-f', ref]);
  const l1 = await berth(['load', '-i', fromDocker]);
  ok(l1, 'berth load');
  assert.equal(await idOf(berth, ref), await idOf(ddocker, ref));
  const tagged = `${reg.host}/saved-by-berth:1`;
  ok(await berth(['tag', `${reg.host}/by-berth:1`, tagged]), 'tag');
  const fromBerth = path.join(work, 'from-berth.tar');
  ok(await berth(['save', '-o', fromBerth, tagged, ref]), 'berth save');
  await ddocker(['rmi', '-f', ref]);
  const l2 = await ddocker(['load', '-i', fromBerth]);
  ok(l2, 'dockerd load');
  assert.match(l2.stdout, /Loaded image: .*saved-by-berth:1/);
  assert.equal(await idOf(ddocker, tagged), await idOf(berth, tagged));
  assert.equal(await idOf(ddocker, ref), await idOf(berth, ref));
  const run = await ddocker(['run', '--rm', '--network', 'none', ref, 'cat', '/hello.txt']);
  assert.equal(run.stdout, 'interop\n');
});

test('skopeo copies out of a repository berth pushed to', { skip }, async () => {
  ok(await berth(['tag', ref, `${reg.host}/skopeo-src:1`]), 'tag');
  ok(await berth(['push', `${reg.host}/skopeo-src:1`]), 'push');
  const outDir = path.join(work, 'skopeo-out');
  skopeoCopy(d.netns, `docker://${reg.host}/skopeo-src:1`, `oci:${outDir}:x`);
  const index = JSON.parse(fs.readFileSync(path.join(outDir, 'index.json'), 'utf8')) as { manifests: unknown[] };
  assert.equal(index.manifests.length, 1);
  const inspect = JSON.parse(inNetns(d.netns, 'skopeo', ['inspect', '--tls-verify=false', `docker://${reg.host}/skopeo-src:1`])) as { Layers: string[] };
  assert.equal(inspect.Layers.length, 2);
});

test('kill -9 of berthd mid-pull leaves nothing half-made; the next pull succeeds', { skip }, async () => {
  const layout = path.join(work, 'big');
  const img = addOciImage(layout, [busyboxLayer(), oneFileTar('big.bin', randomBytes(12 << 20))]);
  writeIndex(layout, [{ img }]);
  skopeoCopy(d.netns, `oci:${layout}:latest`, `docker://${reg.host}/big:latest`, { format: 'v2s2' });
  const proxy = await startSlowProxy(d.netns, reg.port, 3 << 20);
  try {
    const bigRef = `${proxy.host}/big:latest`;
    await berth(['rmi', '-f', ref]).catch(() => undefined);
    const child = berth.spawn(['pull', bigRef]);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => { out += c.toString(); });
    await eventually('download under way', async () => /Downloading|Pulling fs layer/.test(out), 20_000);
    await new Promise((r) => setTimeout(r, 800));
    await d.kill9();
    child.kill('SIGKILL');
    await d.restart();
    const imgs = await berth(['images', '--format', '{{.Repository}}:{{.Tag}}']);
    assert.doesNotMatch(imgs.stdout, /\/big:/, `pull output before the kill:\n${out}`);
    const leftovers = fs.readdirSync(path.join(d.dataRoot, 'overlay2')).filter((n) => n.startsWith('.tmp-'));
    assert.deepEqual(leftovers, []);
    assert.deepEqual(fs.readdirSync(path.join(d.dataRoot, 'content', 'ingest')), []);
    const again = await berth(['pull', bigRef], { timeoutMs: 60_000 });
    ok(again, 'pull after restart');
    assert.equal(await idOf(berth, bigRef), img.configDigest);
  } finally {
    proxy.stop();
  }
});

test('image prune removes dangling images; -a removes unused ones', { skip }, async () => {
  const a = await bdocker(['import', '-', 'prune-me:1'], { input: oneFileTar('p.txt', 'one') });
  ok(a, 'import');
  ok(await bdocker(['import', '-', 'prune-me:1'], { input: oneFileTar('p.txt', 'two') }), 'import over the tag');
  const p = await berth(['image', 'prune', '-f']);
  ok(p, 'prune');
  assert.match(p.stdout, /deleted: sha256:[0-9a-f]{64}/);
  assert.match(p.stdout, /Total reclaimed space:/);
  const all = await berth(['image', 'prune', '-a', '-f', '--filter', 'label=nothing-has-this']);
  ok(all, 'prune -a with a label filter');
  assert.doesNotMatch(all.stdout, /prune-me/);
  const all2 = await berth(['image', 'prune', '-a', '-f']);
  assert.match(all2.stdout, /untagged: prune-me:1/);
});

test('registry-mirrors serve docker.io names (busybox = docker.io/library/busybox) from the mirror', { skip }, async () => {
  skopeoCopy(d.netns, `docker://${ref}`, `docker://${reg.host}/library/busybox:latest`);
  fs.writeFileSync(path.join(work, 'daemon.json'), JSON.stringify({ 'registry-mirrors': [`http://${reg.host}`] }));
  await d.restart();
  const p = await berth(['pull', 'busybox']);
  ok(p, 'pull busybox through the mirror');
  assert.match(p.stdout, /docker\.io\/library\/busybox:latest/);
  const run = await berth(['run', '--rm', '--network', 'none', 'busybox', 'cat', '/hello.txt']);
  assert.equal(run.stdout, 'interop\n');
  const missing = await berth(['pull', 'nosuchimage']);
  assert.notEqual(missing.code, 0);
  ok(await berth(['rmi', 'busybox']), 'rmi');
});

test('Bearer token auth (registry with a token server): login, push, pull; a wrong password is refused', { skip }, async () => {
  const keys = makeTokenKey(path.join(work, 'token'));
  const ts = await startTokenServer(d.netns, { ...keys, user: 'tok', password: 'en' });
  const treg = await startRegistry(d.netns, { token: { realm: ts.realm, cert: keys.cert } });
  try {
    await berth(['pull', ref]);
    for (const [name, cli] of [['berth', berth], ['docker', bdocker]] as const) {
      const cfg = path.join(work, `cfg-token-${name}`);
      const b = (args: string[], o?: Parameters<Cli>[1]) => cli(['--config', cfg, ...args], o);
      const to = `${treg.host}/private/${name}:1`;
      ok(await berth(['tag', ref, to]), 'tag');
      const anon = await b(['push', to]);
      assert.notEqual(anon.code, 0);
      const bad = await b(['login', '-u', 'tok', '--password-stdin', treg.host], { input: 'nope\n' });
      assert.notEqual(bad.code, 0);
      assert.match(bad.stderr, /401|unauthorized/i);
      ok(await b(['login', '-u', 'tok', '--password-stdin', treg.host], { input: 'en\n' }), `${name} login`);
      const pushed = await b(['push', to]);
      ok(pushed, `${name} push`);
      // the second repository mounts the first one's blobs: the token must cover repository:<from>:pull
      if (name === 'docker') assert.match(pushed.stdout, /Mounted from private\/berth/);
      ok(await berth(['rmi', to]), 'rmi');
      ok(await b(['pull', to]), `${name} pull`);
      const run = await berth(['run', '--rm', '--network', 'none', to, 'cat', '/hello.txt']);
      assert.equal(run.stdout, 'interop\n');
      ok(await berth(['rmi', to]), 'rmi');
    }
  } finally {
    await treg.stop();
    ts.stop();
  }
});
