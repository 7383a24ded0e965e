import { after, test } from 'node:test';
import { rmSync as rmTemp } from 'node:fs';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { OverlayStore, checkLayerId } from '../../../src/snapshots/overlay';
import { isInvalidParameter } from '../../../src/errdefs';

const made: string[] = [];
after(() => { for (const d of made) rmTemp(d, { recursive: true, force: true }); });

async function store() {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-ovl-'));
  made.push(dir);
  const s = new OverlayStore(path.join(dir, 'overlay2'));
  await s.init();
  return s;
}

const layer = async (s: OverlayStore, id: string, parent: string | null, file: string) => {
  const p = await s.prepareLayer(async (d) => writeFileSync(path.join(d, file), file));
  return s.commitLayer(p, id, parent);
};

test('overlay: layers laid out like overlay2 (diff, link, lower, work, l/ short links)', async () => {
  const s = await store();
  assert.ok(await layer(s, 'base', null, 'a'));
  assert.ok(await layer(s, 'mid', 'base', 'b'));
  assert.ok(await layer(s, 'top', 'mid', 'c'));
  const [lb, lm, lt] = [await s.link('base'), await s.link('mid'), await s.link('top')];
  for (const l of [lb, lm, lt]) assert.match(l, /^[A-Z2-7]{26}$/);
  assert.ok(!existsSync(path.join(s.dir('base'), 'lower')), 'a base layer has no lower file');
  assert.ok(!existsSync(path.join(s.dir('base'), 'work')));
  assert.equal(readFileSync(path.join(s.dir('mid'), 'lower'), 'utf8'), `l/${lb}`);
  assert.equal(readFileSync(path.join(s.dir('top'), 'lower'), 'utf8'), `l/${lm}:l/${lb}`);
  assert.ok(existsSync(path.join(s.dir('top'), 'work')));
  assert.equal(readlinkSync(path.join(s.root, 'l', lt)), '../top/diff');
  assert.equal(readFileSync(path.join(s.root, 'l', lt, 'c'), 'utf8'), 'c', 'the short link resolves to the diff dir');
  assert.equal(await s.lowerFor('top'), `l/${lt}:l/${lm}:l/${lb}`);
  // 128 layers fit in one mount option page thanks to short links
  assert.ok(`lowerdir=${Array(128).fill(`l/${lt}`).join(':')},upperdir=x/diff,workdir=x/work`.length < 4096);
  assert.deepEqual(s.graphDriverData('top', ['mid', 'base']), {
    MergedDir: path.join(s.root, 'top', 'merged'), UpperDir: path.join(s.root, 'top', 'diff'),
    WorkDir: path.join(s.root, 'top', 'work'), LowerDir: `${path.join(s.root, 'mid', 'diff')}:${path.join(s.root, 'base', 'diff')}`,
  });
  assert.equal(await s.diffSize('top'), 1);
});

test('overlay: a layer committed twice is shared; the second copy is discarded', async () => {
  const s = await store();
  assert.ok(await layer(s, 'x', null, 'one'));
  assert.equal(await layer(s, 'x', null, 'two'), false);
  assert.deepEqual(readdirSync(s.diffDir('x')), ['one']);
  assert.deepEqual(readdirSync(s.root).sort(), ['l', 'x']);
});

test('overlay: read-write layers and removal', async () => {
  const s = await store();
  await layer(s, 'img', null, 'f');
  assert.ok(await s.createRW('ctr', 'img'));
  assert.ok(existsSync(s.mergedDir('ctr')) && existsSync(s.workDir('ctr')));
  assert.deepEqual(readdirSync(s.diffDir('ctr')), []);
  await s.remove('ctr');
  await s.remove('ctr');
  assert.ok(!existsSync(s.dir('ctr')));
  assert.equal((await s.link('img')).length, 26);
  await s.remove('img');
  assert.deepEqual(readdirSync(path.join(s.root, 'l')), []);
});

test('overlay: reconcile removes temp dirs, unknown layers and dangling links', async () => {
  const s = await store();
  await layer(s, 'known', null, 'k');
  await layer(s, 'orphan', null, 'o');
  mkdirSync(path.join(s.root, '.tmp-abc', 'diff'), { recursive: true });
  const removed = await s.reconcile(new Set(['known']));
  assert.deepEqual(removed.sort(), ['.tmp-abc', 'orphan']);
  assert.deepEqual(readdirSync(s.root).sort(), ['known', 'l']);
  assert.deepEqual(readdirSync(path.join(s.root, 'l')), [await s.link('known')]);
});

test('overlay: layer ids cannot name paths', () => {
  for (const bad of ['l', '..', '../x', 'a/b', '.tmp-x', '', 'l/../..', 'x'.repeat(200)]) {
    assert.throws(() => checkLayerId(bad), (e) => isInvalidParameter(e), bad);
  }
  assert.equal(checkLayerId('a'.repeat(64)), 'a'.repeat(64));
});
