/**
 * Registry test fixtures: Debian's reference registry (docker-registry) on loopback inside
 * a test's netns (plain, htpasswd, TLS from a throw-away CA), OCI layouts built by hand
 * (busybox rootfs layers, gzip/zstd/plain, multi-platform indexes) and skopeo to push them.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { busyboxTar } from '../harness';

export const sha256 = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

export interface Registry { port: number; host: string; dir: string; proc: ChildProcess; stop(): Promise<void>; caCert?: string }

function freePort(): Promise<number> {
  // ports are per netns; a port free on the host is as good as any inside a fresh netns
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

export function inNetns(netns: string, cmd: string, args: string[], input?: Buffer): string {
  return execFileSync('nsenter', [`--net=/run/netns/${netns}`, cmd, ...args], { input, encoding: 'utf8', stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

/** A test CA and a server certificate for 127.0.0.1/localhost. */
export function makeCerts(dir: string): { ca: string; cert: string; key: string } {
  fs.mkdirSync(dir, { recursive: true });
  const p = (n: string) => path.join(dir, n);
  const run = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.crt'), '-days', '2', '-subj', '/CN=berth test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'), '-out', p('server.csr'), '-subj', '/CN=localhost']);
  fs.writeFileSync(p('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.crt'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p('server.crt'), '-days', '2', '-extfile', p('ext.cnf')]);
  return { ca: p('ca.crt'), cert: p('server.crt'), key: p('server.key') };
}

export async function startRegistry(netns: string, o: { htpasswd?: { user: string; password: string }; tls?: { cert: string; key: string }; token?: { realm: string; cert: string } } = {}): Promise<Registry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-reg-'));
  const port = await freePort();
  let auth = '';
  if (o.htpasswd) {
    // bcrypt, the only hash the registry's htpasswd accepts (bcryptjs: no apache2-utils needed)
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const bcrypt = require('bcryptjs') as { hashSync(p: string, rounds: number): string };
    const line = `${o.htpasswd.user}:${bcrypt.hashSync(o.htpasswd.password, 5)}`;
    fs.writeFileSync(path.join(dir, 'htpasswd'), line + '\n');
    auth = `auth:\n  htpasswd:\n    realm: test\n    path: ${path.join(dir, 'htpasswd')}\n`;
  }
  if (o.token) auth = `auth:\n  token:\n    realm: ${o.token.realm}\n    service: berth-test\n    issuer: berth-test-issuer\n    rootcertbundle: ${o.token.cert}\n`;
  const tls = o.tls ? `  tls:\n    certificate: ${o.tls.cert}\n    key: ${o.tls.key}\n` : '';
  fs.writeFileSync(path.join(dir, 'config.yml'), `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${path.join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${tls}${auth}`);
  const proc = spawn('nsenter', [`--net=/run/netns/${netns}`, '/usr/bin/docker-registry', 'serve', path.join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', fs.openSync(path.join(dir, 'log'), 'w')] });
  const host = `127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { inNetns(netns, 'bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return {
    port, host, dir, proc,
    stop: async () => {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await done;
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type Compress = 'gzip' | 'zstd' | 'none';

function compress(tar: Buffer, c: Compress): Buffer {
  if (c === 'gzip') return zlib.gzipSync(tar);
  if (c === 'zstd') return execFileSync('zstd', ['-q', '-c'], { input: tar, maxBuffer: 1 << 30 });
  return tar;
}

/** A tar with one file (for extra layers). */
export function oneFileTar(name: string, content: Buffer | string): Buffer {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-layer-'));
  try {
    fs.mkdirSync(path.dirname(path.join(work, name)), { recursive: true });
    fs.writeFileSync(path.join(work, name), content);
    return execFileSync('tar', ['--numeric-owner', '--mtime=2020-01-01', '-C', work, '-cf', '-', name.split('/')[0]], { maxBuffer: 1 << 30 });
  } finally { fs.rmSync(work, { recursive: true, force: true }); }
}

export interface BuiltImage { manifest: Buffer; manifestDigest: string; config: Buffer; configDigest: string }

/** Writes blobs + one image manifest (OCI media types) into an OCI layout dir. */
export function addOciImage(layout: string, layers: Buffer[], o: { compress?: Compress; arch?: string; cmd?: string[] } = {}): BuiltImage {
  const blobs = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  fs.writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const put = (b: Buffer) => { const d = sha256(b); fs.writeFileSync(path.join(blobs, d.slice(7)), b); return d; };
  const c = o.compress ?? 'gzip';
  const mt = c === 'gzip' ? 'application/vnd.oci.image.layer.v1.tar+gzip' : c === 'zstd' ? 'application/vnd.oci.image.layer.v1.tar+zstd' : 'application/vnd.oci.image.layer.v1.tar';
  const descs = layers.map((t) => { const z = compress(t, c); return { mediaType: mt, digest: put(z), size: z.length }; });
  const config = Buffer.from(JSON.stringify({
    created: '2024-01-01T00:00:00Z', architecture: o.arch ?? 'amd64', os: 'linux',
    config: { Cmd: o.cmd ?? ['sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
    rootfs: { type: 'layers', diff_ids: layers.map((t) => sha256(t)) },
    history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'test' })),
  }));
  const configDigest = put(config);
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length }, layers: descs,
  }));
  const manifestDigest = put(manifest);
  return { manifest, manifestDigest, config, configDigest };
}

/** index.json of the layout naming one manifest or an index of several (multi-platform). */
export function writeIndex(layout: string, images: { img: BuiltImage; arch?: string }[], tag = 'latest', multi = false): string {
  const blobs = path.join(layout, 'blobs', 'sha256');
  const desc = (i: { img: BuiltImage; arch?: string }) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: i.img.manifestDigest, size: i.img.manifest.length,
    ...(multi ? { platform: { os: 'linux', architecture: i.arch ?? 'amd64' } } : {}),
  });
  let top: Record<string, unknown>;
  if (multi) {
    const idx = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: images.map(desc) }));
    const d = sha256(idx);
    fs.writeFileSync(path.join(blobs, d.slice(7)), idx);
    top = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: d, size: idx.length };
  } else top = desc(images[0]);
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...top, annotations: { 'org.opencontainers.image.ref.name': tag } }] }));
  return String(top.digest);
}

export function busyboxLayer(): Buffer { return fs.readFileSync(busyboxTar()); }

/** skopeo copy inside the netns; `format` v2s2 converts to Docker media types. */
export function skopeoCopy(netns: string, src: string, dest: string, o: { format?: 'v2s2' | 'oci'; creds?: string; certDir?: string; all?: boolean } = {}): string {
  const args = ['copy', '--quiet', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (o.format) args.push('--format', o.format);
  if (o.creds) args.push('--src-creds', o.creds, '--dest-creds', o.creds);
  if (o.all) args.push('--all');
  args.push(src, dest);
  return inNetns(netns, 'skopeo', args);
}

/** A TCP proxy inside the netns that forwards to a port, slowed to `bytesPerSec` downstream (to kill a pull midway). */
export async function startSlowProxy(netns: string, targetPort: number, bytesPerSec: number): Promise<{ host: string; stop(): void }> {
  const port = await freePort();
  const script = `
    const net = require('net');
    net.createServer((c) => {
      const u = net.connect(${targetPort}, '127.0.0.1');
      c.pipe(u);
      u.on('data', (d) => {
        u.pause();
        c.write(d);
        setTimeout(() => u.resume(), Math.ceil(d.length * 1000 / ${bytesPerSec}));
      });
      u.on('end', () => c.end()); c.on('error', () => u.destroy()); u.on('error', () => c.destroy());
    }).listen(${port}, '127.0.0.1');`;
  const proc = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', script], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try { inNetns(netns, 'bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return { host: `127.0.0.1:${port}`, stop: () => { proc.kill('SIGKILL'); } };
}

/**
 * Mounts `$1` as /etc/docker/certs.d and execs the rest; run in a private mount namespace
 * (unshare), so only that process sees it. Without /etc/docker/certs.d on the host, a tmpfs
 * over /etc/docker holds the mount point; nothing on the host changes.
 */
const CERTS_D_SCRIPT = `set -e
src=$1; shift
if [ ! -d /etc/docker/certs.d ]; then
  [ -d /etc/docker ] || { echo "no /etc/docker to mount over" >&2; exit 1; }
  mount -t tmpfs -o mode=0755 berth-test-etc-docker /etc/docker
  mkdir /etc/docker/certs.d
fi
mount --bind "$src" /etc/docker/certs.d
exec "$@"`;

/**
 * A real dockerd inside an existing netns (the registry's), for interop; stop() kills it and
 * removes its dirs. `certsD`: a dir laid out like /etc/docker/certs.d (<host:port>/ca.crt)
 * that this dockerd, and only it, reads as its certs.d (it runs in a private mount namespace).
 */
export async function startDockerd(netns: string, o: { certsD?: string } = {}): Promise<{ socket: string; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bt-dockerd-'));
  const socket = path.join(dir, 'd.sock');
  const log = fs.openSync(path.join(dir, 'log'), 'w');
  const argv = ['nsenter', `--net=/run/netns/${netns}`, 'dockerd', '--data-root', path.join(dir, 'data'), '--exec-root', path.join(dir, 'exec'),
    '-H', `unix://${socket}`, '--pidfile', path.join(dir, 'pid'), '--bridge', 'none', '--iptables=false', '--ip6tables=false', '--ip-masq=false'];
  const cmd = o.certsD ? ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', CERTS_D_SCRIPT, 'sh', o.certsD, ...argv] : argv;
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', log, log] });
  for (let i = 0; i < 300 && !fs.existsSync(socket); i++) await new Promise((r) => setTimeout(r, 100));
  await new Promise((r) => setTimeout(r, 300));
  return {
    socket,
    stop: async () => {
      if (proc.exitCode === null) {
        const done = new Promise((r) => proc.once('exit', r));
        proc.kill('SIGTERM');
        await Promise.race([done, new Promise((r) => setTimeout(r, 15_000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      try { execFileSync('umount', ['-R', '-l', path.join(dir, 'data')], { stdio: 'ignore' }); } catch { /* not mounted */ }
      try { execFileSync('umount', ['-R', '-l', path.join(dir, 'exec')], { stdio: 'ignore' }); } catch { /* not mounted */ }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A Bearer token server (docker/distribution's token auth) in the netns: basic credentials
 * in, a JWT (RS256, x5c = the self-signed certificate the registry trusts) granting the
 * requested scopes out. `makeTokenKey` makes that key and certificate.
 */
export function makeTokenKey(dir: string): { key: string; cert: string } {
  fs.mkdirSync(dir, { recursive: true });
  const key = path.join(dir, 'token.key');
  const cert = path.join(dir, 'token.crt');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=berth token issuer'], { stdio: 'pipe' });
  return { key, cert };
}

export async function startTokenServer(netns: string, o: { key: string; cert: string; user: string; password: string }): Promise<{ realm: string; stop(): void }> {
  const port = await freePort();
  const script = `
    const http = require('http'), crypto = require('crypto'), fs = require('fs');
    const key = fs.readFileSync(${JSON.stringify(o.key)});
    const der = crypto.createPublicKey(fs.readFileSync(${JSON.stringify(o.cert)})) && new crypto.X509Certificate(fs.readFileSync(${JSON.stringify(o.cert)})).raw;
    const b64u = (b) => Buffer.from(b).toString('base64url');
    const good = 'Basic ' + Buffer.from(${JSON.stringify(`${o.user}:${o.password}`)}).toString('base64');
    http.createServer((req, res) => {
      const u = new URL(req.url, 'http://x');
      if (req.headers.authorization !== good) { res.writeHead(401); res.end('{"details":"incorrect username or password"}'); return; }
      const access = u.searchParams.getAll('scope').map((sc) => { const [type, name, actions] = sc.split(':'); return { type, name, actions: actions.split(',') }; });
      const now = Math.floor(Date.now() / 1000);
      const head = b64u(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der.toString('base64')] }));
      const body = b64u(JSON.stringify({ iss: 'berth-test-issuer', sub: ${JSON.stringify(o.user)}, aud: u.searchParams.get('service'), exp: now + 300, nbf: now - 10, iat: now, jti: crypto.randomUUID(), access }));
      const sig = crypto.createSign('RSA-SHA256').update(head + '.' + body).sign(key);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ token: head + '.' + body + '.' + b64u(sig) }));
    }).listen(${port}, '127.0.0.1');`;
  const proc = spawn('nsenter', [`--net=/run/netns/${netns}`, process.execPath, '-e', script], { stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    try { inNetns(netns, 'bash', ['-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
  }
  return { realm: `http://127.0.0.1:${port}/token`, stop: () => { proc.kill('SIGKILL'); } };
}
