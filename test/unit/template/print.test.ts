import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatValue, jsonEncode, sprintf } from '../../../src/cli/formatters/template';
import { container as c, run } from './helpers';

test('Go %v printing of JSON values', () => {
  assert.equal(formatValue('s'), 's');
  assert.equal(formatValue(true), 'true');
  assert.equal(formatValue(null), '<nil>');
  assert.equal(formatValue(1234567890), '1234567890');
  assert.equal(formatValue(-7), '-7');
  assert.equal(formatValue(12.5), '12.5');
  assert.equal(formatValue(-0.5), '-0.5');
  assert.equal(formatValue(123456.5), '123456.5');
  assert.equal(formatValue(1234567.5), '1.2345675e+06');
  assert.equal(formatValue(0.0001), '0.0001');
  assert.equal(formatValue(0.00001), '1e-05');
  assert.equal(formatValue(1.5e300), '1.5e+300');
  assert.equal(formatValue(1e21), '1e+21'); // beyond int64: printed as a float64
  assert.equal(formatValue([]), '[]');
  assert.equal(formatValue({}), 'map[]');
  assert.equal(formatValue(['a b', 'c']), '[a b c]');
  assert.equal(formatValue({ b: 2, a: [1, { z: null, y: 'q' }], c: true }), 'map[a:[1 map[y:q z:<nil>]] b:2 c:true]');
});

test('actions print values the way Go does', () => {
  assert.equal(run('{{.Config}}', c), 'map[Cmd:<nil> Env:[PATH=/usr/bin LANG=C] Labels:map[a:1 b:2]]');
  assert.equal(run('{{.Size}} {{.CPU}} {{.State.Running}}', c), '1234567890 12.5 true');
  assert.equal(run('{{print 1 2 "a" 3 "b" "c"}}', c), '1 2a3bc');
  assert.equal(run('{{println 1 "a" nil}}', c), '1 a <nil>\n');
  assert.equal(run('{{print}}|{{println}}', c), '|\n');
});

test('printf verbs, flags, width and precision', () => {
  assert.equal(sprintf('%s|%v|%d', ['a', 1.5, 3]), 'a|1.5|3');
  assert.equal(sprintf('%5.1f|%-6.2f|%e|%E|%g', [3.14159, 2.5, 1234.5678, 0.000123, 100000000]),
    '  3.1|2.50  |1.234568e+03|1.230000E-04|1e+08');
  assert.equal(sprintf('%x %X %o %b %c %U %q', [255, 255, 8, 5, 65, 0x1f600, 'hi']), 'ff FF 10 101 A U+1F600 "hi"');
  assert.equal(sprintf('%08.3f|%+d|% d|%05d|%-4d|', [-3.14159, 5, 7, -42, 3]), '-003.142|+5| 7|-0042|3   |');
  assert.equal(sprintf('%5s|%-5s|%.2s|%x', ['ab', 'ab', 'abcdef', 'hi']), '   ab|ab   |ab|6869');
  assert.equal(sprintf('%#x %#o %q %#q', [255, 8, 'a"b', 'raw']), '0xff 010 "a\\"b" `raw`');
  assert.equal(sprintf('%t %v %v', [true, null, [1, 'a']]), 'true <nil> [1 a]');
  assert.equal(sprintf('%d %q %s', [[1, 2], ['a', 'b'], { k: 'v' }]), '[1 2] ["a" "b"] map[k:v]');
  assert.equal(sprintf('%T %T %T %T %T %T', [1, 1.5, 's', [1], {}, true]),
    'int float64 string []interface {} map[string]interface {} bool');
  assert.equal(sprintf('100%%', []), '100%');
  assert.equal(sprintf('%*d|%-*d|', [4, 7, 3, 1]), '   7|1  |');
});

test('printf rounds like strconv (half to even on exact ties)', () => {
  assert.equal(sprintf('%.0f %.0f %.0f %.0f', [0.5, 1.5, 2.5, 12.5]), '0 2 2 12');
  assert.equal(sprintf('%.1f %.1f %.2f', [0.25, 0.35, 12.345]), '0.2 0.3 12.35');
  assert.equal(sprintf('%.2e %.3g %.3g %.3g', [1.125, 1234.5678, 100, 1000]), '1.12e+00 1.23e+03 100 1e+03');
  assert.equal(sprintf('%.2f %f', [999.999, 1e22]), '1000.00 10000000000000000000000.000000');
});

test('printf error forms', () => {
  assert.equal(sprintf('%d', ['x']), '%!d(string=x)');
  assert.equal(sprintf('%d', [1.5]), '%!d(float64=1.5)');
  assert.equal(sprintf('%s', [3]), '%!s(int=3)');
  assert.equal(sprintf('%s', [null]), '%!s(<nil>)');
  assert.equal(sprintf('%d %d', [1]), '1 %!d(MISSING)');
  assert.equal(sprintf('%d', [1, 'x', 2]), '1%!(EXTRA string=x, int=2)');
  assert.equal(sprintf('%z', [1]), '%!z(int=1)');
  assert.equal(sprintf('%', []), '%!(NOVERB)');
  assert.equal(run('{{printf "%s-%d" .Names}}', c), 'web-%!d(MISSING)');
});

test('json: Go encoding/json with HTML escaping off, as docker uses', () => {
  assert.equal(jsonEncode({ a: 1, b: [true, null, 1.5], c: 'x' }), '{"a":1,"b":[true,null,1.5],"c":"x"}');
  assert.equal(jsonEncode('<a href="x">&</a>'), '"<a href=\\"x\\">&</a>"');
  assert.equal(jsonEncode('tab\tnl\ncr\rbs\\q"\u0001\b\f'), '"tab\\tnl\\ncr\\rbs\\\\q\\"\\u0001\\b\\f"');
  assert.equal(jsonEncode('\u2028\u2029é😀\u007f'), '"\\u2028\\u2029é😀\u007f"');
  assert.equal(jsonEncode('\ud800x'), '"\ufffdx"');
  assert.equal(jsonEncode(1e21), '1e+21');
  assert.equal(jsonEncode(1e-7), '1e-7');
  assert.equal(jsonEncode(123456789012), '123456789012');
  assert.equal(jsonEncode({ u: undefined, n: null }), '{"n":null}');
  assert.equal(run('{{json .State}}', c), '{"Status":"running","Running":true,"Pid":4242,"ExitCode":0,"Health":null}');
  assert.equal(run('{{json .}}', 'a&b'), '"a&b"');
  assert.equal(run('{{json .N}}', { N: NaN }), ''); // docker's json func ignores encoding errors
});
