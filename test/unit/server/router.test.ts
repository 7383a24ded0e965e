import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Router, boolParam, filtersParam } from '../../../src/server/router';
import { eventMatcher } from '../../../src/server/router/system/routes';
import type { EventMessage } from '../../../src/api/types';

test('router matches one-segment and greedy params, tells 405 from 404', () => {
  const r = new Router();
  const h = () => undefined;
  r.get('/containers/{name}/json', h);
  r.post('/images/{name:.*}/tag', h);
  const m1 = r.match('GET', '/containers/abc/json');
  assert.ok('handler' in m1);
  assert.deepEqual(m1.params, { name: 'abc' });
  const m2 = r.match('POST', '/images/localhost:5000/a/b:1/tag');
  assert.ok('handler' in m2);
  assert.equal(m2.params.name, 'localhost:5000/a/b:1');
  const m3 = r.match('DELETE', '/containers/abc/json');
  assert.deepEqual(m3, { methodMismatch: true });
  assert.deepEqual(r.match('GET', '/nope'), { methodMismatch: false });
  assert.ok('handler' in r.match('HEAD', '/containers/x/json'), 'HEAD falls back to GET');
});

test('boolParam follows Docker: 0, false, no, none and empty are false', () => {
  const q = new URLSearchParams('a=1&b=0&c=false&d=true&e=&f=no&g=yes');
  assert.deepEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'zz'].map((k) => boolParam(q, k)), [true, false, false, true, false, false, true, false]);
});

test('filtersParam reads both the list and the legacy map form, rejects junk', () => {
  assert.deepEqual([...filtersParam(new URLSearchParams({ filters: '{"status":["running"],"label":{"a=b":true}}' }))], [['status', ['running']], ['label', ['a=b']]]);
  assert.throws(() => filtersParam(new URLSearchParams({ filters: '{bad' })), /invalid filter/);
});

function ev(type: string, action: string, id: string, attrs: Record<string, string>): EventMessage {
  return { Type: type, Action: action, Actor: { ID: id, Attributes: attrs }, scope: 'local', time: 1, timeNano: 1e9 };
}

test('event filters: type, event (with exec_* prefixes), container by name or id prefix, label', () => {
  const die = ev('container', 'die', 'abcdef0123', { name: 'web', image: 'busybox', exitCode: '0', 'com.x': 'y' });
  const exec = ev('container', 'exec_start: sh -c ls', 'abcdef0123', { name: 'web', image: 'busybox' });
  const m = (f: Record<string, string[]>) => eventMatcher(new Map(Object.entries(f)));
  assert.ok(m({ type: ['container'] })(die));
  assert.ok(!m({ type: ['image'] })(die));
  assert.ok(m({ event: ['die'] })(die));
  assert.ok(m({ event: ['exec_start'] })(exec));
  assert.ok(m({ container: ['web'] })(die));
  assert.ok(m({ container: ['abcdef'] })(die));
  assert.ok(!m({ container: ['other'] })(die));
  assert.ok(m({ label: ['com.x=y'] })(die));
  assert.ok(!m({ label: ['com.x=z'] })(die));
  assert.ok(m({ image: ['busybox'] })(die));
  assert.throws(() => m({ bogus: ['x'] }), /invalid filter/);
});
