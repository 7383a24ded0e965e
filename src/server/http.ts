import * as http from 'node:http';
import type { Socket } from 'node:net';
import { Duplex, PassThrough } from 'node:stream';
import { BerthError, invalidParameter, notFound, statusOf } from '../errdefs';
import { API_VERSION, ENGINE_VERSION, MIN_API_VERSION, OS_TYPE, compareVersions } from '../api/version';
import { Router, type Ctx } from './router';
import type { Logger } from '../util/log';
import { acceptWebSocket, isWebSocketHandshake } from './websocket';

const VERSION_PREFIX = /^\/v(\d+\.\d+)(\/.*)$/;

export function standardHeaders(): Record<string, string> {
  return {
    'Api-Version': API_VERSION,
    'Docker-Experimental': 'false',
    Ostype: OS_TYPE,
    Server: `Docker/${ENGINE_VERSION} (${OS_TYPE})`,
  };
}

/** Docker's error body; 304 has none. */
function sendError(res: http.ServerResponse, err: unknown, log: Logger): void {
  const status = statusOf(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status >= 500) log.error(`request failed: ${err instanceof Error ? err.stack : message}`);
  if (res.headersSent) { res.destroy(); return; }
  if (status === 304) { res.writeHead(304); res.end(); return; }
  const body = JSON.stringify({ message });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Reads exactly Content-Length bytes (or until end when chunked) from a request. */
function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/**
 * A request refused before its body was read (e.g. a PUT of a tar to a bad path): read what is
 * left, up to a bound, so the client gets the error instead of a reset while still sending.
 * Go's server, behind dockerd, does the same with a smaller bound.
 */
function drainBody(req: http.IncomingMessage, maxBytes = 8 << 20, maxMs = 2000): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const done = () => { clearTimeout(timer); req.off('data', onData); req.off('end', done); req.off('error', done); resolve(); };
    const onData = (c: Buffer) => { seen += c.length; if (seen > maxBytes) done(); };
    const timer = setTimeout(done, maxMs);
    req.on('data', onData);
    req.on('end', done);
    req.on('error', done);
    req.resume();
  });
}

/** For upgraded requests Node hands us the socket; the body (if any) is the first Content-Length bytes. */
function readUpgradeBody(req: http.IncomingMessage, socket: Socket, head: Buffer): Promise<Buffer> {
  const len = parseInt(String(req.headers['content-length'] ?? '0'), 10) || 0;
  if (len === 0) { if (head.length) socket.unshift(head); return Promise.resolve(Buffer.alloc(0)); }
  return new Promise((resolve, reject) => {
    let buf = head;
    const done = () => {
      socket.removeListener('data', onData);
      socket.removeListener('error', reject);
      const rest = buf.subarray(len);
      if (rest.length) socket.unshift(rest);
      resolve(buf.subarray(0, len));
    };
    const onData = (c: Buffer) => { buf = Buffer.concat([buf, c]); if (buf.length >= len) { socket.pause(); done(); } };
    if (buf.length >= len) { done(); return; }
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

export interface ApiServerOptions { router: Router; log: Logger }

/**
 * The Engine API over HTTP/1.1: strips and checks the /vX.YY prefix, adds Docker's headers,
 * dispatches to the router and maps thrown errors to status codes in one place.
 */
export function createApiServer(opts: ApiServerOptions): http.Server {
  const { router, log } = opts;
  const server = http.createServer({ keepAlive: true, requestTimeout: 0, headersTimeout: 60_000 });

  const dispatch = async (req: http.IncomingMessage, res: http.ServerResponse, upgrade?: { socket: Socket; head: Buffer }) => {
    const url = new URL(req.url ?? '/', 'http://berth');
    let path = url.pathname;
    let apiVersion = API_VERSION;
    for (const [k, v] of Object.entries(standardHeaders())) res.setHeader(k, v);
    try {
      const m = VERSION_PREFIX.exec(path);
      if (m) {
        apiVersion = m[1];
        path = m[2];
        if (compareVersions(apiVersion, API_VERSION) > 0) {
          throw invalidParameter(`client version ${apiVersion} is too new. Maximum supported API version is ${API_VERSION}`);
        }
        if (compareVersions(apiVersion, MIN_API_VERSION) < 0) {
          throw invalidParameter(`client version ${apiVersion} is too old. Minimum supported API version is ${MIN_API_VERSION}, please upgrade your client to a newer version`);
        }
      }
      const method = req.method ?? 'GET';
      const found = router.match(method, path);
      if (!('handler' in found)) {
        throw found.methodMismatch ? new BerthError('InvalidParameter', `method ${method} not allowed for ${path}`) : notFound('page not found');
      }
      let bodyPromise: Promise<Buffer> | undefined;
      let hijacked = false;
      const ctx: Ctx = {
        req, res, method, path, params: found.params, query: url.searchParams, apiVersion,
        body: () => (bodyPromise ??= upgrade ? readUpgradeBody(req, upgrade.socket, upgrade.head) : readBody(req)),
        json: async <T>() => {
          const b = await ctx.body();
          if (b.length === 0) return undefined;
          try { return JSON.parse(b.toString('utf8')) as T; } catch (e) {
            throw invalidParameter(`invalid JSON: ${(e as Error).message}`);
          }
        },
        send: (status, obj) => {
          const body = JSON.stringify(obj);
          res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
          res.end(method === 'HEAD' ? undefined : body);
        },
        noContent: (status = 204) => { res.writeHead(status); res.end(); },
        text: (status, text, contentType = 'text/plain; charset=utf-8') => {
          res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
          res.end(method === 'HEAD' ? undefined : text);
        },
        hijack: (contentType) => {
          if (hijacked) throw new Error('connection already hijacked');
          hijacked = true;
          const socket = (upgrade?.socket ?? req.socket) as Socket;
          const hdrs = Object.entries(standardHeaders()).map(([k, v]) => `${k}: ${v}\r\n`).join('');
          if (upgrade) {
            socket.write(`HTTP/1.1 101 UPGRADED\r\nContent-Type: ${contentType}\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n${hdrs}\r\n`);
          } else {
            // Old-style hijack without Upgrade: a 200 whose body is the raw stream until close.
            socket.write(`HTTP/1.1 200 OK\r\nContent-Type: ${contentType}\r\n${hdrs}\r\n`);
            // Stop Node's HTTP parser from reading what is now stdin.
            socket.removeAllListeners('data');
          }
          socket.setNoDelay(true);
          socket.setTimeout(0);
          socket.resume();
          return socket;
        },
        websocket: async (binary) => {
          if (!upgrade || !isWebSocketHandshake(req)) throw invalidParameter('not a websocket handshake: expected "Connection: Upgrade" and "Upgrade: websocket"');
          if (hijacked) throw new Error('connection already hijacked');
          hijacked = true;
          upgrade.socket.setNoDelay(true);
          upgrade.socket.setTimeout(0);
          return acceptWebSocket(req, upgrade.socket, upgrade.head, binary);
        },
      };
      await found.handler(ctx);
    } catch (err) {
      if (upgrade && !res.headersSent && res.socket === null) {
        // Upgrade requests have no ServerResponse bound to the socket: write the error by hand.
        const status = statusOf(err);
        const body = JSON.stringify({ message: err instanceof Error ? err.message : String(err) });
        upgrade.socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        return;
      }
      if (!upgrade && !req.complete && !res.headersSent) await drainBody(req);
      sendError(res, err, log);
    }
  };

  server.on('request', (req, res) => {
    if (log.level === 'debug') {
      const t0 = process.hrtime.bigint();
      res.on('finish', () => log.debug(`${req.method} ${req.url} ${res.statusCode} ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)}ms`));
    }
    void dispatch(req, res);
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: Socket, head: Buffer) => {
    log.debug(`${req.method} ${req.url} (upgrade)`);
    const res = new http.ServerResponse(req);
    res.assignSocket(socket);
    // Responses written through `res` (errors before the hijack) must close the connection.
    res.shouldKeepAlive = false;
    void dispatch(req, res, { socket, head });
  });
  server.on('clientError', (err, socket) => {
    if (!socket.writable) return;
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{"message":"bad request"}');
  });
  return server;
}

/** A duplex that is never connected, for handlers that need a placeholder stream. */
export const nullStream = (): Duplex => new PassThrough();
