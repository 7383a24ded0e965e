/**
 * Token auth (Docker's registry token protocol): /v2/ requests carry `Authorization: Bearer
 * <jwt>`; without a token that covers the request's scope the answer is 401 with
 * `WWW-Authenticate: Bearer realm="<this server>/token",service="berth-registry",
 * scope="repository:<name>:pull,push"`. The built-in endpoint GET /token checks the user's
 * basic credentials (the htpasswd file) and issues an HS256 JWT (5 minutes) granting the
 * asked actions that the access rules allow: `[{user, name, actions}]`, where `user` and
 * `name` may be `*` or end in `*`, and actions are pull, push, delete or `*`. Without rules
 * every htpasswd user gets every action. The signing key is random per process unless
 * given, so tokens do not outlive a restart.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Htpasswd } from './auth';
import { regError } from './errors';

export interface Access { type: string; name: string; actions: string[] }
export interface AccessRule { user: string; name: string; actions: string[] }

export const SERVICE = 'berth-registry';
const TTL = 300;
const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');

const glob = (pat: string, s: string) => pat === '*' || pat === s || (pat.endsWith('*') && s.startsWith(pat.slice(0, -1)));

export function parseScope(scope: string): Access | undefined {
  const i = scope.indexOf(':');
  const j = scope.lastIndexOf(':');
  if (i <= 0 || j === i) return undefined;
  return { type: scope.slice(0, i), name: scope.slice(i + 1, j), actions: scope.slice(j + 1).split(',').filter(Boolean) };
}

export class TokenAuth {
  private readonly key: Buffer;

  constructor(private readonly users: Htpasswd, private readonly rules?: AccessRule[], key?: string) {
    this.key = key ? Buffer.from(key) : randomBytes(32);
  }

  /** The actions of `want` that `user` may have. */
  grant(user: string, want: Access): Access {
    if (!this.rules) return want;
    const ok = new Set<string>();
    for (const r of this.rules) {
      if (!glob(r.user, user) || !glob(r.name, want.name)) continue;
      for (const a of want.actions) if (r.actions.includes('*') || r.actions.includes(a)) ok.add(a);
    }
    return { ...want, actions: want.actions.filter((a) => ok.has(a)) };
  }

  /** GET /token?service=&scope=...: a JSON body with the token. */
  issue(req: IncomingMessage, q: URLSearchParams): string {
    const user = this.users.check(req.headers.authorization);
    const access = q.getAll('scope').flatMap((s) => s.split(' ')).map(parseScope).filter((a): a is Access => !!a).map((a) => this.grant(user, a));
    const now = Math.floor(Date.now() / 1000);
    const claims = { iss: SERVICE, sub: user, aud: q.get('service') ?? SERVICE, iat: now, nbf: now - 5, exp: now + TTL, jti: randomBytes(8).toString('hex'), access };
    const head = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const body = b64u(JSON.stringify(claims));
    const sig = createHmac('sha256', this.key).update(`${head}.${body}`).digest('base64url');
    const token = `${head}.${body}.${sig}`;
    return JSON.stringify({ token, access_token: token, expires_in: TTL, issued_at: new Date(now * 1000).toISOString() });
  }

  /** The token's claims when its signature and times are good, else undefined. */
  private verify(header: string | undefined): { sub: string; access: Access[] } | undefined {
    const m = /^Bearer\s+([\w-]+)\.([\w-]+)\.([\w-]+)\s*$/i.exec(header ?? '');
    if (!m) return undefined;
    const want = createHmac('sha256', this.key).update(`${m[1]}.${m[2]}`).digest();
    const got = Buffer.from(m[3], 'base64url');
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    try {
      const c = JSON.parse(Buffer.from(m[2], 'base64url').toString('utf8')) as { sub: string; exp: number; aud: string; access: Access[] };
      if (c.exp < Date.now() / 1000 || c.aud !== SERVICE) return undefined;
      return c;
    } catch { return undefined; }
  }

  /** True when the request's token grants every access in `need`. */
  allows(req: IncomingMessage, need: Access[]): boolean {
    const c = this.verify(req.headers.authorization);
    if (!c) return false;
    return need.every((n) => n.actions.every((a) => c.access.some((g) => g.type === n.type && g.name === n.name && (g.actions.includes(a) || g.actions.includes('*')))));
  }

  /** The user, or 401 UNAUTHORIZED (the caller adds challenge(need)). */
  check(req: IncomingMessage, need: Access[]): string {
    const c = this.verify(req.headers.authorization);
    if (!c || !this.allows(req, need)) throw regError(401, 'UNAUTHORIZED', need.length ? need : undefined);
    return c.sub;
  }

  challenge(req: IncomingMessage, need: Access[], tls: boolean): string {
    const host = req.headers.host ?? '127.0.0.1';
    const scope = need.map((a) => `${a.type}:${a.name}:${a.actions.join(',')}`).join(' ');
    return `Bearer realm="${tls ? 'https' : 'http'}://${host}/token",service="${SERVICE}"${scope ? `,scope="${scope}"` : ''}`;
  }
}
