/**
 * Registry test helpers: start `berth registry serve` (optionally inside a netns) or the
 * reference registry (Debian's docker-registry), raw HTTP against either, and an OCI image
 * layout made from the busybox tar for skopeo to copy.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { REPO_ROOT, busyboxTar } from '../harness';

export const REFERENCE_BIN = '/usr/bin/docker-registry';
export const sha256 = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export interface RunningRegistry { kind: 'berth' | 'reference'; url: string; port: number; root: string; proc: ChildProcess; log: () => string; stop(): Promise<void> }

export function tmpDir(prefix: string): string { return fs.mkdtempSync(path.join(os.tmpdir(), prefix)); }

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const a = s.address() as net.AddressInfo; s.close(() => resolve(a.port)); });
    s.on('error', reject);
  });
}

async function waitUp(url: string, proc: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`registry exited ${proc.exitCode}: ${log()}`);
    try { await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1000) }); return; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`registry at ${url} did not come up: ${log()}`);
}

function stopper(proc: ChildProcess, dirs: string[], keepRoot: boolean) {
  return async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const done = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await done;
      clearTimeout(t);
    }
    if (!keepRoot) for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  };
}

export interface BerthRegistryOptions { root?: string; args?: string[]; netns?: string; port?: number; scheme?: 'http' | 'https'; /** listen address (127.0.0.1) */ host?: string; /** flags for node itself (e.g. --cpu-prof) */ nodeArgs?: string[] }

/** `berth registry serve` as its own process; in `netns` when given (nsenter --net). */
export async function startBerthRegistry(o: BerthRegistryOptions = {}): Promise<RunningRegistry> {
  const root = o.root ?? tmpDir('berth-reg-');
  const port = o.port ?? (await freePort());
  const argv = [path.join(REPO_ROOT, 'bin', 'berth'), 'registry', 'serve', '--addr', `${o.host ?? '127.0.0.1'}:${port}`, '--root', root, ...(o.args ?? [])];
  const node = ['node', ...(o.nodeArgs ?? []), ...argv];
  const cmd = o.netns ? ['nsenter', `--net=/run/netns/${o.netns}`, ...node] : node;
  const proc = spawn(cmd[0], cmd.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const url = `${o.scheme ?? 'http'}://127.0.0.1:${port}`;
  if (!o.netns && o.scheme !== 'https') await waitUp(url, proc, () => out);
  else {
    for (let i = 0; i < 100 && !out.includes('"listening"'); i++) {
      if (proc.exitCode !== null) throw new Error(`registry exited: ${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return { kind: 'berth', url, port, root, proc, log: () => out, stop: stopper(proc, [root], !!o.root) };
}

/** The reference registry with filesystem storage and deletes enabled. */
export async function startReference(netns?: string, fixedPort?: number): Promise<RunningRegistry> {
  const dir = tmpDir('berth-refreg-');
  const port = fixedPort ?? (await freePort());
  const cfg = path.join(dir, 'config.yml');
  fs.writeFileSync(cfg, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n`);
  const cmd = netns ? ['nsenter', `--net=/run/netns/${netns}`, REFERENCE_BIN] : [REFERENCE_BIN];
  const proc = spawn(cmd[0], [...cmd.slice(1), 'serve', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
  proc.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
  const url = `http://127.0.0.1:${port}`;
  if (!netns) await waitUp(url, proc, () => out);
  else {
    for (let i = 0; i < 100; i++) {
      try { execFileSync('nsenter', [`--net=/run/netns/${netns}`, 'bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], { stdio: 'ignore' }); break; } catch { await new Promise((r) => setTimeout(r, 100)); }
    }
  }
  return { kind: 'reference', url, port, root: dir, proc, log: () => out, stop: stopper(proc, [dir], false) };
}

/** Raw bytes on a socket: for bodies shorter than their Content-Length and unnormalized paths. */
export function rawRequest(port: number, head: string, body?: Buffer, closeEarly = false): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (d) => { data += d.toString(); });
    s.on('error', () => undefined);
    s.on('close', () => {
      const m = /^HTTP\/1\.1 (\d+)/.exec(data);
      if (!m && !closeEarly) reject(new Error(`no response: ${JSON.stringify(data)}`));
      else resolve({ status: m ? Number(m[1]) : 0, text: data });
    });
    s.write(head.replace(/\n/g, '\r\n') + '\r\n');
    if (body) s.write(body);
    if (closeEarly) setTimeout(() => s.destroy(), 300);
    else setTimeout(() => s.end(), 2000);
  });
}

/** An OCI layout with one busybox image (gzip layer), tagged `latest`, for skopeo to copy. */
export function busyboxLayout(dir: string): { manifest: string } {
  const blobs = path.join(dir, 'blobs', 'sha256');
  fs.mkdirSync(blobs, { recursive: true });
  const put = (b: Buffer) => { const d = sha256(b); fs.writeFileSync(path.join(blobs, d.slice(7)), b); return { digest: d, size: b.length }; };
  const tar = fs.readFileSync(busyboxTar());
  const layer = put(gzipSync(tar));
  const config = put(Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(tar)] }, config: { Cmd: ['sh'] } })));
  const m = put(Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
  })));
  fs.writeFileSync(path.join(dir, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  fs.writeFileSync(path.join(dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...m, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }] }));
  return { manifest: m.digest };
}

export function skopeo(args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
}

/** Committed blob files under a berth registry root (temp files excluded). */
export function storedBlobs(root: string): string[] {
  const dir = path.join(root, 'blobs', 'sha256');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => !n.startsWith('.')).map((n) => `sha256:${n}`) : [];
}
