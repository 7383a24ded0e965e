/**
 * The registry's HTTP router: OCI distribution spec v1.1 / Docker registry API v2.
 * Every name, tag and digest in the URL is validated before use; the raw (undecoded) path
 * is matched, so `%2e%2e` never turns into `..`. Errors are the spec's JSON bodies.
 */
import { createReadStream } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Htpasswd } from './auth';
import type { Access, TokenAuth } from './token';
import { RegistryError, checkDigestParam, checkName, regError } from './errors';
import { MAX_MANIFEST, OCI_INDEX, putManifest, readBody, referrersIndex, resolveManifest } from './manifests';
import { Metrics } from './metrics';
import type { RegistryStorage } from './storage';
import { Uploads, type Upload } from './uploads';

export interface ServerOptions { readOnly?: boolean; auth?: Htpasswd; token?: TokenAuth; tls?: boolean; log?: (line: string) => void }

interface Route { kind: 'upload' | 'blob' | 'manifest' | 'tags' | 'referrers'; name: string; arg: string }

/** Splits the path after /v2/ into endpoint, repository name and argument (one parser for routing and auth). */
function parseRoute(rest: string): Route | undefined {
  let m: RegExpExecArray | null;
  if ((m = /^(.+)\/blobs\/uploads\/([^/]*)$/.exec(rest))) return { kind: 'upload', name: m[1], arg: m[2] };
  if ((m = /^(.+)\/blobs\/([^/]+)$/.exec(rest))) return { kind: 'blob', name: m[1], arg: m[2] };
  if ((m = /^(.+)\/manifests\/([^/]+)$/.exec(rest))) return { kind: 'manifest', name: m[1], arg: m[2] };
  if ((m = /^(.+)\/tags\/list$/.exec(rest))) return { kind: 'tags', name: m[1], arg: '' };
  if ((m = /^(.+)\/referrers\/([^/]+)$/.exec(rest))) return { kind: 'referrers', name: m[1], arg: m[2] };
  return undefined;
}

/** The scope a request needs under token auth: the same repository name the router serves. */
function needFor(rest: string, method: string): Access[] {
  if (rest === '') return [];
  if (rest === '_catalog') return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
  const r = parseRoute(rest);
  if (!r) return [];
  const actions = method === 'GET' || method === 'HEAD' ? ['pull'] : method === 'DELETE' ? ['delete'] : ['pull', 'push'];
  return [{ type: 'repository', name: r.name, actions }];
}

const API_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' };

function send(res: ServerResponse, status: number, headers: Record<string, string | number>, body?: string | Buffer): void {
  const h: Record<string, string | number> = { ...API_HEADER, ...headers };
  if (body !== undefined && h['Content-Length'] === undefined) h['Content-Length'] = Buffer.byteLength(body);
  if (body === undefined && h['Content-Length'] === undefined) h['Content-Length'] = 0;
  res.writeHead(status, h);
  res.end(body);
}

/** n and last from a list query, the page, and the Link header for the next one. */
function paginate(all: string[], q: URLSearchParams, base: string): { page: string[]; link?: string } {
  const nRaw = q.get('n');
  let list = all;
  const last = q.get('last');
  if (last) list = list.filter((x) => x > last);
  if (nRaw === null) return { page: list };
  if (!/^\d+$/.test(nRaw)) throw regError(400, 'PAGINATION_NUMBER_INVALID', { n: nRaw });
  const n = Number(nRaw);
  const page = list.slice(0, n);
  const more = n > 0 && list.length > n;
  return { page, link: more ? `<${base}?last=${encodeURIComponent(page[page.length - 1])}&n=${n}>; rel="next"` : undefined };
}

export class RegistryServer {
  readonly uploads: Uploads;
  readonly metrics = new Metrics();

  constructor(readonly store: RegistryStorage, readonly opts: ServerOptions = {}) {
    this.uploads = new Uploads(store);
  }

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    let user = '';
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      this.metrics.request(req.method ?? '', res.statusCode, ms, Number(res.getHeader('Content-Length') ?? 0));
      this.opts.log?.(JSON.stringify({ time: new Date().toISOString(), remote: req.socket.remoteAddress, method: req.method, path: req.url, status: res.statusCode, ms: Math.round(ms * 10) / 10, user: user || undefined }));
    });
    this.route(req, res, (u) => { user = u; }).catch((e: unknown) => {
      if (res.headersSent) { res.destroy(); return; }
      const err = e instanceof RegistryError ? e : regError(500, 'UNKNOWN', undefined, `internal error: ${(e as Error).message}`);
      if (!(e instanceof RegistryError)) this.opts.log?.(JSON.stringify({ level: 'error', msg: (e as Error).stack }));
      const h: Record<string, string> = { 'Content-Type': 'application/json' };
      if (err.status === 401 && this.opts.auth) h['WWW-Authenticate'] = this.opts.auth.challenge();
      if (!req.readableEnded) { req.resume(); h.Connection = 'close'; }
      send(res, err.status, h, req.method === 'HEAD' ? undefined : err.body());
    });
  };

  private async route(req: IncomingMessage, res: ServerResponse, setUser: (u: string) => void): Promise<void> {
    const raw = req.url ?? '/';
    const qi = raw.indexOf('?');
    const p = qi < 0 ? raw : raw.slice(0, qi);
    const q = new URLSearchParams(qi < 0 ? '' : raw.slice(qi + 1));
    const method = req.method ?? 'GET';
    if (p === '/healthz' || p === '/debug/health') return send(res, 200, { 'Content-Type': 'application/json' }, '{}');
    if (p === '/metrics') return send(res, 200, { 'Content-Type': 'text/plain; version=0.0.4' }, this.metrics.render(this.uploads.count));
    if (p === '/token' && this.opts.token && this.opts.auth) {
      if (method !== 'GET') throw regError(405, 'UNSUPPORTED');
      return send(res, 200, { 'Content-Type': 'application/json' }, this.opts.token.issue(req, q));
    }
    if (!p.startsWith('/v2/') && p !== '/v2') return send(res, 404, { 'Content-Type': 'text/plain' }, '404 page not found\n');
    if (this.opts.token) {
      const need = needFor(p.slice(4).replace(/^\//, ''), method);
      try { setUser(this.opts.token.check(req, need)); } catch (e) {
        if (!(e instanceof RegistryError)) throw e;
        req.resume();
        return send(res, 401, { 'Content-Type': 'application/json', 'WWW-Authenticate': this.opts.token.challenge(req, need, !!this.opts.tls) }, req.method === 'HEAD' ? undefined : e.body());
      }
    } else if (this.opts.auth) setUser(this.opts.auth.check(req.headers.authorization));
    if (p === '/v2/' || p === '/v2') return send(res, 200, { 'Content-Type': 'application/json' }, '{}');
    const write = ['PUT', 'POST', 'PATCH', 'DELETE'].includes(method);
    if (write && this.opts.readOnly) throw regError(405, 'UNSUPPORTED', undefined, 'the registry is read-only');
    if (p === '/v2/_catalog') {
      if (method !== 'GET') throw regError(405, 'UNSUPPORTED');
      const { page, link } = paginate(await this.store.catalog(), q, '/v2/_catalog');
      return send(res, 200, { 'Content-Type': 'application/json', ...(link ? { Link: link } : {}) }, JSON.stringify({ repositories: page }));
    }
    const rest = p.slice('/v2/'.length);
    const r = parseRoute(rest);
    if (r?.kind === 'upload') return this.upload(req, res, checkName(r.name), r.arg, q);
    if (r?.kind === 'blob') return this.blob(req, res, checkName(r.name), r.arg);
    if (r?.kind === 'manifest') return this.manifest(req, res, checkName(r.name), r.arg);
    if (r?.kind === 'tags') {
      const name = checkName(r.name);
      if (method !== 'GET') throw regError(405, 'UNSUPPORTED');
      if (!(await this.store.repoExists(name))) throw regError(404, 'NAME_UNKNOWN', { name });
      const { page, link } = paginate(await this.store.listTags(name), q, `/v2/${name}/tags/list`);
      return send(res, 200, { 'Content-Type': 'application/json', ...(link ? { Link: link } : {}) }, JSON.stringify({ name, tags: page }));
    }
    if (r?.kind === 'referrers') {
      const name = checkName(r.name);
      if (method !== 'GET') throw regError(405, 'UNSUPPORTED');
      const ix = await referrersIndex(this.store, name, r.arg, q.get('artifactType'));
      return send(res, 200, { 'Content-Type': OCI_INDEX, ...(ix.filtered ? { 'OCI-Filters-Applied': 'artifactType' } : {}) }, ix.body);
    }
    // a path under /v2/ that names no endpoint
    throw regError(404, 'NAME_UNKNOWN', { path: p });
  }

  private async blob(req: IncomingMessage, res: ServerResponse, name: string, ref: string): Promise<void> {
    const digest = checkDigestParam(ref);
    const method = req.method;
    if (method === 'DELETE') {
      if (!(await this.store.unlinkBlob(name, digest))) throw regError(404, 'BLOB_UNKNOWN', { digest });
      return send(res, 202, {});
    }
    if (method !== 'GET' && method !== 'HEAD') throw regError(405, 'UNSUPPORTED');
    if (!(await this.store.hasBlob(name, digest))) throw regError(404, 'BLOB_UNKNOWN', { digest });
    const { size } = await this.store.content.info(digest);
    const headers: Record<string, string | number> = { 'Content-Type': 'application/octet-stream', 'Docker-Content-Digest': digest, ETag: `"${digest}"`, 'Accept-Ranges': 'bytes', 'Cache-Control': 'max-age=31536000' };
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = req.headers.range;
    if (range && method === 'GET') {
      const r = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (r && (r[1] || r[2])) {
        if (r[1]) { start = Number(r[1]); if (r[2]) end = Math.min(Number(r[2]), size - 1); } else start = Math.max(0, size - Number(r[2]));
        if (start > end || start >= size) { send(res, 416, { 'Content-Range': `bytes */${size}` }); return; }
        status = 206;
        headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
      }
    }
    headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
    res.writeHead(status, { ...API_HEADER, ...headers });
    if (method === 'HEAD' || size === 0) { res.end(); return; }
    await pipeline(createReadStream(this.store.content.blobPath(digest), { start, end, highWaterMark: 1 << 20 }), res);
    this.metrics.bytesOut += end - start + 1;
  }

  private uploadHeaders(name: string, u: Upload): Record<string, string | number> {
    return { Location: `/v2/${name}/blobs/uploads/${u.id}`, 'Docker-Upload-UUID': u.id, Range: `0-${Math.max(0, u.offset - 1)}` };
  }

  private async upload(req: IncomingMessage, res: ServerResponse, name: string, id: string, q: URLSearchParams): Promise<void> {
    const method = req.method;
    const length = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) : undefined;
    if (method === 'POST' && id === '') {
      const mount = q.get('mount');
      if (mount !== null) {
        const digest = checkDigestParam(mount);
        const from = q.get('from');
        const mayRead = (f: string) => !this.opts.token || this.opts.token.allows(req, [{ type: 'repository', name: f, actions: ['pull'] }]);
        if (from && mayRead(from) && (await this.store.hasBlob(checkName(from), digest))) {
          await this.store.linkBlob(name, digest);
          return send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
        }
      }
      const digestQ = q.get('digest');
      if (digestQ !== null) {
        const digest = checkDigestParam(digestQ);
        const u = await this.uploads.open(name, false);
        try { await this.uploads.append(u, req, length); } catch (e) { await this.uploads.cancel(u); throw e; }
        this.metrics.bytesIn += u.offset;
        await this.uploads.finish(u, digest);
        await this.store.linkBlob(name, digest);
        return send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
      }
      req.resume();
      const u = await this.uploads.open(name);
      return send(res, 202, this.uploadHeaders(name, u));
    }
    if (!/^[0-9a-f-]{36}$/.test(id)) throw regError(404, 'BLOB_UPLOAD_UNKNOWN', { uuid: id });
    const u = this.uploads.get(name, id);
    if (method === 'GET') return send(res, 204, this.uploadHeaders(name, u));
    if (method === 'DELETE') { await this.uploads.cancel(u); return send(res, 204, {}); }
    if (method === 'PATCH' || method === 'PUT') {
      const cr = req.headers['content-range'];
      if (cr !== undefined && method === 'PATCH') {
        const m = /^(?:bytes )?(\d+)-(\d+)$/.exec(cr.trim());
        if (!m || Number(m[1]) !== u.offset) { req.resume(); return send(res, 416, { ...this.uploadHeaders(name, u), 'Content-Type': 'application/json' }, regError(416, 'BLOB_UPLOAD_INVALID', { range: cr, offset: u.offset }).body()); }
      }
      const before = u.offset;
      await this.uploads.append(u, req, length);
      this.metrics.bytesIn += u.offset - before;
      if (method === 'PATCH') return send(res, 202, this.uploadHeaders(name, u));
      let digest: string;
      try { digest = checkDigestParam(q.get('digest')); } catch (e) { await this.uploads.cancel(u); throw e; }
      await this.uploads.finish(u, digest);
      await this.store.linkBlob(name, digest);
      return send(res, 201, { Location: `/v2/${name}/blobs/${digest}`, 'Docker-Content-Digest': digest });
    }
    throw regError(405, 'UNSUPPORTED');
  }

  private async manifest(req: IncomingMessage, res: ServerResponse, name: string, ref: string): Promise<void> {
    const method = req.method;
    if (method === 'PUT') {
      const body = await readBody(req, MAX_MANIFEST);
      const r = await putManifest(this.store, name, ref, req.headers['content-type'], body);
      return send(res, 201, { Location: `/v2/${name}/manifests/${r.digest}`, 'Docker-Content-Digest': r.digest, ...(r.subject ? { 'OCI-Subject': r.subject } : {}) });
    }
    if (method === 'DELETE') {
      if (ref.includes(':')) {
        const digest = checkDigestParam(ref);
        if (!(await this.store.deleteManifest(name, digest))) throw regError(404, 'MANIFEST_UNKNOWN', { digest });
      } else if (!(await this.store.deleteTag(name, ref))) throw regError(404, 'MANIFEST_UNKNOWN', { tag: ref });
      return send(res, 202, {});
    }
    if (method !== 'GET' && method !== 'HEAD') throw regError(405, 'UNSUPPORTED');
    const { digest, link } = await resolveManifest(this.store, name, ref);
    const body = await this.store.content.readBuffer(digest);
    const headers = { 'Content-Type': link.mediaType, 'Docker-Content-Digest': digest, ETag: `"${digest}"`, 'Content-Length': body.length };
    if (method === 'HEAD') return send(res, 200, headers);
    this.metrics.bytesOut += body.length;
    return send(res, 200, headers, body);
  }
}
