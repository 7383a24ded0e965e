/**
 * The volume, archive and df endpoints over raw HTTP, with the statuses and messages dockerd
 * gives (written to pass against dockerd too: TARGET=docker).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { TestDaemon, makeCli, importBusybox, request } from '../integration/harness';

const isRoot = process.getuid?.() === 0;
const skip = !isRoot && 'needs root (a daemon)';
let d: TestDaemon;
/** Prune's `all` filter and df's `type` came with API 1.42 (Debian's dockerd 20.10 speaks 1.41). */
let modern = true;
const api = (method: string, p: string, body?: unknown) => request(d.socket, method, p, body === undefined ? {} : { body });
const q = (o: unknown) => encodeURIComponent(JSON.stringify(o));

before(async () => {
  if (!isRoot) return;
  d = await TestDaemon.start({ name: 'volume-api' });
  await importBusybox(makeCli('docker', d.socket));
  const v = String((await request(d.socket, 'GET', '/version')).json.ApiVersion).split('.').map(Number);
  modern = v[0] > 1 || v[1] >= 42;
});
after(async () => { if (isRoot) await d?.stop(); });

test('create, inspect, list, remove with dockerd statuses and messages', { skip }, async () => {
  const c = await api('POST', '/volumes/create', { Name: 'apivol', Labels: { a: 'b' } });
  assert.equal(c.status, 201, c.body);
  assert.equal(c.json.Name, 'apivol');
  assert.equal(c.json.Driver, 'local');
  assert.equal(c.json.Scope, 'local');
  assert.deepEqual(c.json.Labels, { a: 'b' });
  assert.match(c.json.Mountpoint, /\/volumes\/apivol\/_data$/);
  assert.match(c.json.CreatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d)$/);
  assert.equal((await api('POST', '/volumes/create', { Name: 'apivol' })).status, 201, 'an existing name is answered as is');
  const gen = await api('POST', '/volumes/create', {});
  assert.match(gen.json.Name, /^[0-9a-f]{64}$/);
  const bad = await api('POST', '/volumes/create', { Name: 'a/b' });
  assert.equal(bad.status, 400);
  assert.match(bad.json.message, /includes invalid characters for a local volume name/);
  const missing = await api('GET', '/volumes/nope');
  assert.equal(missing.status, 404);
  assert.equal(missing.json.message, 'get nope: no such volume');
  assert.equal((await api('DELETE', '/volumes/nope')).status, 404);
  assert.equal((await api('DELETE', '/volumes/nope?force=1')).status, 204);
  const list = await api('GET', `/volumes?filters=${q({ label: ['a=b'] })}`);
  assert.deepEqual(list.json.Volumes.map((v: { Name: string }) => v.Name), ['apivol']);
  assert.equal((await api('GET', `/volumes?filters=${q({ bogus: ['1'] })}`)).status, 400);
  const ctr = await api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { Binds: ['apivol:/d'], NetworkMode: 'none' } });
  assert.equal(ctr.status, 201, ctr.body);
  const inUse = await api('DELETE', '/volumes/apivol');
  assert.equal(inUse.status, 409);
  assert.equal(inUse.json.message, `remove apivol: volume is in use - [${ctr.json.Id}]`);
  const dangling = await api('GET', `/volumes?filters=${q({ dangling: ['true'] })}`);
  assert.ok(!dangling.json.Volumes.some((v: { Name: string }) => v.Name === 'apivol'));
  const inspect = await api('GET', `/containers/${ctr.json.Id}/json`);
  assert.deepEqual(inspect.json.Mounts.map((m: Record<string, unknown>) => [m.Type, m.Name, m.Destination, m.Driver, m.RW]), [['volume', 'apivol', '/d', 'local', true]]);
  assert.equal((await api('DELETE', `/containers/${ctr.json.Id}`)).status, 204);
  assert.equal((await api('DELETE', '/volumes/apivol')).status, 204);
  const pruned = await api('POST', modern ? `/volumes/prune?filters=${q({ all: ['true'] })}` : '/volumes/prune');
  assert.equal(pruned.status, 200);
  assert.ok(pruned.json.VolumesDeleted.includes(gen.json.Name));
  assert.equal(typeof pruned.json.SpaceReclaimed, 'number');
});

test('--mount of a missing bind source is refused at create', { skip }, async () => {
  const r = await api('POST', '/containers/create', { Image: 'busybox', HostConfig: { Mounts: [{ Type: 'bind', Source: '/no/such/dir', Target: '/x' }] } });
  assert.equal(r.status, 400);
  assert.match(r.json.message, /invalid mount config for type "bind": bind source path does not exist: \/no\/such\/dir/);
});

test('archive: stat header, tar out, extraction point checks', { skip }, async () => {
  const ctr = await api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { NetworkMode: 'none' } });
  const id = ctr.json.Id as string;
  const head = await request(d.socket, 'HEAD', `/containers/${id}/archive?path=/etc/passwd`);
  assert.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(stat.name, 'passwd');
  assert.equal(stat.mode, 0o644);
  assert.ok(stat.size > 0);
  assert.equal(stat.linkTarget, '');
  const dir = await request(d.socket, 'HEAD', `/containers/${id}/archive?path=/etc/`);
  const dstat = JSON.parse(Buffer.from(String(dir.headers['x-docker-container-path-stat']), 'base64').toString());
  assert.equal(dstat.name, 'etc');
  assert.equal(dstat.mode, 2 ** 31 + 0o755);
  assert.equal((await request(d.socket, 'HEAD', `/containers/${id}/archive?path=/nope`)).status, 404);
  const nf = await api('GET', `/containers/${id}/archive?path=/nope`);
  assert.equal(nf.status, 404);
  assert.equal(nf.json.message, `Could not find the file /nope in container ${id}`);
  const tarOut = await api('GET', `/containers/${id}/archive?path=/etc`);
  assert.equal(tarOut.status, 200);
  assert.equal(tarOut.headers['content-type'], 'application/x-tar');
  assert.equal(tarOut.body.slice(0, 4), 'etc/');
  const notDir = await request(d.socket, 'PUT', `/containers/${id}/archive?path=/etc/passwd`, { body: Buffer.alloc(1024), headers: { 'Content-Type': 'application/x-tar' } });
  assert.ok(notDir.status >= 400);
  assert.match(notDir.json.message, /extraction point is not a directory/);
  assert.equal((await request(d.socket, 'PUT', `/containers/${id}/archive?path=/nope`, { body: Buffer.alloc(1024) })).status, 404);
  await api('DELETE', `/containers/${id}`);
});

test('system df shape and type filter', { skip }, async () => {
  const all = await api('GET', '/system/df');
  assert.equal(all.status, 200);
  for (const k of ['LayersSize', 'Images', 'Containers', 'Volumes', 'BuildCache']) assert.ok(k in all.json, k);
  assert.ok(all.json.Images.length >= 1);
  assert.equal(typeof all.json.Images[0].Containers, 'number');
  if (!modern) return;
  const vol = await api('GET', '/system/df?type=volume');
  assert.deepEqual(Object.keys(vol.json).filter((k) => vol.json[k] !== null && vol.json[k] !== 0), ['Volumes']);
});
