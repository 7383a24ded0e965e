import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  familiarString, isValidDigest, parseAnyReference, parseNormalizedNamed, parseRepoTag, referenceString,
  tagNameOnly, validateDigest,
} from '../../../src/util/reference';
import { isInvalidParameter } from '../../../src/errdefs';

const H = 'a'.repeat(64);

// [input, canonical (after TagNameOnly), familiar (after TagNameOnly)] — from Docker's normalize rules
const VALID: [string, string, string][] = [
  ['busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['busybox:1.36', 'docker.io/library/busybox:1.36', 'busybox:1.36'],
  ['library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['index.docker.io/library/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', 'busybox:latest'],
  ['user/app:v1', 'docker.io/user/app:v1', 'user/app:v1'],
  ['docker.io/library/a/b', 'docker.io/library/a/b:latest', 'library/a/b:latest'],
  ['localhost/app', 'localhost/app:latest', 'localhost/app:latest'],
  ['localhost:5000/a/b:t', 'localhost:5000/a/b:t', 'localhost:5000/a/b:t'],
  ['127.0.0.1:5000/foo', '127.0.0.1:5000/foo:latest', '127.0.0.1:5000/foo:latest'],
  ['[::1]:5000/foo:1', '[::1]:5000/foo:1', '[::1]:5000/foo:1'],
  ['Foo.com/bar', 'Foo.com/bar:latest', 'Foo.com/bar:latest'],
  ['UPPER/x', 'UPPER/x:latest', 'UPPER/x:latest'],
  ['foo_bar.com:8080', 'docker.io/library/foo_bar.com:8080', 'foo_bar.com:8080'],
  ['a-b__c.d', 'docker.io/library/a-b__c.d:latest', 'a-b__c.d:latest'],
  ['user/e---f', 'docker.io/user/e---f:latest', 'user/e---f:latest'],
  [`busybox@sha256:${H}`, `docker.io/library/busybox@sha256:${H}`, `busybox@sha256:${H}`],
  [`busybox:1@sha256:${H}`, `docker.io/library/busybox:1@sha256:${H}`, `busybox:1@sha256:${H}`],
  [`x:${'t'.repeat(128)}`, `docker.io/library/x:${'t'.repeat(128)}`, `x:${'t'.repeat(128)}`],
];

test('reference: valid names normalize like Docker', () => {
  for (const [input, canonical, familiar] of VALID) {
    const r = tagNameOnly(parseNormalizedNamed(input));
    assert.equal(referenceString(r), canonical, input);
    assert.equal(familiarString(r), familiar, input);
  }
});

// [input, exact message]
const INVALID: [string, string][] = [
  ['', 'invalid reference format'],
  ['Busybox', 'invalid reference format: repository name (library/Busybox) must be lowercase'],
  ['a/B', 'invalid reference format: repository name (a/B) must be lowercase'],
  ['user/App:latest', 'invalid reference format: repository name (user/App) must be lowercase'],
  ['busybox:', 'invalid reference format'],
  [':tag', 'invalid reference format'],
  ['busybox:a:b', 'invalid reference format'],
  ['a//b', 'invalid reference format'],
  ['-a', 'invalid reference format'],
  ['a-', 'invalid reference format'],
  ['a..b', 'invalid reference format'],
  ['a_b.c/d', 'invalid reference format'], // a domain (it has a dot) cannot hold '_'
  ['a b', 'invalid reference format'],
  [`x:${'t'.repeat(129)}`, 'invalid reference format'],
  ['x:-tag', 'invalid reference format'],
  ['busybox@sha256:abc', 'invalid reference format'],
  [`busybox@sha256:${'a'.repeat(40)}`, 'invalid checksum digest length'],
  [`busybox@md5:${'a'.repeat(32)}`, 'unsupported digest algorithm'],
  [H, `invalid repository name (${H}), cannot specify 64-byte hexadecimal strings`],
  [`${'a'.repeat(240)}`, 'invalid reference format: repository name must not be more than 255 characters'],
  ['localhost:5000/A', 'invalid reference format: repository name (A) must be lowercase'],
];

test('reference: invalid names fail with Docker messages', () => {
  for (const [input, msg] of INVALID) {
    assert.throws(() => parseNormalizedNamed(input), (e: unknown) => {
      assert.ok(isInvalidParameter(e), `${input}: not InvalidParameter`);
      assert.equal((e as Error).message, msg, input);
      return true;
    });
  }
});

test('reference: parseAnyReference tells ids from names', () => {
  assert.deepEqual(parseAnyReference(H), { kind: 'digest', digest: `sha256:${H}` });
  assert.deepEqual(parseAnyReference(`sha256:${H}`), { kind: 'digest', digest: `sha256:${H}` });
  const n = parseAnyReference('busybox:1');
  assert.equal(n.kind, 'named');
  // a short id parses as a name; the service then searches ids by prefix
  assert.equal(parseAnyReference('abc123').kind, 'named');
  assert.equal(parseAnyReference('sha256:abc').kind, 'named');
});

test('reference: repo + tag as the tag and import endpoints take them', () => {
  assert.equal(referenceString(parseRepoTag('busybox')), 'docker.io/library/busybox:latest');
  assert.equal(referenceString(parseRepoTag('busybox', 'x')), 'docker.io/library/busybox:x');
  assert.equal(referenceString(parseRepoTag('busybox:a', 'b')), 'docker.io/library/busybox:b');
  assert.equal(referenceString(parseRepoTag('localhost:5000/a:b')), 'localhost:5000/a:b');
  assert.throws(() => parseRepoTag('busybox', 'bad tag'), /invalid tag format/);
  assert.throws(() => parseRepoTag(`busybox@sha256:${H}`), /cannot import digest reference/);
});

test('digest: only sha256 + 64 lowercase hex is a storable digest', () => {
  assert.ok(isValidDigest(`sha256:${H}`));
  for (const bad of ['sha256:../..', `sha256:${H.toUpperCase()}`, `sha256:${H}/..`, `sha256:${H.slice(1)}`, `sha512:${H}`,
    `sha256:${H}\n`, `SHA256:${H}`, `sha256:../../../etc/passwd`, '', `sha256:${'g'.repeat(64)}`]) {
    assert.ok(!isValidDigest(bad), bad);
  }
  assert.throws(() => validateDigest('sha256:../..'), /invalid checksum digest format/);
  assert.throws(() => validateDigest('nocolon'), /invalid checksum digest format/);
  assert.throws(() => validateDigest(`sha256:${'a'.repeat(63)}`), /invalid checksum digest length/);
  assert.equal(validateDigest(`sha512:${'b'.repeat(128)}`), `sha512:${'b'.repeat(128)}`);
});
