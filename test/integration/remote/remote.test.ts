/**
 * berthd over TCP with mutual TLS, over SSH, and contexts, driven by the real docker CLI
 * and by berth. Certificates are made by openssl here; every client runs inside the
 * daemon's network namespace, so 127.0.0.1:2376 is the daemon's own loopback.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestDaemon, importBusybox, makeCli, target } from '../harness';
import { BERTH_ARGV, DOCKER_ARGV, SSHD_AVAILABLE, configDir, inNetns, makeCerts, probe, startSshd, type Certs, type Sshd } from './fixtures';

const PORT = 2376;
const skip = target() === 'docker' ? 'berthd only (TARGET=docker)' : false;

describe('remote access', { skip }, () => {
  let root: string;
  let certs: Certs;
  let d: TestDaemon;
  let other: TestDaemon | undefined;
  let sshd: Sshd | undefined;
  const tlsEnv = () => ({ DOCKER_HOST: `tcp://127.0.0.1:${PORT}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.clientDir, DOCKER_CONFIG: configDir(root, 'docker-tls') });
  const berthTls = () => [...BERTH_ARGV, '--config', configDir(root, 'berth-tls'), '-H', `tcp://127.0.0.1:${PORT}`, '--tlsverify',
    '--tlscacert', path.join(certs.clientDir, 'ca.pem'), '--tlscert', path.join(certs.clientDir, 'cert.pem'), '--tlskey', path.join(certs.clientDir, 'key.pem')];
  const exists = async (name: string) => (await makeCli('docker', d.socket)(['inspect', '--type', 'container', name])).code === 0;

  before(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-remote-'));
    certs = makeCerts(path.join(root, 'certs'));
    d = await TestDaemon.start({
      name: 'remote-tls',
      extraArgs: ['-H', `tcp://127.0.0.1:${PORT}`, '--tlsverify', '--tlscacert', certs.ca, '--tlscert', certs.serverCert, '--tlskey', certs.serverKey],
    });
    await importBusybox(makeCli('docker', d.socket));
  });

  after(async () => {
    await sshd?.stop();
    await other?.stop();
    await d?.stop();
    if (root) fs.rmSync(root, { recursive: true, force: true });
  });

  test('the docker CLI runs containers over TCP with mutual TLS', async () => {
    const v = await inNetns(d.netns, [...DOCKER_ARGV, 'version', '--format', '{{.Server.Version}}'], tlsEnv());
    assert.equal(v.code, 0, v.stderr);
    assert.match(d.log(), /API listen on tcp:\/\/127\.0\.0\.1:2376 \(TLS, client certificates verified\)/);
    const run = await inNetns(d.netns, [...DOCKER_ARGV, 'run', '--rm', '--network', 'none', 'busybox', 'echo', 'hello over tls'], tlsEnv());
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'hello over tls\n');
    // stdin through the hijacked TLS connection, then docker's half-close (close_notify), then the output.
    const cat = await inNetns(d.netns, [...DOCKER_ARGV, 'run', '--rm', '-i', '--network', 'none', 'busybox', 'sh', '-c', 'cat; echo done'], tlsEnv(), { input: 'from stdin\n' });
    assert.equal(cat.code, 0, cat.stderr);
    assert.equal(cat.stdout, 'from stdin\ndone\n');
    const id = await inNetns(d.netns, [...DOCKER_ARGV, 'run', '-d', '--name', 'bt-remote-exec', '--network', 'none', 'busybox', 'sleep', '60'], tlsEnv());
    assert.equal(id.code, 0, id.stderr);
    const ex = await inNetns(d.netns, [...DOCKER_ARGV, 'exec', 'bt-remote-exec', 'sh', '-c', 'echo exec $((6*7))'], tlsEnv());
    assert.equal(ex.stdout, 'exec 42\n', ex.stderr);
    assert.equal((await inNetns(d.netns, [...DOCKER_ARGV, 'rm', '-f', 'bt-remote-exec'], tlsEnv())).code, 0);
  });

  test('berth runs containers over TCP with mutual TLS (flags and DOCKER_TLS_VERIFY/DOCKER_CERT_PATH)', async () => {
    const run = await inNetns(d.netns, [...berthTls(), 'run', '--rm', '--network', 'none', 'busybox', 'echo', 'berth over tls'], {});
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}\ndaemon log:\n${d.log().slice(-3000)}`);
    assert.equal(run.stdout, 'berth over tls\n');
    const env = await inNetns(d.netns, [...BERTH_ARGV, '--config', configDir(root, 'berth-env'), 'run', '--rm', '-i', '--network', 'none', 'busybox', 'cat'],
      { DOCKER_HOST: `tcp://127.0.0.1:${PORT}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: certs.clientDir }, { input: 'env tls\n' });
    assert.equal(env.code, 0, `${env.stdout}\n${env.stderr}\ndaemon log:\n${d.log().slice(-3000)}`);
    assert.equal(env.stdout, 'env tls\n');
  });

  test('no certificate, another CA\'s certificate and plain HTTP are refused before any API call', async () => {
    const create = (name: string) => {
      const body = JSON.stringify({ Image: 'busybox', Cmd: ['true'] });
      return `POST /v1.44/containers/create?name=${name} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`;
    };
    const noCert = await probe(d.netns, 'tls', PORT, create('bt-remote-nocert'), { ca: certs.ca });
    assert.equal(noCert.response, '');
    assert.match(noCert.error, /certificate required|handshake|alert|ECONNRESET|socket hang up/i);
    const otherCa = await probe(d.netns, 'tls', PORT, create('bt-remote-otherca'),
      { ca: certs.ca, cert: path.join(certs.otherClientDir, 'cert.pem'), key: path.join(certs.otherClientDir, 'key.pem') });
    // The server drops the connection at the handshake (alert or plain close): no HTTP answer either way.
    assert.equal(otherCa.response, '', `answered: ${otherCa.response}`);
    const plain = await probe(d.netns, 'plain', PORT, create('bt-remote-plain'));
    assert.doesNotMatch(plain.response, /^HTTP\//, 'plain HTTP got an HTTP answer');
    for (const n of ['bt-remote-nocert', 'bt-remote-otherca', 'bt-remote-plain']) assert.equal(await exists(n), false, `${n} was created`);
    // The same with the real docker CLI.
    const cli = (certDir: string) => inNetns(d.netns, [...DOCKER_ARGV, 'ps'], { ...tlsEnv(), DOCKER_CERT_PATH: certDir });
    const a = await cli(certs.noCertDir);
    assert.notEqual(a.code, 0);
    assert.match(a.stderr, /certificate required|bad certificate|tls/i);
    const b = await cli(certs.otherClientDir);
    assert.notEqual(b.code, 0);
    assert.match(b.stderr, /unknown certificate authority|bad certificate|tls/i);
    const c = await inNetns(d.netns, [...DOCKER_ARGV, 'ps'], { DOCKER_HOST: `tcp://127.0.0.1:${PORT}`, DOCKER_CONFIG: configDir(root, 'docker-plain') });
    assert.notEqual(c.code, 0);
    assert.doesNotMatch(d.log(), /bt-remote-(nocert|otherca|plain)/);
  });

  test('berth -H ssh://root@127.0.0.1 runs containers through ssh and berth system dial-stdio (and so does docker -H ssh://)', { skip: SSHD_AVAILABLE ? false : 'no /usr/sbin/sshd (install openssh-server: scripts/setup.sh)' }, async () => {
    sshd = await startSshd(d.netns, path.join(root, 'sshd'), 2222, d.host);
    const host = `ssh://root@127.0.0.1:${sshd.port}`;
    const berth = (args: string[], input?: string) =>
      inNetns(d.netns, [...BERTH_ARGV, '--config', configDir(root, 'berth-ssh'), '-H', host, ...args], sshd!.env, { input, timeoutMs: 60_000 });
    const run = await berth(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'hello over ssh']);
    assert.equal(run.code, 0, `${run.stderr}\n${fs.readFileSync(path.join(sshd.dir, 'sshd.log'), 'utf8')}`);
    assert.equal(run.stdout, 'hello over ssh\n');
    const cat = await berth(['run', '--rm', '-i', '--network', 'none', 'busybox', 'sh', '-c', 'cat; echo end'], 'piped\n');
    assert.equal(cat.stdout, 'piped\nend\n', cat.stderr);
    const ps = await berth(['ps', '-a', '--format', '{{.Names}}']);
    assert.equal(ps.code, 0, ps.stderr);
    // The real docker CLI over ssh to the same host: its far end is `docker system dial-stdio`,
    // a docker CLI there that dials berthd's socket (DOCKER_HOST in the ssh session).
    const dk = await inNetns(d.netns, [...DOCKER_ARGV, '-H', host, 'run', '--rm', '--network', 'none', 'busybox', 'echo', 'docker over ssh'],
      { ...sshd.dockerEnv, DOCKER_CONFIG: configDir(root, 'docker-ssh') }, { timeoutMs: 60_000 });
    assert.equal(dk.code, 0, dk.stderr);
    assert.equal(dk.stdout, 'docker over ssh\n');
    // A key that is not authorized is refused by sshd, and berth says what ssh said.
    const bad = await inNetns(d.netns, [...BERTH_ARGV, '-H', host, 'ps'],
      { BERTH_SSH_OPTS: sshd.env.BERTH_SSH_OPTS.replace(`${sshd.dir}/client_key`, `${sshd.dir}/host_key`) }, { timeoutMs: 60_000 });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /ssh|Permission denied/);
  });

  test('contexts switch the target daemon; docker and berth read each other\'s stores', async () => {
    other = await TestDaemon.start({ name: 'remote-ctx' });
    const cfg = configDir(root, 'contexts');
    const berth = (args: string[], env: Record<string, string> = {}) => inNetns(d.netns, [...BERTH_ARGV, '--config', cfg, ...args], env);
    const docker = (args: string[], env: Record<string, string> = {}) => inNetns(d.netns, [...DOCKER_ARGV, ...args], { DOCKER_CONFIG: cfg, ...env });
    const c1 = await berth(['context', 'create', 'tls-remote', '--description', 'mutual TLS',
      '--docker', `host=tcp://127.0.0.1:${PORT},ca=${certs.ca},cert=${path.join(certs.clientDir, 'cert.pem')},key=${path.join(certs.clientDir, 'key.pem')}`]);
    assert.equal(c1.code, 0, c1.stderr);
    const c2 = await docker(['context', 'create', 'other-unix', '--docker', `host=${other.host}`]);
    assert.equal(c2.code, 0, c2.stderr);
    assert.equal((await docker(['run', '-d', '--name', 'bt-ctx-on-tls', '--network', 'none', 'busybox', 'sleep', '30'], { DOCKER_CONTEXT: 'tls-remote' })).code, 0);

    // berth uses the context docker made and docker the one berth made.
    const names = async (args: string[]) => (await berth([...args, 'ps', '-a', '--format', '{{.Names}}'])).stdout;
    assert.match(await names(['--context', 'tls-remote']), /bt-ctx-on-tls/);
    assert.doesNotMatch(await names(['--context', 'other-unix']), /bt-ctx-on-tls/);
    assert.match((await berth(['ps', '-a', '--format', '{{.Names}}'], { BERTH_CONTEXT: 'tls-remote' })).stdout, /bt-ctx-on-tls/);

    // `context use` switches the default target for both CLIs; ls marks it.
    const use = await berth(['context', 'use', 'other-unix']);
    assert.equal(use.stdout, 'other-unix\n');
    assert.match(use.stderr, /Current context is now "other-unix"/);
    assert.match((await berth(['context', 'ls'])).stdout, /^other-unix \*/m);
    assert.match((await docker(['context', 'ls'])).stdout, /^other-unix \*/m);
    assert.doesNotMatch(await names([]), /bt-ctx-on-tls/);
    assert.equal((await docker(['context', 'use', 'tls-remote'])).code, 0);
    assert.match(await names([]), /bt-ctx-on-tls/);
    assert.match((await berth(['context', 'ls'])).stdout, /^tls-remote \*\s+mutual TLS\s+tcp:\/\/127\.0\.0\.1:2376/m);

    assert.equal((await berth(['context', 'update', 'other-unix', '--description', 'second daemon'])).code, 0);
    assert.match((await docker(['context', 'ls'])).stdout, /^other-unix\s+second daemon\s+unix:\/\//m);
    const bi = JSON.parse((await berth(['context', 'inspect', 'tls-remote'])).stdout) as unknown[];
    const di = JSON.parse((await docker(['context', 'inspect', 'tls-remote'])).stdout) as unknown[];
    assert.deepEqual(bi, di);

    // export from one, import into the other; the imported context still reaches the daemon.
    const file = path.join(root, 'tls-remote.dockercontext');
    assert.equal((await berth(['context', 'export', 'tls-remote', file])).code, 0);
    assert.equal((await docker(['context', 'import', 'from-berth', file])).code, 0);
    const imported = await docker(['--context', 'from-berth', 'ps', '--format', '{{.Names}}']);
    assert.match(imported.stdout, /bt-ctx-on-tls/, `exit ${imported.code}: ${imported.stderr}`);
    const dfile = path.join(root, 'from-docker.dockercontext');
    assert.equal((await docker(['context', 'export', 'other-unix', dfile])).code, 0);
    assert.equal((await berth(['context', 'import', 'from-docker', dfile])).code, 0);
    assert.equal((await berth(['--context', 'from-docker', 'ps'])).code, 0);

    const inUse = await berth(['context', 'rm', 'tls-remote']);
    assert.equal(inUse.code, 1);
    assert.match(inUse.stderr, /context "tls-remote" is in use, set -f flag to force remove/);
    assert.equal((await berth(['context', 'rm', '-f', 'tls-remote', 'from-berth', 'from-docker', 'other-unix'])).code, 0);
    assert.equal((await docker(['context', 'show'])).stdout, 'default\n');
    const conflict = await berth(['-H', other.host, '--context', 'x', 'ps']);
    assert.equal(conflict.code, 1);
    assert.match(conflict.stderr, /conflicting options/);
    await makeCli('docker', d.socket)(['rm', '-f', 'bt-ctx-on-tls']);
  });
});
