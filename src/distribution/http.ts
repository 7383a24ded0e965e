import * as http from 'node:http';
import * as https from 'node:https';
import type { Readable } from 'node:stream';
import type { TlsMaterial } from './hosts';

/**
 * A small HTTP/1.1 client for registries on node:http(s): keep-alive agents per TLS
 * setting, redirects followed (blob GETs often redirect to storage; the Authorization
 * header is dropped when the redirect leaves the host), bodies as streams.
 */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: http.IncomingMessage;
  url: string;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string>;
  body?: Buffer | Readable;
  tls?: TlsMaterial;
  /** skip certificate verification (insecure registries) */
  insecure?: boolean;
  signal?: AbortSignal;
}

const agents = new Map<string, http.Agent>();

function agentFor(url: URL, tls: TlsMaterial | undefined, insecure: boolean): http.Agent {
  const key = `${url.protocol}//${url.host}|${insecure}`;
  let a = agents.get(key);
  if (!a) {
    a = url.protocol === 'https:'
      ? new https.Agent({
        keepAlive: true, maxSockets: 16,
        ca: tls?.ca?.length ? tls.ca : undefined, cert: tls?.cert, key: tls?.key,
        rejectUnauthorized: !insecure,
      })
      : new http.Agent({ keepAlive: true, maxSockets: 16 });
    agents.set(key, a);
  }
  return a;
}

function once(r: HttpRequest, url: URL): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { 'User-Agent': 'berth/1 (docker-compatible)', ...(r.headers ?? {}) };
    if (Buffer.isBuffer(r.body)) headers['Content-Length'] = String(r.body.length);
    const req = mod.request(url, { method: r.method, headers, agent: agentFor(url, r.tls, !!r.insecure), signal: r.signal }, (res) => {
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res, url: url.href });
    });
    req.on('error', reject);
    if (r.body === undefined) req.end();
    else if (Buffer.isBuffer(r.body)) req.end(r.body);
    else {
      r.body.on('error', (e) => req.destroy(e));
      r.body.pipe(req);
    }
  });
}

export async function request(r: HttpRequest): Promise<HttpResponse> {
  let url = new URL(r.url);
  const origin = url.host;
  let req = r;
  for (let hops = 0; ; hops++) {
    const res = await once(req, url);
    const loc = res.headers.location;
    if (res.status >= 300 && res.status < 400 && res.status !== 304 && loc && (req.method === 'GET' || req.method === 'HEAD') && hops < 10) {
      res.body.resume();
      url = new URL(loc, url);
      const headers = { ...(req.headers ?? {}) };
      if (url.host !== origin) delete headers.Authorization;
      req = { ...req, headers, tls: url.host === origin ? req.tls : undefined };
      continue;
    }
    return res;
  }
}

export async function readBody(res: HttpResponse, limit = 16 << 20): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res.body) {
    n += (c as Buffer).length;
    if (n > limit) { res.body.destroy(); throw new Error(`response from ${res.url} is larger than ${limit} bytes`); }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}
