/**
 * The real docker CLI pushes to and pulls from `berth registry serve`: through berthd (or
 * dockerd with TARGET=docker), and, for berth, also through a second, real dockerd. The
 * registry runs in the daemon's netns (nsenter --net) on 127.0.0.1, which docker treats as
 * an insecure (plain HTTP) registry. A second registry asks for basic auth: docker login.
 * Over TLS: dockerd treats loopback registries as insecure (no certificate check), so its
 * TLS test reaches the registry at a second address on the netns's lo (192.0.2.1, a
 * documentation address), with the CA in a certs.d only that dockerd sees.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { TestDaemon, importBusybox, makeCli, target, type Cli } from '../integration/harness';
import { startDockerd } from '../integration/distribution/fixtures';
import { startBerthRegistry, tmpDir, type RunningRegistry } from '../integration/registry/lib';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const bcrypt = require('bcryptjs') as { hashSync(pw: string, rounds: number): string };

const skip = process.getuid?.() !== 0 && 'needs root';
let d: TestDaemon;
let reg: RunningRegistry;
let authReg: RunningRegistry;
let tokenReg: RunningRegistry;
let tlsReg: RunningRegistry;
let work = '';
let docker: Cli;
const host = '127.0.0.1:5000';
const authHost = '127.0.0.1:5001';
const tokenHost = '127.0.0.1:5002';
const tlsHost = '127.0.0.1:5003';
const tlsAddr = '192.0.2.1'; // not loopback: dockerd checks the certificate against its certs.d
const tlsDockerdHost = `${tlsAddr}:5003`;

before(async () => {
  if (skip) return;
  work = tmpDir('bt-regdocker-');
  fs.writeFileSync(path.join(work, 'htpasswd'), `alice:${bcrypt.hashSync('s3cret', 5)}\n`);
  // TLS: a self-signed certificate for 127.0.0.1, trusted by berthd through its certs.d
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', `subjectAltName=IP:127.0.0.1,IP:${tlsAddr}`,
    '-keyout', path.join(work, 'key.pem'), '-out', path.join(work, 'cert.pem')], { stdio: 'ignore' });
  fs.mkdirSync(path.join(work, 'certs.d', tlsHost), { recursive: true });
  fs.copyFileSync(path.join(work, 'cert.pem'), path.join(work, 'certs.d', tlsHost, 'ca.crt'));
  d = await TestDaemon.start({ name: 'registry-docker', extraArgs: target() === 'berth' ? ['--certs-dir', path.join(work, 'certs.d')] : [] });
  reg = await startBerthRegistry({ netns: d.netns, port: 5000 });
  authReg = await startBerthRegistry({ netns: d.netns, port: 5001, args: ['--htpasswd', path.join(work, 'htpasswd')] });
  fs.writeFileSync(path.join(work, 'token.json'), JSON.stringify({ tokenAuth: true, access: [{ user: 'alice', name: '*', actions: ['*'] }] }));
  tokenReg = await startBerthRegistry({ netns: d.netns, port: 5002, args: ['--htpasswd', path.join(work, 'htpasswd'), '--config', path.join(work, 'token.json')] });
  execFileSync('ip', ['-n', d.netns, 'addr', 'add', `${tlsAddr}/32`, 'dev', 'lo']);
  tlsReg = await startBerthRegistry({ netns: d.netns, port: 5003, host: '0.0.0.0', scheme: 'https', args: ['--htpasswd', path.join(work, 'htpasswd'), '--tls-cert', path.join(work, 'cert.pem'), '--tls-key', path.join(work, 'key.pem')] });
  docker = makeCli('docker', d.socket);
  await importBusybox(docker, `${host}/lib/busybox:1`);
});

after(async () => {
  await reg?.stop();
  await authReg?.stop();
  await tokenReg?.stop();
  await tlsReg?.stop();
  await d?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const ok = (r: { code: number; stdout: string; stderr: string }, what: string) => assert.equal(r.code, 0, `${what}: ${r.stdout}${r.stderr}`);

test('docker push, rmi, pull and run through the daemon', { skip }, async () => {
  ok(await docker(['push', `${host}/lib/busybox:1`]), 'push');
  const id = (await docker(['image', 'inspect', '-f', '{{.Id}}', `${host}/lib/busybox:1`])).stdout.trim();
  ok(await docker(['rmi', `${host}/lib/busybox:1`]), 'rmi');
  ok(await docker(['pull', `${host}/lib/busybox:1`]), 'pull');
  assert.equal((await docker(['image', 'inspect', '-f', '{{.Id}}', `${host}/lib/busybox:1`])).stdout.trim(), id);
  const run = await docker(['run', '--rm', '--network', 'none', `${host}/lib/busybox:1`, 'echo', 'from berth registry']);
  assert.equal(run.stdout, 'from berth registry\n');
  const again = await docker(['push', `${host}/lib/busybox:1`]);
  ok(again, 'second push');
  assert.match(again.stdout, /Layer already exists/);
});

test('a real dockerd pulls what was pushed and pushes back', { skip: skip || (target() === 'docker' && 'the daemon is dockerd already') }, async () => {
  const dd = await startDockerd(d.netns);
  try {
    const dcli = makeCli('docker', dd.socket);
    ok(await docker(['push', `${host}/lib/busybox:1`]), 'push');
    ok(await dcli(['pull', `${host}/lib/busybox:1`]), 'dockerd pull');
    ok(await dcli(['tag', `${host}/lib/busybox:1`, `${host}/other/bb:2`]), 'tag');
    ok(await dcli(['push', `${host}/other/bb:2`]), 'dockerd push (a cross-repository mount)');
    ok(await docker(['pull', `${host}/other/bb:2`]), 'pull what dockerd pushed');
    // and with basic auth
    ok(await dcli(['tag', `${host}/lib/busybox:1`, `${authHost}/dockerd/bb:1`]), 'tag');
    ok(await dcli(['login', '-u', 'alice', '--password-stdin', authHost], { input: Buffer.from('s3cret\n') }), 'dockerd login');
    try {
      ok(await dcli(['push', `${authHost}/dockerd/bb:1`]), 'dockerd push with credentials');
      ok(await dcli(['rmi', `${authHost}/dockerd/bb:1`]), 'rmi');
      ok(await dcli(['pull', `${authHost}/dockerd/bb:1`]), 'dockerd pull with credentials');
    } finally { await dcli(['logout', authHost]); }
  } finally { await dd.stop(); }
});

test('basic auth: push is refused without login, works after docker login', { skip }, async () => {
  ok(await docker(['tag', `${host}/lib/busybox:1`, `${authHost}/private/bb:1`]), 'tag');
  const anon = await docker(['push', `${authHost}/private/bb:1`]);
  assert.notEqual(anon.code, 0);
  assert.match(anon.stderr + anon.stdout, /no basic auth credentials|unauthorized|authentication required/i);
  const bad = await docker(['login', '-u', 'alice', '--password-stdin', authHost], { input: Buffer.from('wrong\n') });
  assert.notEqual(bad.code, 0);
  ok(await docker(['login', '-u', 'alice', '--password-stdin', authHost], { input: Buffer.from('s3cret\n') }), 'login');
  try {
    ok(await docker(['push', `${authHost}/private/bb:1`]), 'push with credentials');
    ok(await docker(['rmi', `${authHost}/private/bb:1`]), 'rmi');
    ok(await docker(['pull', `${authHost}/private/bb:1`]), 'pull with credentials');
  } finally { await docker(['logout', authHost]); }
});

test('token auth: docker login, then push and pull with Bearer tokens from /token', { skip }, async () => {
  ok(await docker(['tag', `${host}/lib/busybox:1`, `${tokenHost}/tok/bb:1`]), 'tag');
  const anon = await docker(['push', `${tokenHost}/tok/bb:1`]);
  assert.notEqual(anon.code, 0);
  ok(await docker(['login', '-u', 'alice', '--password-stdin', tokenHost], { input: Buffer.from('s3cret\n') }), 'login');
  try {
    ok(await docker(['push', `${tokenHost}/tok/bb:1`]), 'push with a token');
    ok(await docker(['rmi', `${tokenHost}/tok/bb:1`]), 'rmi');
    ok(await docker(['pull', `${tokenHost}/tok/bb:1`]), 'pull with a token');
  } finally { await docker(['logout', tokenHost]); }
  assert.match(tokenReg.log(), /"user":"alice"/);
});

test('TLS + basic auth: docker login, push and pull over HTTPS', { skip: skip || (target() === 'docker' && 'dockerd reads /etc/docker/certs.d only') }, async () => {
  ok(await docker(['tag', `${host}/lib/busybox:1`, `${tlsHost}/tls/bb:1`]), 'tag');
  ok(await docker(['login', '-u', 'alice', '--password-stdin', tlsHost], { input: Buffer.from('s3cret\n') }), 'login');
  try {
    ok(await docker(['push', `${tlsHost}/tls/bb:1`]), 'push over TLS');
    ok(await docker(['rmi', `${tlsHost}/tls/bb:1`]), 'rmi');
    ok(await docker(['pull', `${tlsHost}/tls/bb:1`]), 'pull over TLS');
  } finally { await docker(['logout', tlsHost]); }
  assert.match(tlsReg.log(), /"method":"PUT","path":"\/v2\/tls\/bb\/manifests\/1","status":201/);
});

test('a real dockerd over TLS (the CA in its own certs.d) with basic auth: login, push, pull', { skip }, async () => {
  const certsD = path.join(work, 'dockerd-certs.d');
  fs.mkdirSync(path.join(certsD, tlsDockerdHost), { recursive: true });
  const dd = await startDockerd(d.netns, { certsD });
  try {
    const dcli = makeCli('docker', dd.socket);
    ok(await docker(['push', `${host}/lib/busybox:1`]), 'push');
    ok(await dcli(['pull', `${host}/lib/busybox:1`]), 'dockerd pull');
    const img = `${tlsDockerdHost}/dtls/bb:1`;
    ok(await dcli(['tag', `${host}/lib/busybox:1`, img]), 'tag');
    const login = (pw: string) => dcli(['login', '-u', 'alice', '--password-stdin', tlsDockerdHost], { input: Buffer.from(`${pw}\n`) });
    const untrusted = await login('s3cret');
    assert.notEqual(untrusted.code, 0, 'no CA in its certs.d yet: the certificate is refused');
    assert.match(untrusted.stderr, /certificate signed by unknown authority/);
    fs.copyFileSync(path.join(work, 'cert.pem'), path.join(certsD, tlsDockerdHost, 'ca.crt'));
    assert.notEqual((await login('wrong')).code, 0, 'a wrong password is refused');
    ok(await login('s3cret'), 'dockerd login over TLS');
    try {
      ok(await dcli(['push', img]), 'dockerd push over TLS');
      ok(await dcli(['rmi', img]), 'rmi');
      ok(await dcli(['pull', img]), 'dockerd pull over TLS');
    } finally { await dcli(['logout', tlsDockerdHost]); }
    assert.match(tlsReg.log(), /"method":"PUT","path":"\/v2\/dtls\/bb\/manifests\/1","status":201,"ms":[\d.]+,"user":"alice"/);
    assert.ok(!fs.existsSync('/etc/docker/certs.d') || !fs.existsSync(path.join('/etc/docker/certs.d', tlsDockerdHost)), 'the host\'s certs.d is untouched');
  } finally { await dd.stop(); }
});
