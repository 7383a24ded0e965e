/**
 * HTTP/1.1 to the daemon over a unix socket or TCP, with Docker's version negotiation
 * (`HEAD /_ping`, falling back to `GET`, then min(client, server) as the `/vX.YY` prefix)
 * and the connection hijack that attach and exec use (`Connection: Upgrade`, `Upgrade: tcp`,
 * answered by `101`, after which the socket is a raw duplex stream).
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Duplex, Readable } from 'node:stream';
import { ApiError, ConnectionError, errorFromBody } from './errors';
import { parseHost, type DaemonAddress } from './host';
import { sshAgent } from './ssh';

export const CLIENT_API_VERSION = '1.50';
export const FALLBACK_API_VERSION = '1.24';

export type Query = Record<string, string | number | boolean | undefined | null | string[]>;

export interface RequestOptions {
  method: string;
  path: string;
  query?: Query;
  /** JSON-encoded unless a Buffer or a stream. */
  body?: unknown;
  headers?: Record<string, string>;
  /** Skip the `/vX.YY` prefix (for `/_ping`). */
  unversioned?: boolean;
  signal?: AbortSignal;
}

export interface PingResult {
  apiVersion: string;
  osType?: string;
  experimental: boolean;
  builderVersion?: string;
  server?: string;
}

export interface Hijacked {
  socket: Duplex;
  /** Content-Type the daemon named; `application/vnd.docker.raw-stream` or `...multiplexed-stream`. */
  contentType?: string;
}

export function encodeQuery(query?: Query): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) {
      const s = typeof one === 'boolean' ? (one ? '1' : '0') : String(one);
      parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(s)}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

function versionLess(a: string, b: string): boolean {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0;
  }
  return false;
}

/** TLS for tcp:// hosts (docker's --tls/--tlsverify with ca.pem, cert.pem, key.pem). */
export interface TlsOptions {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  /** Check the daemon's certificate against `ca` (--tlsverify). */
  verify: boolean;
}

export interface TransportOptions { apiVersion?: string; tls?: TlsOptions }

export class Transport {
  readonly address: DaemonAddress;
  private negotiated?: Promise<string>;
  private pinned?: string;
  private readonly tls?: TlsOptions;
  private ssh?: http.Agent;

  constructor(hostUrl: string, opts: TransportOptions = {}) {
    this.address = parseHost(hostUrl);
    if (opts.apiVersion) this.pinned = opts.apiVersion;
    if (opts.tls && this.address.kind === 'tcp') this.tls = opts.tls;
    else if (this.address.kind === 'tcp' && this.address.tls) this.tls = { verify: true };
  }

  private send(options: http.RequestOptions): http.ClientRequest {
    if (!this.tls) return http.request(options);
    const t = this.tls;
    return https.request({ ...options, ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: t.verify });
  }

  get host(): string {
    return this.address.url;
  }

  private baseOptions(): http.RequestOptions {
    const a = this.address;
    if (a.kind === 'ssh') return { agent: (this.ssh ??= sshAgent(a.target)), headers: { Host: 'api.moby.localhost' } };
    return a.kind === 'unix'
      ? { socketPath: a.path, headers: { Host: 'api.moby.localhost' } }
      : { host: a.host, port: a.port, headers: {} };
  }

  /** One raw request; the caller owns the response. No version prefix is added here. */
  rawRequest(opts: RequestOptions & { fullPath: string }): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const base = this.baseOptions();
      const headers: Record<string, string> = { ...(base.headers as Record<string, string>), 'User-Agent': 'Berth-Client/0.1.0 (linux)', ...opts.headers };
      const { payload, stream } = this.encodeBody(opts.body, headers);
      const req = this.send({ ...base, method: opts.method, path: opts.fullPath, headers, signal: opts.signal });
      req.on('response', resolve);
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.wrapError(e)));
      if (stream) stream.pipe(req);
      else req.end(payload);
    });
  }

  private encodeBody(body: unknown, headers: Record<string, string>): { payload?: Buffer; stream?: Readable } {
    if (body === undefined) return {};
    if (Buffer.isBuffer(body)) return { payload: body };
    if (body && typeof (body as Readable).pipe === 'function') {
      headers['Transfer-Encoding'] ??= 'chunked';
      return { stream: body as Readable };
    }
    headers['Content-Type'] ??= 'application/json';
    return { payload: Buffer.from(JSON.stringify(body)) };
  }

  private wrapError(e: NodeJS.ErrnoException): Error {
    if (e.name === 'AbortError') return e;
    if (['ENOENT', 'ECONNREFUSED', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(e.code ?? '')) {
      return new ConnectionError(this.address.url, e);
    }
    return e;
  }

  async ping(): Promise<PingResult> {
    let res = await this.rawRequest({ method: 'HEAD', path: '/_ping', fullPath: '/_ping' });
    res.resume();
    if (res.statusCode !== 200 && !res.headers['api-version']) {
      res = await this.rawRequest({ method: 'GET', path: '/_ping', fullPath: '/_ping' });
      const body = await readAll(res);
      if ((res.statusCode ?? 500) >= 400 && !res.headers['api-version']) throw errorFromBody(res.statusCode ?? 500, body.toString());
    }
    const h = res.headers;
    return {
      apiVersion: String(h['api-version'] ?? ''),
      osType: h['ostype'] as string | undefined,
      experimental: h['docker-experimental'] === 'true',
      builderVersion: h['builder-version'] as string | undefined,
      server: h['server'] as string | undefined,
    };
  }

  /** The API version in use: the lower of ours and the daemon's (negotiated once). */
  apiVersion(): Promise<string> {
    if (this.pinned) return Promise.resolve(this.pinned);
    this.negotiated ??= this.ping().then((p) => {
      const server = p.apiVersion || FALLBACK_API_VERSION;
      return versionLess(server, CLIENT_API_VERSION) ? server : CLIENT_API_VERSION;
    });
    this.negotiated.catch(() => { this.negotiated = undefined; });
    return this.negotiated;
  }

  async versionedPath(path: string, query?: Query): Promise<string> {
    const v = await this.apiVersion();
    return `/v${v}${path}${encodeQuery(query)}`;
  }

  /** A request whose non-2xx answer becomes an ApiError. */
  async request(opts: RequestOptions): Promise<http.IncomingMessage> {
    const fullPath = opts.unversioned ? `${opts.path}${encodeQuery(opts.query)}` : await this.versionedPath(opts.path, opts.query);
    const res = await this.rawRequest({ ...opts, fullPath });
    const status = res.statusCode ?? 500;
    if (status >= 400) throw errorFromBody(status, (await readAll(res)).toString());
    return res;
  }

  async json<T>(opts: RequestOptions): Promise<T> {
    const res = await this.request(opts);
    const text = (await readAll(res)).toString();
    if (!text.trim()) return undefined as T;
    return JSON.parse(text) as T;
  }

  async empty(opts: RequestOptions): Promise<void> {
    const res = await this.request(opts);
    await readAll(res);
  }

  /** Upgrade the connection; resolves with the raw socket once the daemon answered 101. */
  async hijack(opts: RequestOptions): Promise<Hijacked> {
    const fullPath = await this.versionedPath(opts.path, opts.query);
    return new Promise((resolve, reject) => {
      const base = this.baseOptions();
      const headers: Record<string, string> = {
        ...(base.headers as Record<string, string>),
        'User-Agent': 'Berth-Client/0.1.0 (linux)',
        Connection: 'Upgrade',
        Upgrade: 'tcp',
        ...opts.headers,
      };
      const { payload } = this.encodeBody(opts.body, headers);
      const req = this.send({ ...base, method: opts.method, path: fullPath, headers });
      req.on('upgrade', (res, socket, head) => {
        if (head.length) socket.unshift(head);
        resolve({ socket, contentType: res.headers['content-type'] });
      });
      req.on('response', async (res) => {
        const status = res.statusCode ?? 500;
        const body = (await readAll(res)).toString();
        if (status >= 400) reject(errorFromBody(status, body));
        else reject(new ApiError(status, `daemon did not upgrade the connection (status ${status})`, body));
      });
      req.on('error', (e: NodeJS.ErrnoException) => reject(this.wrapError(e)));
      req.end(payload);
    });
  }
}

export function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

/** Non-empty lines of a text stream. */
export async function* textLines(stream: Readable): AsyncGenerator<string> {
  let buf = '';
  for await (const chunk of stream) {
    buf += (chunk as Buffer).toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield line;
    }
  }
  if (buf.trim()) yield buf.trim();
}

/** Parse a stream of JSON values (newline-separated or simply concatenated). */
export async function* jsonStream<T>(stream: Readable): AsyncGenerator<T> {
  let buf = '';
  for await (const chunk of stream) {
    buf += (chunk as Buffer).toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) yield JSON.parse(line) as T;
    }
  }
  if (buf.trim()) yield JSON.parse(buf) as T;
}
