/**
 * Path resolution inside a container for docker cp, from the known attacks: absolute and
 * relative links above the root, /proc/self/root, links above a mount, long `..` chains,
 * link loops. Runs on temp dirs, no root needed.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { resolveIn, type ContainerFs } from '../../../src/containers/archive-fs';
import { baseName, goFileMode } from '../../../src/containers/archive';
import { cleanName } from '../../../src/containers/archive-extract';

let base = '';
let cfs: ContainerFs;

before(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-archivefs-'));
  const root = path.join(base, 'root');
  const vol = path.join(base, 'vol');
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.mkdirSync(path.join(root, 'mnt'), { recursive: true });
  fs.mkdirSync(vol);
  fs.writeFileSync(path.join(root, 'etc', 'passwd'), 'inside');
  fs.writeFileSync(path.join(base, 'outside'), 'outside');
  fs.writeFileSync(path.join(vol, 'v'), 'volume');
  fs.symlinkSync('/', path.join(root, 'rootlink'));
  fs.symlinkSync('../../../../../../..', path.join(root, 'up'));
  fs.symlinkSync('/proc/self/root', path.join(root, 'procroot'));
  fs.symlinkSync('loop2', path.join(root, 'loop1'));
  fs.symlinkSync('loop1', path.join(root, 'loop2'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'abs-file'));
  fs.symlinkSync('../..', path.join(vol, 'esc'));
  cfs = { root, mounts: [{ destination: '/mnt', source: vol, rw: false }], readonlyRoot: false };
});

after(() => fs.rmSync(base, { recursive: true, force: true }));

function logicalOf(p: string, follow = true): string {
  const r = resolveIn(cfs, p, follow);
  try { return r.logical; } finally { r.close(); }
}

test('links to / and .. chains stay at the container root', () => {
  assert.equal(logicalOf('/rootlink/etc/passwd'), '/etc/passwd');
  assert.equal(logicalOf('/up/etc/passwd'), '/etc/passwd');
  assert.equal(logicalOf('/../../../etc/passwd'), '/etc/passwd');
  assert.throws(() => resolveIn(cfs, `/up${base}/outside`, true), /no such file or directory/);
  const r = resolveIn(cfs, `/up/../outside`, true);
  assert.equal(r.lstat(), undefined, 'the host file next to the root is not reachable');
  r.close();
});

test('a path through a mount enters the mount, and .. above it returns to the container', () => {
  const r = resolveIn(cfs, '/mnt/v', true);
  assert.equal(fs.readFileSync(r.hostPath, 'utf8'), 'volume');
  assert.equal(r.writable, false);
  r.close();
  assert.equal(logicalOf('/mnt/esc/etc/passwd'), '/etc/passwd');
  const w = resolveIn(cfs, '/mnt/esc/etc/passwd', true);
  assert.equal(fs.readFileSync(w.hostPath, 'utf8'), 'inside');
  assert.equal(w.writable, true);
  w.close();
});

test('/proc/self/root, loops and the last component', () => {
  assert.throws(() => resolveIn(cfs, '/procroot/etc/passwd', true), /no such file or directory/);
  assert.throws(() => resolveIn(cfs, '/loop1/x', true), /too many levels of symbolic links/);
  const link = resolveIn(cfs, '/abs-file', false);
  assert.ok(link.lstat()?.isSymbolicLink());
  link.close();
  const followed = resolveIn(cfs, '/abs-file', true);
  assert.equal(fs.readFileSync(followed.hostPath, 'utf8'), 'inside');
  followed.close();
});

test('docker path rules: base names, Go file modes, tar names', () => {
  assert.equal(baseName('/a/b/'), 'b');
  assert.equal(baseName('/a/b/.'), '.');
  assert.equal(baseName('/'), '/');
  assert.equal(goFileMode(fs.lstatSync(base)) >>> 31, 1);
  assert.equal(goFileMode(fs.lstatSync(path.join(cfs.root, 'rootlink'))) & 2 ** 27, 2 ** 27);
  assert.equal(cleanName('./a/../../b/'), 'b');
  assert.equal(cleanName('/abs/x'), 'abs/x');
  assert.equal(cleanName('./'), '');
});
