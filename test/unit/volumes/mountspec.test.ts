import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseBind, parseMount, parseTmpfs, parseVolumesFrom } from '../../../src/volumes/mountspec';

test('-v forms: anonymous, named, host path, modes and propagation', () => {
  assert.deepEqual(parseBind('/data'), { type: 'volume', source: '', destination: '/data', readonly: false, mode: '', propagation: '', noCopy: false, createHostPath: true });
  const named = parseBind('vol:/d:ro,nocopy');
  assert.equal(named.type, 'volume');
  assert.equal(named.source, 'vol');
  assert.equal(named.readonly, true);
  assert.equal(named.noCopy, true);
  const bind = parseBind('/host/dir/:/c:rw,rslave,Z');
  assert.deepEqual([bind.type, bind.source, bind.destination, bind.readonly, bind.propagation], ['bind', '/host/dir', '/c', false, 'rslave']);
  assert.equal(parseBind('/h:/c').propagation, 'rprivate');
});

test('-v errors read like docker', () => {
  assert.throws(() => parseBind('/h:/c:bogus'), /invalid volume specification: '\/h:\/c:bogus': invalid mode: bogus/);
  assert.throws(() => parseBind('a:b:c:d'), /invalid volume specification: 'a:b:c:d'/);
  assert.throws(() => parseBind('/h:rel'), /mount path must be absolute/);
  assert.throws(() => parseBind('/h:/'), /destination can't be '\/'/);
  assert.throws(() => parseBind('x:/c'), /includes invalid characters for a local volume name/);
  assert.throws(() => parseBind('/h:/c:ro,rw'), /invalid mode/);
  assert.throws(() => parseBind('vol:/c:shared'), /invalid mode/);
});

test('--mount: bind, volume, tmpfs options and their checks', () => {
  const b = parseMount({ Type: 'bind', Source: '/x', Target: '/y', ReadOnly: true, BindOptions: { Propagation: 'rshared' } });
  assert.deepEqual([b.readonly, b.propagation, b.createHostPath], [true, 'rshared', false]);
  const v = parseMount({ Type: 'volume', Source: 'v1', Target: '/y', VolumeOptions: { NoCopy: true, DriverConfig: { Name: 'local', Options: { type: 'tmpfs', device: 'tmpfs' } } } });
  assert.deepEqual([v.noCopy, v.driverOpts], [true, { type: 'tmpfs', device: 'tmpfs' }]);
  const t = parseMount({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } });
  assert.deepEqual(t.tmpfsOptions, ['size=1048576', 'mode=1777']);
  assert.throws(() => parseMount({ Type: 'bind', Target: '/y' }), /invalid mount config for type "bind": field Source must not be empty/);
  assert.throws(() => parseMount({ Type: 'tmpfs', Source: 'x', Target: '/y' }), /field Source must not be specified/);
  assert.throws(() => parseMount({ Type: 'volume', Target: '/y', BindOptions: {} }), /field BindOptions must not be specified/);
  assert.throws(() => parseMount({ Type: 'volume', Source: 'vv', Target: '/y', VolumeOptions: { Subpath: '../up' } }), /subpath/);
});

test('--tmpfs and --volumes-from', () => {
  const [t] = parseTmpfs({ '/run/': 'rw,size=64m,exec' });
  assert.deepEqual([t.destination, t.tmpfsOptions, t.hidden], ['/run', ['size=64m', 'exec'], true]);
  assert.deepEqual(parseVolumesFrom('c1'), { container: 'c1', mode: '' });
  assert.deepEqual(parseVolumesFrom('c1:ro'), { container: 'c1', mode: 'ro' });
  assert.throws(() => parseVolumesFrom('c1:xx'), /invalid mode/);
});
