/** Raw HTTP over a daemon's unix socket, for readiness checks and bad-input tests. */
import * as http from 'node:http';

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface RequestOptions {
  /** A string or Buffer is sent as is; anything else is JSON-encoded. */
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export function request(socket: string, method: string, urlPath: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    let payload: Buffer | undefined;
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.body !== undefined) {
      payload = typeof opts.body === 'string' || Buffer.isBuffer(opts.body)
        ? Buffer.from(opts.body as string | Buffer)
        : Buffer.from(JSON.stringify(opts.body));
      headers['Content-Type'] ??= 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const req = http.request({ socketPath: socket, method, path: urlPath, headers, timeout: opts.timeoutMs ?? 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: any;
        try {
          json = body ? JSON.parse(body) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

/** True when GET /_ping answers 200 "OK". */
export async function ping(socket: string): Promise<boolean> {
  try {
    const r = await request(socket, 'GET', '/_ping', { timeoutMs: 2000 });
    return r.status === 200 && r.body === 'OK';
  } catch {
    return false;
  }
}
