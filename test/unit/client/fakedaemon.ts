/**
 * A tiny fake Engine API on a unix socket for unit tests: answers /_ping with the headers
 * dockerd sends, records every request (method, url, headers, body) and lets a test route
 * the rest. Used as an oracle for what the real docker CLI sends, too.
 */
import * as http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Recorded { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }

/** Return false when the request is not yours; it is taken as handled once headers went out. */
export type Route = (req: Recorded, res: http.ServerResponse) => boolean | void;

export class FakeDaemon {
  readonly dir = mkdtempSync(join(tmpdir(), 'berth-fake-'));
  readonly socket = join(this.dir, 'api.sock');
  readonly requests: Recorded[] = [];
  apiVersion = '1.50';
  pingGetOnly = false;
  private server?: http.Server;
  private routes: Route[] = [];

  get host(): string {
    return `unix://${this.socket}`;
  }

  route(r: Route): this {
    this.routes.push(r);
    return this;
  }

  /** A route tried before the others. */
  routeFirst(r: Route): this {
    this.routes.unshift(r);
    return this;
  }

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() };
        res.setHeader('Api-Version', this.apiVersion);
        res.setHeader('Ostype', 'linux');
        res.setHeader('Server', 'Docker/28.2.2 (linux)');
        if (rec.url === '/_ping' || /^\/v[\d.]+\/_ping$/.test(rec.url)) {
          if (this.pingGetOnly && rec.method === 'HEAD') {
            res.removeHeader('Api-Version');
            res.statusCode = 405;
            res.end();
            return;
          }
          res.setHeader('Builder-Version', '1');
          res.setHeader('Docker-Experimental', 'false');
          res.end(rec.method === 'HEAD' ? undefined : 'OK');
          return;
        }
        this.requests.push(rec);
        for (const r of this.routes) {
          const handled = r(rec, res);
          if (handled === true || (handled !== false && res.headersSent)) return;
        }
        res.statusCode = 500;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ message: `fake daemon: no route for ${rec.method} ${rec.url}` }));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.socket, resolve));
    return this;
  }

  /** Hand upgraded (hijacked) connections to `fn`. */
  onUpgrade(fn: (req: http.IncomingMessage, socket: import('node:net').Socket, head: Buffer) => void): void {
    this.server!.on('upgrade', (req, socket, head) => {
      this.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
      fn(req, socket as import('node:net').Socket, head);
    });
  }

  async stop(): Promise<void> {
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function json(res: http.ServerResponse, status: number, value: unknown): void {
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json');
  res.end(JSON.stringify(value));
}
