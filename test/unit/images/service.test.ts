import { after, test } from 'node:test';
import { rmSync as rmTemp } from 'node:fs';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { EventBus } from '../../../src/engine/events';
import { isConflict, isInvalidParameter, isNotFound } from '../../../src/errdefs';
import { LocalImageService } from '../../../src/images/service';
import { openDatabase } from '../../../src/metadata/db';
import { makeTar, tarStream } from '../util/tarhelp';

const made: string[] = [];
after(() => { for (const d of made) rmTemp(d, { recursive: true, force: true }); });

async function setup() {
  const root = mkdtempSync(path.join(tmpdir(), 'berth-images-'));
  made.push(root);
  const events = new EventBus();
  const s = new LocalImageService({ root, db: openDatabase(path.join(root, 'berth.db')), events });
  await s.reconcile();
  const seen: string[] = [];
  events.subscribe((e) => seen.push(`${e.Action} ${e.Actor.Attributes.name}`));
  const imp = async (body: string, repo?: string, changes: string[] = []) =>
    s.import({ source: tarStream(await makeTar([{ name: 'file', body }])), repo, changes });
  return { root, s, imp, seen };
}

const short = (id: string) => id.slice(7, 19);

test('images: import records the image, its layer and tag; get resolves every way Docker does', async () => {
  const { s, imp, root, seen } = await setup();
  const img = await imp('one', 'busybox', ['LABEL l=v']);
  assert.match(img.id, /^sha256:[a-f0-9]{64}$/);
  assert.deepEqual(img.repoTags, ['busybox:latest']);
  assert.deepEqual(seen, ['tag busybox:latest', `import ${img.id}`]);
  for (const ref of ['busybox', 'busybox:latest', 'docker.io/library/busybox:latest', img.id, img.id.slice(7), short(img.id), img.id.slice(0, 12)]) {
    assert.equal(s.get(ref).id, img.id, ref);
  }
  assert.throws(() => s.get('busybox:other'), (e) => isNotFound(e) && (e as Error).message === 'No such image: busybox:other');
  assert.throws(() => s.get('nope'), (e) => (e as Error).message === 'No such image: nope:latest');
  assert.throws(() => s.get(`sha256:${'0'.repeat(64)}`), (e) => (e as Error).message === `No such image: sha256:${'0'.repeat(64)}`);
  assert.throws(() => s.get('Bad'), (e) => isInvalidParameter(e));
  assert.equal(s.config(img.id).config?.Labels?.l, 'v');
  assert.equal(readdirSync(path.join(root, 'overlay2')).filter((n) => n !== 'l').length, 1);
});

test('images: the same content imported twice shares its layer', async () => {
  const { s, imp, root } = await setup();
  // names that cannot be read as id prefixes (dockerd treats `rmi b` as an id prefix when an id starts with b)
  const a = await imp('same', 'img-x');
  const b = await imp('same', 'img-y', ['ENV X=1']);
  assert.notEqual(a.id, b.id);
  assert.equal(s.records.layers().length, 1);
  s.remove('img-x', {});
  await s.pendingCleanup;
  assert.equal(s.records.layers().length, 1, 'still used by b');
  s.remove('img-y', {});
  await s.pendingCleanup;
  assert.equal(s.records.layers().length, 0);
  assert.deepEqual(readdirSync(path.join(root, 'overlay2')), ['l']);
  assert.deepEqual(readdirSync(path.join(root, 'overlay2', 'l')), []);
  assert.deepEqual(readdirSync(path.join(root, 'content', 'blobs', 'sha256')), []);
});

test('images: tag moves a name between images; digests and "sha256" refused', async () => {
  const { s, imp, seen } = await setup();
  const a = await imp('a', 'app:1');
  const b = await imp('b');
  s.tag(b.id, 'app', '1');
  assert.deepEqual(s.get(a.id).repoTags, []);
  assert.deepEqual(s.get(b.id).repoTags, ['app:1']);
  s.tag('app:1', 'localhost:5000/x/y');
  assert.deepEqual(s.get(b.id).repoTags, ['app:1', 'localhost:5000/x/y:latest']);
  assert.ok(seen.includes('tag localhost:5000/x/y:latest'));
  assert.throws(() => s.tag(b.id, 'sha256'), /refusing to create an ambiguous tag using digest algorithm as name/);
  assert.throws(() => s.tag(b.id, 'Upper'), (e) => isInvalidParameter(e) && /must be lowercase/.test((e as Error).message));
  assert.throws(() => s.tag('missing', 'x'), (e) => isNotFound(e));
});

test('rmi: by name untags; by id with several repositories needs force', async () => {
  const { s, imp } = await setup();
  const img = await imp('x', 'one');
  s.tag(img.id, 'two');
  assert.throws(() => s.remove(short(img.id), {}), (e) => isConflict(e)
    && (e as Error).message === `conflict: unable to delete ${short(img.id)} (must be forced) - image is referenced in multiple repositories`);
  assert.deepEqual(s.remove('two', {}), [{ Untagged: 'two:latest' }]);
  assert.deepEqual(s.get(img.id).repoTags, ['one:latest']);
  const out = s.remove(short(img.id), {});
  assert.deepEqual(out.slice(0, 2), [{ Untagged: 'one:latest' }, { Deleted: img.id }]);
  assert.equal(out.length, 3, 'the image, then its layer (chain id)');
  assert.match(out[2].Deleted ?? '', /^sha256:[a-f0-9]{64}$/);
  assert.notEqual(out[2].Deleted, img.id);
  assert.throws(() => s.get(img.id), (e) => isNotFound(e));
});

test('rmi: a name that is also a prefix of the image id counts as the id, as in dockerd', async () => {
  const { s, imp } = await setup();
  const img = await imp('x', 'tagged');
  const prefix = img.id.slice(7, 8);
  s.tag(img.id, prefix);
  assert.throws(() => s.remove(prefix, {}), /image is referenced in multiple repositories/);
});

test('rmi: two tags of one repository by id are removed without force; -f removes every reference', async () => {
  const { s, imp } = await setup();
  const img = await imp('x', 'app:1');
  s.tag(img.id, 'app', '2');
  // two tags in one repository: isSingleReference is false (two tags), so force is needed
  assert.throws(() => s.remove(img.id, {}), /image is referenced in multiple repositories/);
  const out = s.remove(img.id, { force: true });
  assert.deepEqual(out.filter((r) => r.Untagged), [{ Untagged: 'app:1' }, { Untagged: 'app:2' }]);
  assert.equal(out.find((r) => r.Deleted)?.Deleted, img.id);
  assert.throws(() => s.remove('nope', {}), (e) => isNotFound(e) && (e as Error).message === 'No such image: nope:latest');
});

test('rmi: containers block as Docker: last reference, stopped (soft) and running (hard)', async () => {
  const { s, imp } = await setup();
  const img = await imp('x', 'busybox');
  const cid = 'c'.repeat(64);
  let running = false;
  s.setUsageCheck((id) => (id === img.id ? [cid] : []), (id) => (id === img.id && running ? [cid] : []));
  assert.throws(() => s.remove('busybox', {}), (e) => isConflict(e) && (e as Error).message
    === `conflict: unable to remove repository reference "busybox" (must force) - container ${cid.slice(0, 12)} is using its referenced image ${short(img.id)}`);
  assert.throws(() => s.remove(img.id, {}), (e) => (e as Error).message
    === `conflict: unable to delete ${short(img.id)} (must be forced) - image is being used by stopped container ${cid.slice(0, 12)}`);
  running = true;
  assert.throws(() => s.remove(img.id, { force: true }), (e) => isConflict(e) && (e as Error).message
    === `conflict: unable to delete ${short(img.id)} (cannot be forced) - image is being used by running container ${cid.slice(0, 12)}`);
  // -f by name with a running container: the tag goes, the image stays (quietly)
  assert.deepEqual(s.remove('busybox', { force: true }), [{ Untagged: 'busybox:latest' }]);
  assert.equal(s.get(img.id).id, img.id);
  running = false;
  const out = s.remove(img.id, { force: true });
  assert.equal(out[0].Deleted, img.id);
});

test('rmi: a second tag can go even when a container uses the image', async () => {
  const { s, imp } = await setup();
  const img = await imp('x', 'first');
  s.tag(img.id, 'second');
  s.setUsageCheck(() => ['d'.repeat(64)]);
  assert.deepEqual(s.remove('second', {}), [{ Untagged: 'second:latest' }]);
});

test('list: dangling, label, reference, before, since filters and Docker shapes', async () => {
  const { s, imp } = await setup();
  const a = await imp('a', 'web:1', ['LABEL tier=front']);
  await new Promise((r) => setTimeout(r, 15));
  const b = await imp('b', 'db:1', ['LABEL tier=back']);
  await new Promise((r) => setTimeout(r, 15));
  const c = await imp('c');
  const ids = (f: Record<string, string[]>, api = '1.50') => s.listImages({ apiVersion: api, filters: new Map(Object.entries(f)) }).map((i) => i.Id);
  assert.deepEqual(ids({}), [c.id, b.id, a.id], 'newest first');
  assert.deepEqual(ids({ dangling: ['true'] }), [c.id]);
  assert.deepEqual(ids({ dangling: ['false'] }), [b.id, a.id]);
  assert.deepEqual(ids({ label: ['tier=front'] }), [a.id]);
  assert.deepEqual(ids({ label: ['tier'] }), [b.id, a.id]);
  assert.deepEqual(ids({ reference: ['web*'] }), [a.id]);
  assert.deepEqual(ids({ reference: ['web:1'] }), [a.id]);
  assert.deepEqual(ids({ before: ['db:1'] }), [a.id]);
  assert.deepEqual(ids({ since: ['web:1'] }), [c.id, b.id]);
  assert.throws(() => ids({ bogus: ['x'] }), (e) => isInvalidParameter(e) && (e as Error).message === "invalid filter 'bogus'");
  assert.throws(() => ids({ dangling: ['maybe'] }), (e) => isInvalidParameter(e));
  const [first] = s.listImages({ apiVersion: '1.41', filters: new Map() });
  assert.deepEqual(first.RepoTags, ['<none>:<none>']);
  assert.equal(first.VirtualSize, first.Size);
  const web = s.listImages({ apiVersion: '1.50', filters: new Map([['reference', ['web']]]) })[0];
  assert.deepEqual(Object.keys(web), ['Containers', 'Created', 'Id', 'Labels', 'ParentId', 'RepoDigests', 'RepoTags', 'SharedSize', 'Size']);
  assert.deepEqual(web.Labels, { tier: 'front' });
  assert.equal(typeof web.Created, 'number');
});

test('inspect and history: Docker shapes', async () => {
  const { s, imp } = await setup();
  const img = await imp('hello', 'app:1', ['CMD ["sh"]']);
  const ins = await s.inspectImage('app:1', '1.50');
  assert.deepEqual(Object.keys(ins), ['Id', 'RepoTags', 'RepoDigests', 'Parent', 'Comment', 'Created', 'DockerVersion', 'Author',
    'Config', 'Architecture', 'Os', 'Size', 'GraphDriver', 'RootFS', 'Metadata']);
  assert.equal(ins.Comment, 'Imported from -');
  assert.deepEqual(ins.Config, { Cmd: ['sh'] });
  const gd = ins.GraphDriver as { Name: string; Data: Record<string, string> };
  assert.equal(gd.Name, 'overlay2');
  assert.ok(existsSync(gd.Data.UpperDir));
  assert.deepEqual((ins.RootFS as { Layers: string[] }).Layers.length, 1);
  const old = await s.inspectImage('app:1', '1.43');
  assert.equal((old.Config as Record<string, unknown>).Hostname, '');
  assert.equal(old.VirtualSize, old.Size);
  assert.ok('ContainerConfig' in old);
  const h = s.history('app:1');
  assert.deepEqual(h, [{ Id: img.id, Created: h[0].Created, CreatedBy: '', Tags: ['app:1'], Size: 5, Comment: 'Imported from -' }]);
});

test('prune: dangling by default, all unused with dangling=false', async () => {
  const { s, imp } = await setup();
  const kept = await imp('k', 'kept');
  const d = await imp('dangling');
  const used = await imp('u', 'used');
  s.setUsageCheck((id) => (id === used.id ? ['e'.repeat(64)] : []));
  const r1 = await s.pruneImages(new Map());
  assert.deepEqual(r1.ImagesDeleted?.filter((x) => x.Deleted === d.id).length, 1);
  assert.equal(r1.SpaceReclaimed, 'dangling'.length);
  assert.equal(s.get('kept').id, kept.id);
  const r2 = await s.pruneImages(new Map([['dangling', ['false']]]));
  assert.ok(r2.ImagesDeleted?.some((x) => x.Untagged === 'kept:latest'));
  assert.throws(() => s.get('kept'), (e) => isNotFound(e));
  assert.equal(s.get('used').id, used.id);
  assert.deepEqual(await s.pruneImages(new Map()), { ImagesDeleted: null, SpaceReclaimed: 0 });
});

test('rmi: the last tag of a repository takes its digest references along', async () => {
  const { s, imp } = await setup();
  const img = await imp('x', 'app:1');
  const digest = `sha256:${'d'.repeat(64)}`;
  s.records.setRef(`docker.io/library/app@${digest}`, img.id, true);
  s.records.setRef(`docker.io/library/other@${digest}`, img.id, true);
  assert.deepEqual(s.get(img.id).repoDigests, [`app@${digest}`, `other@${digest}`]);
  assert.equal(s.get(`app@${digest}`).id, img.id);
  assert.deepEqual(s.remove('app:1', {}), [{ Untagged: 'app:1' }, { Untagged: `app@${digest}` }]);
  assert.deepEqual(s.get(img.id).repoDigests, [`other@${digest}`], 'another repository keeps its digest');
  const out = s.remove(`other@${digest}`, {});
  assert.deepEqual(out[0], { Untagged: `other@${digest}` });
  assert.equal(out[1].Deleted, img.id);
});

test('list: until takes timestamps and durations', async () => {
  const { s, imp } = await setup();
  const a = await imp('a', 'img-u');
  const ids = (u: string) => s.listImages({ apiVersion: '1.50', filters: new Map([['until', [u]]]) }).map((i) => i.Id);
  assert.deepEqual(ids(String(Math.floor(Date.now() / 1000) + 60)), [a.id]);
  assert.deepEqual(ids('1h'), []);
  assert.deepEqual(ids('2000-01-01T00:00:00Z'), []);
  assert.throws(() => ids('yesterday-ish'), (e) => isInvalidParameter(e));
});

test('commitImage: multi-layer images share their common base; chain ids as the spec says', async () => {
  const { s, root } = await setup();
  const { chainIds } = await import('../../../src/images/commit');
  const { createHash } = await import('node:crypto');
  const mk = async (name: string) => s.unpackLayer(tarStream(await makeTar([{ name, body: name }])));
  const cfg = (diffIds: string[], tag: string) => Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: new Date().toISOString(), config: { Cmd: [tag] }, rootfs: { type: 'layers', diff_ids: diffIds },
  }));
  // layers unpack in parallel
  const [base, top1] = await Promise.all([mk('base'), mk('top1')]);
  const id1 = await s.commitImage({ config: cfg([base.diffId, top1.diffId], 'one'), layers: [base, top1], tags: [{ domain: 'docker.io', path: 'library/one', tag: 'latest' }] });
  const [base2, top2] = await Promise.all([mk('base'), mk('top2')]);
  const dg = `sha256:${'e'.repeat(64)}`;
  const id2 = await s.commitImage({ config: cfg([base2.diffId, top2.diffId], 'two'), layers: [base2, top2], digests: [{ domain: 'localhost:5000', path: 'two', digest: dg }] });
  assert.deepEqual(s.get(id2).repoDigests, [`localhost:5000/two@${dg}`]);
  assert.deepEqual(s.get(id2).repoTags, []);
  const chain1 = chainIds([base.diffId, top1.diffId]);
  assert.equal(chain1[0], base.diffId);
  assert.equal(chain1[1], `sha256:${createHash('sha256').update(`${base.diffId} ${top1.diffId}`).digest('hex')}`);
  assert.equal(s.records.layers().length, 3, 'base shared');
  assert.equal(s.get('one').id, id1);
  const ins = await s.inspectImage(id2, '1.50');
  const gd = (ins.GraphDriver as { Data: { LowerDir: string } }).Data;
  assert.equal(gd.LowerDir, path.join(root, 'overlay2', base.diffId.slice(7), 'diff'));
  assert.deepEqual(s.history(id2).map((h) => h.Size), []);
  // diff ids that do not match the config are refused, and nothing is left behind
  const bad = await mk('x');
  await assert.rejects(s.commitImage({ config: cfg([`sha256:${'0'.repeat(64)}`], 'bad'), layers: [bad] }), (e) => isInvalidParameter(e));
  assert.equal(readdirSync(path.join(root, 'overlay2')).filter((n) => n.startsWith('.tmp-')).length, 0);
  s.remove('one', {});
  await s.pendingCleanup;
  assert.equal(s.records.layers().length, 2, 'base stays for two');
});
