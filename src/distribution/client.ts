import type { Readable } from 'node:stream';
import { BerthError, invalidParameter, notFound, system, unauthorized, forbidden } from '../errdefs';
import { basicHeader, parseChallenges, type AuthConfig } from './auth';
import type { Endpoint } from './hosts';
import { readBody, request, type HttpResponse } from './http';

/**
 * One repository on one registry endpoint, per the OCI distribution spec / registry API v2.
 * Authentication follows the challenge of the first 401: Bearer (token from the realm,
 * with basic credentials when there are some, for the scopes asked) or Basic. Tokens are
 * cached per session; a session belongs to one pull or push.
 */
export interface RegistryErrorBody { errors?: { code?: string; message?: string; detail?: unknown }[] }

export class RegistryError extends BerthError {
  constructor(kind: BerthError['kind'], message: string, readonly status: number, readonly codes: string[]) {
    super(kind, message);
  }
}

export class RegistrySession {
  private authorization?: string;
  private challenge?: { scheme: string; params: Record<string, string> };

  constructor(readonly endpoint: Endpoint, readonly repo: string, readonly auth: AuthConfig, readonly actions: string[], readonly extraScopes: string[] = []) {}

  url(p: string): string { return `${this.endpoint.url}/v2/${this.repo}/${p}`; }

  /** The Authorization header this session has earned so far (for requests made elsewhere, e.g. layer workers). */
  authHeaders(): Record<string, string> { return this.authorization ? { Authorization: this.authorization } : {}; }

  /** A request with authentication; a 401 answers the challenge once and retries. */
  async send(method: string, url: string, headers: Record<string, string> = {}, body?: Buffer | (() => Readable)): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const h = { ...headers };
      if (this.authorization) h.Authorization = this.authorization;
      const b = typeof body === 'function' ? body() : body;
      const res = await request({ method, url, headers: h, body: b, tls: this.endpoint.tls, insecure: this.endpoint.insecure });
      if (res.status !== 401 || attempt > 0 || (typeof body === 'function' && this.authorization)) return res;
      const header = res.headers['www-authenticate'];
      const errBody = await readBody(res).catch(() => Buffer.alloc(0));
      const ch = parseChallenges(header);
      const bearer = ch.find((c) => c.scheme === 'bearer');
      const basic = ch.find((c) => c.scheme === 'basic');
      if (bearer) {
        this.challenge = bearer;
        this.authorization = `Bearer ${await this.fetchToken(bearer.params)}`;
      } else if (basic) {
        const h2 = basicHeader(this.auth);
        if (!h2) throw unauthorized(`${method === 'HEAD' ? 'Head' : method === 'GET' ? 'Get' : method} "${url}": no basic auth credentials`);
        this.authorization = h2;
      } else {
        throw registryError({ status: 401, url, body: errBody });
      }
    }
  }

  private async fetchToken(p: Record<string, string>): Promise<string> {
    if (this.auth.registrytoken) return this.auth.registrytoken;
    if (!p.realm) throw unauthorized('bearer challenge without realm');
    const u = new URL(p.realm);
    if (p.service) u.searchParams.set('service', p.service);
    // our scope, the extra ones (mount sources), and whatever the challenge asks for
    // (a mount's challenge names repository:<from>:pull)
    const scopes = new Set<string>();
    if (this.repo) scopes.add(`repository:${this.repo}:${this.actions.join(',')}`);
    for (const sc of this.extraScopes) scopes.add(sc);
    for (const sc of (p.scope ?? '').split(' ').filter(Boolean)) {
      const m = /^repository:(.+):([^:]+)$/.exec(sc);
      if (m && m[1] === this.repo && m[2].split(',').every((a) => this.actions.includes(a))) continue; // ours covers it
      scopes.add(sc);
    }
    for (const sc of scopes) u.searchParams.append('scope', sc);
    const headers: Record<string, string> = {};
    const b = basicHeader(this.auth);
    if (b) headers.Authorization = b;
    const res = await request({ method: 'GET', url: u.href, headers, tls: this.endpoint.tls, insecure: this.endpoint.insecure });
    const body = await readBody(res);
    if (res.status === 401 || res.status === 403) throw unauthorized(`Get "${u.href}": unauthorized: incorrect username or password`);
    if (res.status !== 200) throw system(`token request to ${u.origin}${u.pathname} failed with status: ${res.status}`);
    const j = JSON.parse(body.toString('utf8')) as { token?: string; access_token?: string };
    const t = j.token || j.access_token;
    if (!t) throw unauthorized('token endpoint answered without a token');
    return t;
  }

  async check(res: HttpResponse, ok: number[], what: string): Promise<HttpResponse> {
    if (ok.includes(res.status)) return res;
    const body = await readBody(res).catch(() => Buffer.alloc(0));
    throw registryError({ status: res.status, url: res.url, body, what });
  }
}

/** Maps a registry error to Berth's family with dockerd's wording ("<what>: manifest unknown: ..."). */
export function registryError(o: { status: number; url: string; body: Buffer; what?: string }): RegistryError {
  let parsed: RegistryErrorBody = {};
  try { parsed = JSON.parse(o.body.toString('utf8')) as RegistryErrorBody; } catch { /* not JSON */ }
  const errs = parsed.errors ?? [];
  const codes = errs.map((e) => e.code ?? '');
  const detail = errs.length
    ? errs.map((e) => `${(e.code ?? 'unknown').toLowerCase().replace(/_/g, ' ')}: ${e.message ?? ''}`).join(', ')
    : `unexpected status from ${o.url}: ${o.status}`;
  const msg = o.what ? `${o.what}: ${detail}` : detail;
  const kind: BerthError['kind'] = o.status === 404 ? 'NotFound' : o.status === 401 ? 'Unauthorized' : o.status === 403 ? 'Forbidden'
    : o.status === 400 ? 'InvalidParameter' : 'System';
  return new RegistryError(kind, msg, o.status, codes);
}

export { notFound, invalidParameter, forbidden };
