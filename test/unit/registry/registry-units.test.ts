/** Registry pieces without a server: name/tag/digest rules, htpasswd, token grants. */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { Htpasswd } from '../../../src/registry/auth';
import { checkDigestParam, isValidName, isValidTag, RegistryError } from '../../../src/registry/errors';
import { TokenAuth, parseScope } from '../../../src/registry/token';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const bcrypt = require('bcryptjs') as { hashSync(pw: string, rounds: number): string };

test('names follow the distribution grammar; tricks are refused', () => {
  for (const ok of ['a', 'lib/busybox', 'a.b_c__d---e/f0', 'x/y/z']) assert.ok(isValidName(ok), ok);
  for (const bad of ['', 'A', 'a/../b', '../a', 'a/', '/a', 'a//b', 'a/./b', '-a', 'a_', 'a%2fb', 'a b', `${'a'.repeat(256)}`]) assert.ok(!isValidName(bad), bad);
  assert.ok(isValidTag('v1.0_x-y') && !isValidTag('.hidden') && !isValidTag('a/b') && !isValidTag('x'.repeat(129)));
  assert.equal(checkDigestParam(`sha256:${'a'.repeat(64)}`), `sha256:${'a'.repeat(64)}`);
  for (const bad of ['sha256:../../etc', `sha256:${'A'.repeat(64)}`, 'sha512:abc', undefined]) {
    assert.throws(() => checkDigestParam(bad), (e: unknown) => e instanceof RegistryError && e.code === 'DIGEST_INVALID' && e.status === 400);
  }
});

test('htpasswd: bcrypt ($2y$ too), wrong password and unknown users are UNAUTHORIZED', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-htp-'));
  try {
    const f = path.join(dir, 'htpasswd');
    fs.writeFileSync(f, `# comment\nalice:${bcrypt.hashSync('pw', 4).replace(/^\$2a\$/, '$2y$')}\n`);
    const h = new Htpasswd(f);
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    assert.equal(h.check(basic('alice:pw')), 'alice');
    assert.equal(h.check(basic('alice:pw')), 'alice', 'cached');
    for (const bad of [basic('alice:no'), basic('bob:pw'), 'Bearer x', undefined]) assert.throws(() => h.check(bad), (e: unknown) => e instanceof RegistryError && e.status === 401);
    fs.writeFileSync(f, 'carol:{SHA}abc\n');
    assert.throws(() => new Htpasswd(f), /only bcrypt/);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('token grants: scopes parsed, rules with globs cut the actions', () => {
  assert.deepEqual(parseScope('repository:lib/a:pull,push'), { type: 'repository', name: 'lib/a', actions: ['pull', 'push'] });
  assert.deepEqual(parseScope('registry:catalog:*'), { type: 'registry', name: 'catalog', actions: ['*'] });
  assert.equal(parseScope('nonsense'), undefined);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'berth-htp-'));
  try {
    fs.writeFileSync(path.join(dir, 'h'), `bob:${bcrypt.hashSync('pw', 4)}\n`);
    const t = new TokenAuth(new Htpasswd(path.join(dir, 'h')), [{ user: 'bob', name: 'lib/*', actions: ['pull'] }, { user: '*', name: 'pub', actions: ['*'] }]);
    assert.deepEqual(t.grant('bob', { type: 'repository', name: 'lib/x', actions: ['pull', 'push'] }).actions, ['pull']);
    assert.deepEqual(t.grant('bob', { type: 'repository', name: 'other', actions: ['pull'] }).actions, []);
    assert.deepEqual(t.grant('eve', { type: 'repository', name: 'pub', actions: ['pull', 'push'] }).actions, ['pull', 'push']);
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});
