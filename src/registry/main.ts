/**
 * `berth registry serve` and `berth registry gc`: the registry runs as its own process, with
 * no daemon. Settings come from flags, or a JSON --config file with the same names
 * (`{"addr":"127.0.0.1:5000","root":"/var/lib/berth-registry","tlsCert":...,"tlsKey":...,
 * "htpasswd":...,"readOnly":false}`); flags win.
 */
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { Htpasswd } from './auth';
import { garbageCollect } from './gc';
import { RegistryServer } from './server';
import { TokenAuth, type AccessRule } from './token';
import { RegistryStorage } from './storage';

export interface ServeOptions {
  addr?: string; root?: string; tlsCert?: string; tlsKey?: string; htpasswd?: string; readOnly?: boolean; config?: string;
  /** Token auth instead of basic: users from htpasswd, optional access rules and signing key (config file only). */
  tokenAuth?: boolean; access?: AccessRule[]; tokenKey?: string;
  log?: (line: string) => void;
}

export const DEFAULT_ROOT = '/var/lib/berth-registry';

function merged(o: ServeOptions): Required<Pick<ServeOptions, 'addr' | 'root'>> & ServeOptions {
  let file: ServeOptions = {};
  if (o.config) file = JSON.parse(readFileSync(o.config, 'utf8')) as ServeOptions;
  const pick = <K extends keyof ServeOptions>(k: K) => (o[k] !== undefined ? o[k] : file[k]);
  return {
    addr: pick('addr') ?? '127.0.0.1:5000', root: pick('root') ?? DEFAULT_ROOT, tlsCert: pick('tlsCert'), tlsKey: pick('tlsKey'),
    htpasswd: pick('htpasswd'), readOnly: pick('readOnly'), log: o.log, tokenAuth: pick('tokenAuth'), access: pick('access'), tokenKey: pick('tokenKey'),
  };
}

export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr);
  if (!m) throw new Error(`invalid --addr ${JSON.stringify(addr)}: want HOST:PORT`);
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port: Number(m[3]) };
}

/** Starts the server; resolves with it listening (and a close function). */
export async function startRegistry(opts: ServeOptions): Promise<{ server: http.Server; addr: string; port: number; tls: boolean; close(): Promise<void> }> {
  const o = merged(opts);
  const store = new RegistryStorage(o.root);
  await store.init();
  const auth = o.htpasswd ? new Htpasswd(o.htpasswd) : undefined;
  if (o.tokenAuth && !auth) throw new Error('token auth needs --htpasswd (the token endpoint checks its users)');
  const token = o.tokenAuth && auth ? new TokenAuth(auth, o.access, o.tokenKey) : undefined;
  const reg = new RegistryServer(store, { readOnly: !!o.readOnly, auth, token, tls: !!o.tlsCert, log: o.log });
  await reg.uploads.init();
  await reg.uploads.expire(); // sessions left idle across a long stop
  if (!!o.tlsCert !== !!o.tlsKey) throw new Error('--tls-cert and --tls-key go together');
  const server = o.tlsCert && o.tlsKey
    ? https.createServer({ cert: readFileSync(o.tlsCert), key: readFileSync(o.tlsKey) }, reg.handle)
    : http.createServer(reg.handle);
  server.requestTimeout = 0; // big layers take as long as they take
  const { host, port } = parseAddr(o.addr);
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(port, host, () => resolve()); });
  // abandoned upload sessions: their temp files go after an hour without a write
  const sweeper = setInterval(() => { reg.uploads.expire().catch(() => undefined); }, 5 * 60 * 1000);
  sweeper.unref();
  server.on('close', () => clearInterval(sweeper));
  const a = server.address();
  return {
    server,
    addr: o.addr,
    tls: !!o.tlsCert,
    port: typeof a === 'object' && a ? a.port : port,
    close: () => new Promise<void>((resolve) => { server.close(() => resolve()); server.closeAllConnections(); }),
  };
}

/** Runs until SIGINT/SIGTERM. Access logs are JSON lines on stdout. */
export async function serve(opts: ServeOptions, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  let r: Awaited<ReturnType<typeof startRegistry>>;
  try {
    r = await startRegistry({ ...opts, log: (l) => out(`${l}\n`) });
  } catch (e) {
    err(`berth registry: ${(e as Error).message}\n`);
    return 1;
  }
  out(`${JSON.stringify({ time: new Date().toISOString(), msg: 'listening', addr: r.addr, port: r.port, tls: r.tls })}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await r.close();
  return 0;
}

export async function gc(root: string, dryRun: boolean, out: (s: string) => void): Promise<number> {
  const r = await garbageCollect(root, { dryRun, log: (s) => out(`${s}\n`) });
  out(`${r.marked} blobs marked, ${r.removed.length} blobs ${dryRun ? 'eligible for deletion' : 'deleted'} (${r.freedBytes} bytes)\n`);
  return 0;
}
