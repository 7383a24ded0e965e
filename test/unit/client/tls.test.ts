/** tcp:// with mutual TLS (docker's --tlsverify): the client checks the daemon and shows its own cert. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectionError, EngineClient } from '../../../src/client';

const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

function makeCerts(dir: string): void {
  const run = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  writeFileSync(join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n');
  run('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server-cert.pem', '-days', '1', '-extfile', 'ext.cnf');
  run('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=client');
  run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '1', '-extfile', 'client.cnf');
}

test('a tcp:// daemon behind mutual TLS', { skip: !hasOpenssl && 'no openssl' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-tls-'));
  makeCerts(dir);
  const f = (n: string) => readFileSync(join(dir, n));
  const server = https.createServer({ key: f('server-key.pem'), cert: f('server-cert.pem'), ca: f('ca.pem'), requestCert: true, rejectUnauthorized: true }, (req, res) => {
    res.setHeader('Api-Version', '1.50');
    if (req.url === '/_ping') return res.end('OK');
    res.setHeader('Content-Type', 'application/json');
    res.end(JSON.stringify({ Version: 'tls-ok', ApiVersion: '1.50' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const c = new EngineClient(host, { tls: { verify: true, ca: f('ca.pem'), cert: f('cert.pem'), key: f('key.pem') } });
    assert.equal((await c.version()).Version, 'tls-ok');
    // without the CA the daemon's certificate is not trusted
    const untrusted = new EngineClient(host, { tls: { verify: true, cert: f('cert.pem'), key: f('key.pem') } });
    await assert.rejects(untrusted.version(), (e: unknown) => !(e instanceof ConnectionError) && /certificate/i.test((e as Error).message));
    // --tls without verification still needs the client pair for this daemon
    const noVerify = new EngineClient(host, { tls: { verify: false, cert: f('cert.pem'), key: f('key.pem') } });
    assert.equal((await noVerify.version()).Version, 'tls-ok');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  }
});
