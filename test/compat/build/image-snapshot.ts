/**
 * What a build produced, in a form two daemons can be compared on: the image config fields
 * a Dockerfile sets, and every exported file that differs from the base busybox image
 * (type, mode, owner, size, content hash or link target).
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import { Readable } from 'node:stream';
import * as tar from 'tar-stream';
import { request } from '../../integration/harness';

export const CONFIG_FIELDS = ['Cmd', 'Entrypoint', 'Env', 'WorkingDir', 'User', 'ExposedPorts', 'Volumes', 'Labels', 'Healthcheck', 'StopSignal', 'OnBuild', 'Shell'] as const;

const SKIP = /^(proc|sys|dev|etc\/hosts|etc\/hostname|etc\/resolv\.conf|\.dockerenv)(\/|$)|^etc$/;

function emptyToNull(v: unknown): unknown {
  if (v === undefined || v === null || v === '') return null;
  if (Array.isArray(v) && v.length === 0) return null;
  if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v as object).length === 0) return null;
  return v;
}

export function configOf(inspect: { Config?: Record<string, unknown>; Author?: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of CONFIG_FIELDS) out[k] = emptyToNull(inspect.Config?.[k]);
  out.Author = emptyToNull(inspect.Author);
  return out;
}

function getBuffer(socket: string, p: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ socketPath: socket, method: 'GET', path: p }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`GET ${p}: ${res.statusCode} ${Buffer.concat(chunks).toString()}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

/** "path type mode uid:gid size hash|target" for each entry of the image's exported root. */
export async function filesOf(socket: string, image: string): Promise<Map<string, string>> {
  const c = await request(socket, 'POST', '/containers/create', { body: { Image: image, Cmd: ['/none'], HostConfig: { NetworkMode: 'none' } } });
  if (c.status !== 201) throw new Error(`create from ${image}: ${c.status} ${c.body}`);
  const id = c.json.Id as string;
  try {
    const buf = await getBuffer(socket, `/containers/${id}/export`);
    const out = new Map<string, string>();
    const ex = tar.extract();
    await new Promise<void>((resolve, reject) => {
      ex.on('entry', (h, stream, next) => {
        const name = h.name.replace(/^\.?\//, '').replace(/\/$/, '');
        const hash = createHash('sha256');
        stream.on("data", (d: unknown) => hash.update(d as Buffer));
        stream.on('end', () => {
          if (name && !SKIP.test(name)) {
            const extra = h.type === 'file' ? `${h.size} ${hash.digest('hex').slice(0, 16)}` : h.type === 'symlink' ? `-> ${h.linkname}` : h.type === 'link' ? `=> ${h.linkname}` : '';
            out.set(name, `${h.type} ${((h.mode ?? 0) & 0o7777).toString(8)} ${h.uid}:${h.gid} ${extra}`.trim());
          }
          next();
        });
        stream.resume();
      });
      ex.on('finish', resolve);
      ex.on('error', reject);
      Readable.from([buf]).pipe(ex);
    });
    return out;
  } finally {
    await request(socket, 'DELETE', `/containers/${id}?force=1`);
  }
}

/** Entries that are new or different from the base image's, sorted. */
export function diffFiles(base: Map<string, string>, img: Map<string, string>): string[] {
  const out: string[] = [];
  for (const [k, v] of img) if (base.get(k) !== v) out.push(`${k} ${v}`);
  for (const k of base.keys()) if (!img.has(k)) out.push(`${k} (deleted)`);
  return out.sort();
}
