import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { invalidParameter } from '../errdefs';

/**
 * What a route handler gets. The body is read lazily; `json()` turns a malformed body into
 * Docker's 400. `hijack()` answers 101 (or 200 for old clients) and hands over the raw socket,
 * as attach and exec start need.
 */
export interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  /** The API version of this request: from the /vX.YY prefix, else the server's own. */
  apiVersion: string;
  body(): Promise<Buffer>;
  /** Parses the JSON body; an empty body gives `undefined`. */
  json<T = unknown>(): Promise<T | undefined>;
  send(status: number, obj: unknown): void;
  noContent(status?: number): void;
  text(status: number, text: string, contentType?: string): void;
  /** Takes over the connection for a raw stream; call once, before writing anything. */
  hijack(contentType: string): Duplex;
  /**
   * Completes a WebSocket handshake on this (upgraded) request and hands over the
   * connection as a stream of message bytes; throws a 400 when the request is not one.
   */
  websocket(binary: boolean): Promise<Duplex>;
}

export type Handler = (ctx: Ctx) => Promise<void> | void;

interface Route { method: string; re: RegExp; names: string[]; handler: Handler; pattern: string }

/** Query helpers with Docker's parsing rules. */
export function boolParam(q: URLSearchParams, name: string, def = false): boolean {
  const v = q.get(name);
  if (v === null) return def;
  const s = v.trim().toLowerCase();
  // Docker: "", "0", "no", "false", "none" are false; anything else is true.
  return !(s === '' || s === '0' || s === 'no' || s === 'false' || s === 'none');
}

export function intParam(q: URLSearchParams, name: string, def?: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return def;
  const n = Number(v);
  if (!Number.isInteger(n)) throw invalidParameter(`invalid value for ${name}: ${v}`);
  return n;
}

/** `filters` query param: JSON map of name -> list (or legacy name -> {value: true}). */
export function filtersParam(q: URLSearchParams): Map<string, string[]> {
  const raw = q.get('filters');
  const out = new Map<string, string[]>();
  if (!raw) return out;
  let parsed: unknown;
  try { parsed = JSON.parse(raw); } catch { throw invalidParameter(`invalid filter '${raw}'`); }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw invalidParameter(`invalid filter '${raw}'`);
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (Array.isArray(v)) out.set(k, v.map(String));
    else if (v && typeof v === 'object') out.set(k, Object.entries(v as Record<string, unknown>).filter(([, b]) => b).map(([s]) => s));
    else throw invalidParameter(`invalid filter '${raw}'`);
  }
  return out;
}

/**
 * Path patterns use `{name}` for one segment and `{name:.*}` for a greedy match (image
 * names hold slashes), as moby's router does.
 */
export class Router {
  private routes: Route[] = [];

  add(method: string, pattern: string, handler: Handler): void {
    const names: string[] = [];
    const escape = (lit: string) => lit.replace(/[.*+?^$()[\]\\|{}]/g, '\\$&');
    let src = '';
    let last = 0;
    for (const m of pattern.matchAll(/\{(\w+)(?::([^}]+))?\}/g)) {
      src += escape(pattern.slice(last, m.index)) + (m[2] ? `(${m[2]})` : '([^/]+)');
      names.push(m[1]);
      last = (m.index ?? 0) + m[0].length;
    }
    src += escape(pattern.slice(last));
    this.routes.push({ method, re: new RegExp(`^${src}$`), names, handler, pattern });
  }
  get(p: string, h: Handler) { this.add('GET', p, h); }
  head(p: string, h: Handler) { this.add('HEAD', p, h); }
  post(p: string, h: Handler) { this.add('POST', p, h); }
  put(p: string, h: Handler) { this.add('PUT', p, h); }
  delete(p: string, h: Handler) { this.add('DELETE', p, h); }

  /** Finds the handler; `methodMismatch` tells a 405 from a 404. */
  match(method: string, path: string): { handler: Handler; params: Record<string, string> } | { methodMismatch: boolean } {
    let mismatch = false;
    for (const r of this.routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      if (r.method !== method && !(method === 'HEAD' && r.method === 'GET')) { mismatch = true; continue; }
      const params: Record<string, string> = {};
      r.names.forEach((n, i) => { params[n] = decodeURIComponent(m[i + 1]); });
      return { handler: r.handler, params };
    }
    return { methodMismatch: mismatch };
  }

  list(): { method: string; pattern: string }[] {
    return this.routes.map((r) => ({ method: r.method, pattern: r.pattern }));
  }
}
