/** The pure parts of remote access: listen-address parsing, the TCP policy, ssh URLs, contexts. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideTcp, isLoopbackAddress, parseListenAddress } from '../../../src/server/listeners-policy';
import { serverChain, serverTlsOptions, socketGid } from '../../../src/server/listeners';
import { makeCerts } from '../../integration/remote/fixtures';
import { parseSshUrl, sshArgs } from '../../../src/client/ssh';
import { parseHost } from '../../../src/client';
import { ContextStore, contextDir, validateName } from '../../../src/cli/commands/context/store';
import { resolveContextName, resolveEndpoint } from '../../../src/cli/commands/context/resolve';
import { parseDockerEndpointFlag } from '../../../src/cli/commands/context/context';

test('listen addresses: dockerd forms and default ports', () => {
  assert.deepEqual(parseListenAddress('tcp://127.0.0.1:2376'), { kind: 'tcp', host: '127.0.0.1', port: 2376, url: 'tcp://127.0.0.1:2376' });
  assert.equal(parseListenAddress('tcp://:4000').url, 'tcp://127.0.0.1:4000');
  assert.equal(parseListenAddress('tcp://127.0.0.1').url, 'tcp://127.0.0.1:2375');
  assert.equal(parseListenAddress('tcp://127.0.0.1', { tlsVerify: true }).url, 'tcp://127.0.0.1:2376');
  assert.equal(parseListenAddress('tcp://[::1]:2376').url, 'tcp://[::1]:2376');
  assert.deepEqual(parseListenAddress('/run/x.sock'), { kind: 'unix', path: '/run/x.sock', url: 'unix:///run/x.sock' });
  assert.throws(() => parseListenAddress('ssh://x'), /unix:\/\/ and tcp:\/\/ only/);
  assert.throws(() => parseListenAddress('tcp://1.2.3.4:99999'), /bad port/);
});

test('loopback addresses', () => {
  for (const a of ['127.0.0.1', '127.8.9.1', '::1', 'localhost', '::ffff:127.0.0.1']) assert.ok(isLoopbackAddress(a), a);
  for (const a of ['0.0.0.0', '10.0.0.1', '::', 'example.com']) assert.ok(!isLoopbackAddress(a), a);
});

test('TCP policy: mutual TLS, explicit opt-out, non-loopback asked twice', () => {
  const lo = parseListenAddress('tcp://127.0.0.1:2375') as Extract<ReturnType<typeof parseListenAddress>, { kind: 'tcp' }>;
  const any = parseListenAddress('tcp://0.0.0.0:2375') as typeof lo;
  assert.deepEqual(decideTcp(lo, true, { tlsVerify: true }), { ok: true, warnings: [] });
  assert.deepEqual(decideTcp(any, false, { tlsVerify: true }), { ok: true, warnings: [] });
  assert.equal(decideTcp(lo, true, {}).ok, false);
  const plainLo = decideTcp(lo, true, { tls: false });
  assert.ok(plainLo.ok && plainLo.warnings.length === 2);
  assert.ok(decideTcp(lo, true, { tlsVerify: false }).ok);
  assert.ok(decideTcp(lo, true, { tls: true }).ok, 'TLS without client verification, asked for with --tls');
  assert.equal(decideTcp(any, false, { tls: false }).ok, false);
  assert.equal(decideTcp(any, false, { tlsVerify: false }).ok, false);
  const twice = decideTcp(any, false, { tls: false, tlsVerify: false });
  assert.ok(twice.ok && twice.warnings.length === 3);
  assert.ok(decideTcp(any, false, { tls: true, tlsVerify: false }).ok);
});

test('socket group: name, gid, default "berth" only when it exists', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-grp-'));
  try {
    const f = join(dir, 'group');
    writeFileSync(f, 'root:x:0:\nberth:x:990:\nops:x:1234:alice\n');
    assert.equal(socketGid(undefined, f), 990);
    assert.equal(socketGid('ops', f), 1234);
    assert.equal(socketGid('1234', f), 1234);
    assert.equal(socketGid('777', f), 777);
    assert.throws(() => socketGid('nope', f), /group nope not found/);
    writeFileSync(f, 'root:x:0:\n');
    assert.equal(socketGid(undefined, f), 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ssh URLs and the ssh command line (docker connhelper style)', () => {
  assert.deepEqual(parseSshUrl('ssh://root@127.0.0.1:2222'), { user: 'root', host: '127.0.0.1', port: 2222, url: 'ssh://root@127.0.0.1:2222' });
  assert.deepEqual(parseSshUrl('ssh://host'), { user: undefined, host: 'host', port: undefined, url: 'ssh://host' });
  assert.throws(() => parseSshUrl('ssh://u:pw@host'), /password/);
  assert.throws(() => parseSshUrl('ssh://host/path'), /extra path/);
  assert.deepEqual(sshArgs(parseSshUrl('ssh://me@h:22'), { BERTH_SSH_OPTS: '-i key  -F /dev/null' }),
    ['-o', 'ConnectTimeout=30', '-T', '-l', 'me', '-p', '22', '-i', 'key', '-F', '/dev/null', '--', 'h', 'berth', 'system', 'dial-stdio']);
  assert.equal(parseHost('ssh://me@h').kind, 'ssh');
});

test('contexts: names, store layout, resolution order', () => {
  assert.throws(() => validateName('default'), /reserved/);
  assert.throws(() => validateName('-x'), /invalid/);
  validateName('prod.eu-1');
  assert.equal(contextDir('remote'), 'b71199ebd070b36beab7317920c2c2f1d777df8d05e5527d8458fda57cb17a7a');
  assert.deepEqual(parseDockerEndpointFlag('host=tcp://h:2376,ca=/a,skip-tls-verify=true'), { host: 'tcp://h:2376', ca: '/a', skipTLSVerify: true });
  assert.throws(() => parseDockerEndpointFlag('bogus=1'), /unrecognized config key: bogus/);
  const dir = mkdtempSync(join(tmpdir(), 'bt-ctx-'));
  try {
    const store = new ContextStore(dir);
    store.save({ Name: 'r', Metadata: {}, Endpoints: { docker: { Host: 'tcp://h:2376', SkipTLSVerify: false } } }, { 'ca.pem': Buffer.from('CA') });
    store.save({ Name: 'u', Metadata: {}, Endpoints: { docker: { Host: 'unix:///u.sock', SkipTLSVerify: false } } });
    store.setCurrent('u');
    const env = {};
    assert.equal(resolveContextName({ configDir: dir, env }), 'u');
    assert.equal(resolveContextName({ configDir: dir, env: { BERTH_CONTEXT: 'r' } }), 'r');
    assert.equal(resolveContextName({ configDir: dir, env: { DOCKER_HOST: 'unix:///x', BERTH_CONTEXT: 'r' } }), 'default');
    assert.equal(resolveContextName({ configDir: dir, env, hostFlag: 'unix:///x' }), 'default');
    assert.throws(() => resolveContextName({ configDir: dir, env, hostFlag: 'unix:///x', contextFlag: 'r' }), /conflicting options/);
    const r = resolveEndpoint({ configDir: dir, env, contextFlag: 'r' });
    assert.equal(r.host, 'tcp://h:2376');
    assert.equal(r.tls?.verify, true);
    assert.equal(r.tls?.cacert, join(store.tlsPath('r'), 'docker', 'ca.pem'));
    assert.equal(resolveEndpoint({ configDir: dir, env }).tls, undefined);
    assert.throws(() => resolveEndpoint({ configDir: dir, env, contextFlag: 'zz' }), /context not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('berthd TLS flags and daemon.json keys (dockerd names)', async () => {
  const { parseDaemonArgs } = await import('../../../src/config/daemon');
  const dir = mkdtempSync(join(tmpdir(), 'bt-djson-'));
  try {
    const file = join(dir, 'daemon.json');
    writeFileSync(file, JSON.stringify({ hosts: ['tcp://127.0.0.1:2376'], tlsverify: true, tlscacert: '/c/ca.pem', tlscert: '/c/cert.pem', tlskey: '/c/key.pem' }));
    const fromFile = parseDaemonArgs(['--config-file', file]).config;
    assert.deepEqual([fromFile.tlsVerify, fromFile.tlsCaCert, fromFile.tlsCert, fromFile.tlsKey], [true, '/c/ca.pem', '/c/cert.pem', '/c/key.pem']);
    assert.deepEqual(fromFile.hosts, ['tcp://127.0.0.1:2376']);
    assert.throws(() => parseDaemonArgs(['--config-file', file, '--tlsverify']), /specified both as a flag and in the configuration file: tlsverify/);
    const flags = parseDaemonArgs(['--config-file', join(dir, 'none.json'), '-H', 'tcp://127.0.0.1:2375', '--tls=false', '--tlsverify=false']).config;
    assert.equal(flags.tls, false);
    assert.equal(flags.tlsVerify, false);
    assert.equal(parseDaemonArgs(['--config-file', join(dir, 'none.json')]).config.tls, undefined, 'not given stays undefined');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('server chain: fixed once from the CA bundle, as OpenSSL would build it per handshake', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bt-chain-'));
  try {
    const c = makeCerts(join(dir, 'certs'));
    const pem = (f: string) => readFileSync(f);
    const count = (b: Buffer) => (b.toString().match(/BEGIN CERTIFICATE/g) ?? []).length;
    const leaf = pem(c.serverCert);
    // A lone certificate and the CA that signed it: leaf, then the CA.
    const chain = serverChain(leaf, pem(c.ca));
    assert.equal(count(chain), 2);
    const [first, second] = chain.toString().split(/(?<=-----END CERTIFICATE-----)\n/);
    assert.equal(new X509Certificate(first).fingerprint256, new X509Certificate(leaf).fingerprint256);
    assert.equal(new X509Certificate(second).fingerprint256, new X509Certificate(pem(c.ca)).fingerprint256);
    // The issuer is found among unrelated CAs; a CA that did not sign it is never added.
    assert.equal(count(serverChain(leaf, Buffer.concat([pem(join(c.dir, 'other-ca.pem')), pem(c.ca)]))), 2);
    assert.equal(serverChain(leaf, pem(join(c.dir, 'other-ca.pem'))), leaf);
    // A file that already holds a chain, no CA, or a self-signed certificate: left as given.
    assert.equal(serverChain(chain, pem(c.ca)), chain);
    assert.equal(serverChain(leaf, undefined), leaf);
    assert.equal(count(serverChain(pem(c.ca), pem(c.ca))), 1);
    // The options berthd's TLS listener is built with carry that chain.
    const opts = serverTlsOptions({ tlsVerify: true, tlsCaCert: c.ca, tlsCert: c.serverCert, tlsKey: c.serverKey });
    assert.equal(count(opts.cert as Buffer), 2);
    assert.equal(opts.requestCert, true);
    assert.equal(opts.rejectUnauthorized, true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
