/**
 * Who may reach berthd: the TCP policy at start-up (plain TCP only when asked, non-loopback
 * only when asked twice), and the unix socket / data root / exec root modes checked as a
 * real non-root host user (made here with useradd, removed afterwards).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { TestDaemon, makeCli, target } from '../harness';
import { probe } from './fixtures';

const skip = target() === 'docker' ? 'berthd only (TARGET=docker)' : false;
const tail = Math.random().toString(36).slice(2, 7);
const GROUP = `bt-sock-${tail}`;
const MEMBER = `bt-member-${tail}`;
const OUTSIDER = `bt-outsider-${tail}`;

/** Runs `argv` as `user`; returns exit code and output. */
function asUser(user: string, argv: string[]): { code: number; out: string } {
  const r = spawnSync('runuser', ['-u', user, '--', ...argv], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Connects to a unix socket as `user` and sends GET /_ping; prints the status line or the error code. */
function pingAs(user: string, socket: string): string {
  const js = `const s=require('net').connect(${JSON.stringify(socket)});s.on('connect',()=>s.write('GET /_ping HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n'));` +
    `s.on('data',d=>{process.stdout.write(String(d).split('\\r\\n')[0]);process.exit(0)});s.on('error',e=>{process.stdout.write(e.code);process.exit(0)})`;
  return asUser(user, [process.execPath, '-e', js]).out.trim();
}

async function startFails(name: string, extraArgs: string[]): Promise<string> {
  try {
    const d = await TestDaemon.start({ name, extraArgs, startTimeoutMs: 20_000 });
    await d.stop();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error(`berthd started with ${extraArgs.join(' ')}`);
}

describe('listener policy', { skip }, () => {
  test('plain TCP without an explicit --tls=false or --tlsverify=false is refused', async () => {
    const msg = await startFails('tcp-refused', ['-H', 'tcp://127.0.0.1:2375']);
    assert.match(msg, /refusing to listen on tcp:\/\/127\.0\.0\.1:2375 without TLS client verification/);
    assert.match(msg, /'--tls=false' or '--tlsverify=false'/);
  });

  test('--tls=false on loopback starts with dockerd\'s warnings and serves plain HTTP', async () => {
    const d = await TestDaemon.start({ name: 'tcp-loopback', extraArgs: ['-H', 'tcp://127.0.0.1:2375', '--tls=false'] });
    try {
      assert.match(d.log(), /level=warn msg="Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network\./);
      assert.match(d.log(), /Binding to an IP address, even on localhost, can also give access to scripts run in a browser/);
      const p = await probe(d.netns, 'plain', 2375, 'GET /_ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(p.response, /^HTTP\/1\.1 200/);
    } finally {
      await d.stop();
    }
  });

  test('a non-loopback address without client verification needs to be asked twice', async () => {
    const once = await startFails('tcp-any-once', ['-H', 'tcp://0.0.0.0:2375', '--tls=false']);
    assert.match(once, /0\.0\.0\.0 is not a loopback address/);
    // Inside the test's network namespace 0.0.0.0 still only has lo behind it.
    const d = await TestDaemon.start({ name: 'tcp-any-twice', extraArgs: ['-H', 'tcp://0.0.0.0:2375', '--tls=false', '--tlsverify=false'] });
    try {
      assert.match(d.log(), /Listening on non-loopback address tcp:\/\/0\.0\.0\.0:2375 without authentication/);
    } finally {
      await d.stop();
    }
  });

  test('--tlsverify without readable certificates refuses to start', async () => {
    const msg = await startFails('tls-nofiles', ['-H', 'tcp://127.0.0.1:2376', '--tlsverify', '--tlscacert', '/nonexistent/ca.pem',
      '--tlscert', '/nonexistent/cert.pem', '--tlskey', '/nonexistent/key.pem']);
    assert.match(msg, /could not read tlscert "\/nonexistent\/cert\.pem"/);
  });
});

describe('socket and directory hygiene', { skip }, () => {
  let d: TestDaemon;

  before(async () => {
    execFileSync('groupadd', [GROUP]);
    execFileSync('useradd', ['-M', '-N', '-g', 'nogroup', '-G', GROUP, '-s', '/bin/sh', MEMBER]);
    execFileSync('useradd', ['-M', '-N', '-g', 'nogroup', '-s', '/bin/sh', OUTSIDER]);
    d = await TestDaemon.start({ name: 'hygiene', extraArgs: ['-G', GROUP] });
    // mkdtemp made the test root 0700; open it so that only berthd's own modes stand in the way.
    fs.chmodSync(d.root, 0o755);
  });

  after(async () => {
    await d?.stop();
    for (const u of [MEMBER, OUTSIDER]) spawnSync('userdel', [u]);
    spawnSync('groupdel', [GROUP]);
  });

  test('socket 0660 root:<-G group>, data root 0701, exec root 0710 root:<group>', () => {
    const gid = Number(execFileSync('getent', ['group', GROUP], { encoding: 'utf8' }).split(':')[2]);
    const sock = fs.statSync(d.socket);
    assert.equal(sock.mode & 0o777, 0o660);
    assert.equal(sock.uid, 0);
    assert.equal(sock.gid, gid);
    assert.equal(fs.statSync(d.dataRoot).mode & 0o777, 0o701);
    const exec = fs.statSync(d.execRoot);
    assert.equal(exec.mode & 0o007, 0, 'exec root is open to others');
    assert.equal(exec.gid, gid);
  });

  test('a host user outside the group cannot connect or list the data root; a member can connect', async () => {
    assert.equal(pingAs(OUTSIDER, d.socket), 'EACCES');
    const ls = asUser(OUTSIDER, ['ls', d.dataRoot]);
    assert.notEqual(ls.code, 0);
    assert.match(ls.out, /Permission denied/);
    const lsExec = asUser(OUTSIDER, ['ls', d.execRoot]);
    assert.notEqual(lsExec.code, 0);
    assert.match(lsExec.out, /Permission denied/);
    const containers = asUser(OUTSIDER, ['ls', path.join(d.dataRoot, 'containers')]);
    assert.notEqual(containers.code, 0);
    assert.equal(pingAs(MEMBER, d.socket), 'HTTP/1.1 200 OK');
    // Root, of course, still can.
    assert.equal((await makeCli('docker', d.socket)(['version', '--format', '{{.Server.Os}}'])).stdout, 'linux\n');
  });
});
