/**
 * The API's listeners: unix sockets (0660, root:<socket group>) and TCP, plain or TLS.
 * With TLS the handshake runs on a `tls.Server`; each socket that completes it is handed
 * to the API's `http.Server` as a connection, so requests, upgrades and hijacks (attach,
 * exec) behave exactly as on the unix socket. With `--tlsverify` a client without a
 * certificate signed by the CA fails the handshake: no HTTP request is ever parsed.
 */
import { X509Certificate, constants as cryptoConstants } from 'node:crypto';
import { promises as dns } from 'node:dns';
import { promises as fs, readFileSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { invalidParameter, system } from '../errdefs';
import type { Logger } from '../util/log';
import { decideTcp, isLoopbackAddress, parseListenAddress, tlsEnabled, type ListenAddress, type TlsFlags } from './listeners-policy';

export * from './listeners-policy';

export interface ListenerSettings extends TlsFlags {
  /** -G/--group: the unix socket's group (name or gid); default "berth" when it exists. */
  group?: string;
}

export interface ApiListener {
  address: ListenAddress;
  /** Stops accepting and drops open connections; removes a unix socket file. */
  close(): Promise<void>;
}

/** GID of the socket's group: -G, else "berth" when that group exists, else root. */
export function socketGid(group: string | undefined, groupFile = '/etc/group'): number {
  const name = group ?? 'berth';
  try {
    for (const line of readFileSync(groupFile, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f[0] === name || (f[2] === name && /^\d+$/.test(name))) return Number(f[2]);
    }
  } catch { /* no group file */ }
  if (group !== undefined && /^\d+$/.test(group)) return Number(group);
  if (group) throw invalidParameter(`group ${group} not found`);
  return 0;
}

function readPem(file: string | undefined, what: string): Buffer {
  if (!file) throw invalidParameter(`TLS is enabled but no ${what} was given (--${what})`);
  try {
    return readFileSync(file);
  } catch (e) {
    throw invalidParameter(`could not read ${what} "${file}": ${(e as Error).message}`);
  }
}

/** Default PEM paths when TLS is on and a path is not given: $DOCKER_CERT_PATH or /etc/berth. */
export function withDefaultPaths(t: TlsFlags, env: NodeJS.ProcessEnv = process.env): TlsFlags {
  if (!tlsEnabled(t)) return t;
  const dir = env.DOCKER_CERT_PATH || '/etc/berth';
  return {
    ...t,
    tlsCaCert: t.tlsCaCert ?? (t.tlsVerify ? path.join(dir, 'ca.pem') : undefined),
    tlsCert: t.tlsCert ?? path.join(dir, 'cert.pem'),
    tlsKey: t.tlsKey ?? path.join(dir, 'key.pem'),
  };
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g;

/**
 * The certificate chain the server sends, fixed once. Given a lone certificate and a CA
 * bundle, OpenSSL would rebuild the chain from the CA store on EVERY handshake (a full
 * X509_verify_cert of our own certificate: ~0.9 M instructions, ~9% of what the server does
 * for one TLS connection) and send the certificates it finds: so that list is computed
 * here, once, and the handshake sends it as it is. The certificates on the wire do not
 * change. A file that already holds a chain is left alone.
 */
export function serverChain(certPem: Buffer, caPem: Buffer | undefined): Buffer {
  const own = certPem.toString('latin1').match(PEM_CERT) ?? [];
  if (own.length !== 1 || !caPem) return certPem;
  try {
    const cas = (caPem.toString('latin1').match(PEM_CERT) ?? []).map((p) => ({ pem: p, x: new X509Certificate(p) }));
    const chain = [own[0]];
    let cur = new X509Certificate(own[0]);
    const seen = new Set([cur.fingerprint256]);
    // Issuer by issuer, as X509_verify_cert walks the store, up to a self-signed one.
    while (chain.length < 10 && !cur.checkIssued(cur)) {
      const parent = cas.find((c) => !seen.has(c.x.fingerprint256) && cur.checkIssued(c.x) && cur.verify(c.x.publicKey));
      if (!parent) break;
      chain.push(parent.pem);
      seen.add(parent.x.fingerprint256);
      cur = parent.x;
    }
    return chain.length > 1 ? Buffer.from(`${chain.join('\n')}\n`) : certPem;
  } catch {
    return certPem; // Not PEM certificates we can read: OpenSSL reports the problem as before.
  }
}

/** The server side of TLS: our cert and key; with --tlsverify, client certs must chain to the CA. */
export function serverTlsOptions(t: TlsFlags): tls.TlsOptions {
  // Read in dockerd's order, so a daemon missing several files names the same one first.
  const cert = readPem(t.tlsCert, 'tlscert');
  const key = readPem(t.tlsKey, 'tlskey');
  const ca = t.tlsVerify || t.tlsCaCert ? readPem(t.tlsCaCert, 'tlscacert') : undefined;
  const opts: tls.TlsOptions = {
    cert: serverChain(cert, ca),
    key,
    minVersion: 'TLSv1.2',
    ALPNProtocols: ['http/1.1'],
    // No stateless session tickets: every docker CLI run is a new process with nothing to
    // resume. (OpenSSL 3.0 still sends two small stateful TLS 1.3 tickets; Node has no
    // setting to stop them, see docs/benchmarks.md, "Remote access".)
    secureOptions: cryptoConstants.SSL_OP_NO_TICKET,
  };
  if (t.tlsVerify) {
    opts.ca = ca;
    opts.requestCert = true;
    opts.rejectUnauthorized = true;
  } else if (ca) {
    // dockerd: a CA without --tlsverify checks a client certificate only if one is sent.
    opts.ca = ca;
    opts.requestCert = true;
    opts.rejectUnauthorized = false;
  }
  return opts;
}

async function resolvesToLoopback(host: string): Promise<boolean> {
  if (isLoopbackAddress(host) || net.isIP(host)) return isLoopbackAddress(host);
  try {
    const addrs = await dns.lookup(host, { all: true });
    return addrs.length > 0 && addrs.every((a) => isLoopbackAddress(a.address));
  } catch {
    return false;
  }
}

function listenOn(server: net.Server, args: { path: string } | { host: string; port: number }): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(system(`failed to load listeners: ${e.message}`, e));
    server.once('error', onError);
    server.listen(args, () => { server.off('error', onError); resolve(); });
  });
}

async function listenUnix(api: HttpServer, addr: ListenAddress & { kind: 'unix' }, s: ListenerSettings, log: Logger): Promise<ApiListener> {
  const gid = socketGid(s.group);
  await fs.mkdir(path.dirname(addr.path), { recursive: true });
  await fs.rm(addr.path, { force: true });
  // Created under a 0177 umask so the socket is never reachable by others, not even briefly.
  // bind(2) runs synchronously inside listen(), so the umask is restored before anything else runs.
  const old = process.umask(0o177);
  let listening: Promise<void>;
  try {
    listening = listenOn(api, { path: addr.path });
  } finally {
    process.umask(old);
  }
  await listening;
  await fs.chown(addr.path, 0, gid);
  await fs.chmod(addr.path, 0o660);
  log.info(`API listen on ${addr.path}`);
  return {
    address: addr,
    close: async () => {
      api.close();
      api.closeAllConnections();
      await fs.rm(addr.path, { force: true });
    },
  };
}

async function listenTcp(api: HttpServer, addr: ListenAddress & { kind: 'tcp' }, s: ListenerSettings, log: Logger): Promise<ApiListener> {
  const decision = decideTcp(addr, await resolvesToLoopback(addr.host), s);
  if (!decision.ok) throw invalidParameter(decision.error);
  for (const w of decision.warnings) log.warn(w);
  const bind = { host: addr.host === 'localhost' ? '127.0.0.1' : addr.host, port: addr.port };
  if (!tlsEnabled(s)) {
    await listenOn(api, bind);
    log.info(`API listen on ${addr.url} (plain HTTP, no TLS)`);
    return { address: addr, close: async () => { api.close(); api.closeAllConnections(); } };
  }
  // allowHalfOpen as the API's http.Server has it: docker's hijack half-closes (TLS close_notify)
  // once stdin is done and still reads the container's output.
  // noDelay: handshake flights go out at once (no Nagle wait for the peer's delayed ACK);
  // set by libuv on accept, without a JS listener per connection.
  const server = tls.createServer({ ...serverTlsOptions(s), allowHalfOpen: true, noDelay: true }, (socket) => {
    // Hand the authenticated connection to the API server as if it had accepted it.
    api.emit('connection', socket);
  });
  server.on('tlsClientError', (err, socket) => {
    log.debug(`TLS handshake from ${socket.remoteAddress ?? '?'} refused: ${err.message}`);
    socket.destroy();
  });
  await listenOn(server, bind);
  log.info(`API listen on ${addr.url} (TLS${s.tlsVerify ? ', client certificates verified' : ', client certificates NOT verified'})`);
  return {
    address: addr,
    close: async () => {
      server.close();
      api.close();
      api.closeAllConnections();
    },
  };
}

/**
 * Checks every `-H` host against the TCP policy and reads the TLS files, so a daemon that
 * would refuse a listener refuses before it starts anything else.
 */
export async function preflightListeners(hosts: string[], settings: ListenerSettings): Promise<void> {
  const s = { ...settings, ...withDefaultPaths(settings) };
  for (const h of hosts) {
    const addr = parseListenAddress(h, s);
    if (addr.kind === 'unix') { socketGid(s.group); continue; }
    const decision = decideTcp(addr, await resolvesToLoopback(addr.host), s);
    if (!decision.ok) throw invalidParameter(decision.error);
    if (tlsEnabled(s)) serverTlsOptions(s);
  }
}

/** Opens one listener per `-H` host, each with its own API server from `makeServer`. */
export async function openListeners(hosts: string[], settings: ListenerSettings, makeServer: () => HttpServer, log: Logger): Promise<ApiListener[]> {
  const s = { ...settings, ...withDefaultPaths(settings) };
  const addrs = hosts.map((h) => parseListenAddress(h, s));
  const out: ApiListener[] = [];
  try {
    for (const addr of addrs) {
      const api = makeServer();
      out.push(addr.kind === 'unix' ? await listenUnix(api, addr, s, log) : await listenTcp(api, addr, s, log));
    }
  } catch (e) {
    await Promise.all(out.map((l) => l.close()));
    throw e;
  }
  return out;
}
