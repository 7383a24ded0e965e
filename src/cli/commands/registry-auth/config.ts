import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/**
 * Credentials in docker's config.json format (`auths: { "<server>": { auth: base64(user:pass) } }`)
 * in the CLI's config dir (~/.berth by default); docker's own ~/.docker/config.json is read
 * as a fallback. Docker Hub's key is "https://index.docker.io/v1/", as docker writes it.
 */
export const INDEX_SERVER = 'https://index.docker.io/v1/';

interface ConfigJson { auths?: Record<string, { auth?: string; identitytoken?: string }>; [k: string]: unknown }

export function serverKey(server: string | undefined): string {
  const bare = (server ?? '').replace(/^https?:\/\//, '').replace(/\/+$/, '');
  if (!bare || ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'index.docker.io/v1'].includes(bare)) return INDEX_SERVER;
  return bare;
}

/** The registry host of an image name (docker.io when it has none). */
export function registryOf(image: string): string {
  const first = image.split('/')[0];
  if (image.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return first;
  return INDEX_SERVER;
}

function read(file: string): ConfigJson {
  try { return JSON.parse(readFileSync(file, 'utf8')) as ConfigJson; } catch { return {}; }
}

const fileIn = (dir: string) => path.join(dir, 'config.json');

export function getCredentials(configDir: string, server: string): { username: string; password: string; serveraddress: string } | undefined {
  const key = serverKey(server);
  for (const f of [fileIn(configDir), path.join(os.homedir(), '.docker', 'config.json')]) {
    const auths = read(f).auths ?? {};
    const hit = auths[key] ?? auths[`https://${key}`] ?? auths[`http://${key}`];
    if (hit?.auth) {
      const plain = Buffer.from(hit.auth, 'base64').toString('utf8');
      const i = plain.indexOf(':');
      if (i > 0) return { username: plain.slice(0, i), password: plain.slice(i + 1), serveraddress: key };
    }
  }
  return undefined;
}

/** X-Registry-Auth for an image name: base64url JSON of the stored credentials, or `{}`. */
export function registryAuthHeader(configDir: string, image: string): string {
  const c = getCredentials(configDir, registryOf(image));
  return Buffer.from(JSON.stringify(c ?? {})).toString('base64url');
}

function write(configDir: string, fn: (c: ConfigJson) => void): string {
  const f = fileIn(configDir);
  const c = read(f);
  fn(c);
  mkdirSync(configDir, { recursive: true, mode: 0o700 });
  const tmp = `${f}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(c, null, '\t') + '\n', { mode: 0o600 });
  renameSync(tmp, f);
  return f;
}

export function storeCredentials(configDir: string, server: string, username: string, password: string): string {
  return write(configDir, (c) => {
    c.auths ??= {};
    c.auths[serverKey(server)] = { auth: Buffer.from(`${username}:${password}`).toString('base64') };
  });
}

/** Returns false when there were no credentials for the server. */
export function eraseCredentials(configDir: string, server: string): boolean {
  const key = serverKey(server);
  const had = !!read(fileIn(configDir)).auths?.[key];
  if (had) write(configDir, (c) => { delete c.auths?.[key]; });
  return had;
}
