import { invalidParameter } from '../errdefs';

/**
 * Registry credentials as the Engine API carries them: X-Registry-Auth is base64url JSON
 * of this (the docker CLI sends `e30=`, `{}`, when it has none); POST /auth takes it as the
 * body. `auth` is base64("user:password") as docker's config.json stores it.
 */
export interface AuthConfig {
  username?: string;
  password?: string;
  auth?: string;
  email?: string;
  serveraddress?: string;
  identitytoken?: string;
  registrytoken?: string;
}

export function decodeAuthHeader(header: string | string[] | undefined): AuthConfig {
  const h = Array.isArray(header) ? header[0] : header;
  if (!h) return {};
  let json: unknown;
  try {
    const b64 = h.replace(/-/g, '+').replace(/_/g, '/');
    json = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  } catch {
    // dockerd ignores a header it cannot decode and goes on anonymously
    return {};
  }
  return normalizeAuth((json ?? {}) as AuthConfig);
}

export function normalizeAuth(a: AuthConfig): AuthConfig {
  const out: AuthConfig = { ...a };
  if (!out.username && !out.password && out.auth) {
    const plain = Buffer.from(out.auth, 'base64').toString('utf8');
    const i = plain.indexOf(':');
    if (i < 0) throw invalidParameter('invalid auth configuration');
    out.username = plain.slice(0, i);
    out.password = plain.slice(i + 1);
  }
  return out;
}

export interface Challenge { scheme: string; params: Record<string, string> }

/** Parses WWW-Authenticate: `Bearer realm="...",service="...",scope="..."` or `Basic realm="..."`. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const out: Challenge[] = [];
  for (const h of Array.isArray(header) ? header : header ? [header] : []) {
    const m = /^\s*(\w+)\s*(.*)$/.exec(h);
    if (!m) continue;
    const params: Record<string, string> = {};
    const re = /(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
    for (let p = re.exec(m[2]); p; p = re.exec(m[2])) params[p[1].toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
    out.push({ scheme: m[1].toLowerCase(), params });
  }
  return out;
}

export function basicHeader(a: AuthConfig): string | undefined {
  if (!a.username && !a.password) return undefined;
  return 'Basic ' + Buffer.from(`${a.username ?? ''}:${a.password ?? ''}`).toString('base64');
}
