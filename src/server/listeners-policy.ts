/**
 * Which `-H` addresses berthd may listen on, and with what protection. Pure functions,
 * so the rules are unit-tested without sockets.
 *
 * An API that starts containers is root on the machine, so TCP is locked by default:
 *  - `--tlsverify` (mutual TLS): the only mode that starts without being asked twice.
 *  - no client verification (`--tls` alone, or plain TCP) starts only when the intent is
 *    stated with dockerd's override flags `--tls=false` / `--tlsverify=false`, and logs
 *    dockerd's warnings. Current dockerd still starts (after a 15 s delay) when neither is
 *    given; Berth refuses instead, as dockerd says it will in a future release.
 *  - on an address that is not loopback, unauthenticated TCP needs both: an explicit
 *    `--tls`/`--tls=false` AND an explicit `--tlsverify=false`.
 */
import { isIP } from 'node:net';
import { invalidParameter } from '../errdefs';

export type ListenAddress =
  | { kind: 'unix'; path: string; url: string }
  | { kind: 'tcp'; host: string; port: number; url: string };

/** TLS settings as given (undefined: not given), with dockerd's flag and daemon.json names. */
export interface TlsFlags {
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
}

export const DEFAULT_TCP_PORT = 2375;
export const DEFAULT_TLS_PORT = 2376;

/** Whether the listener speaks TLS: `--tls`, implied by `--tlsverify`. */
export function tlsEnabled(t: TlsFlags): boolean {
  return t.tlsVerify === true || t.tls === true;
}

/** `unix:///path`, `/path`, `tcp://HOST:PORT`, `tcp://:PORT`, `tcp://[::1]:PORT` (dockerd's forms). */
export function parseListenAddress(host: string, t: TlsFlags = {}): ListenAddress {
  const h = host.trim();
  if (h.startsWith('unix://')) {
    const path = h.slice('unix://'.length);
    if (!path) throw invalidParameter(`invalid host: ${host}: no socket path`);
    return { kind: 'unix', path, url: h };
  }
  if (h.startsWith('/')) return { kind: 'unix', path: h, url: `unix://${h}` };
  const m = /^tcp:\/\/(\[[^\]]*\]|[^:/\[\]]*)(?::(\d*))?\/?$/.exec(h);
  if (m) {
    const hostPart = m[1].replace(/^\[|\]$/g, '') || '127.0.0.1';
    const port = m[2] ? Number(m[2]) : tlsEnabled(t) ? DEFAULT_TLS_PORT : DEFAULT_TCP_PORT;
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw invalidParameter(`invalid host: ${host}: bad port`);
    const shown = isIP(hostPart) === 6 ? `[${hostPart}]` : hostPart;
    return { kind: 'tcp', host: hostPart, port, url: `tcp://${shown}:${port}` };
  }
  if (/^(fd|ssh|npipe|http|https):/.test(h)) throw invalidParameter(`invalid host: ${host}: berthd listens on unix:// and tcp:// only`);
  throw invalidParameter(`invalid host: ${host}: bad format, expected PROTO://ADDR`);
}

/** 127.0.0.0/8, ::1, ::ffff:127.x and the literal "localhost". */
export function isLoopbackAddress(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) {
    const h = host.toLowerCase();
    return h === '::1' || h === '0:0:0:0:0:0:0:1' || /^::ffff:127\./.test(h);
  }
  return false;
}

/** dockerd's warnings for a TCP listener without client certificates, word for word. */
export const INSECURE_TCP_WARNINGS = [
  'Binding to IP address without --tlsverify is insecure and gives root access on this machine to everyone who has access to your network.',
  'Binding to an IP address, even on localhost, can also give access to scripts run in a browser. Be safe out there!',
];

export type TcpDecision = { ok: true; warnings: string[] } | { ok: false; error: string };

/**
 * Decides whether a TCP listener may start. `loopback`: every address the host name
 * stands for is a loopback address.
 */
export function decideTcp(addr: ListenAddress & { kind: 'tcp' }, loopback: boolean, t: TlsFlags): TcpDecision {
  if (t.tlsVerify === true) return { ok: true, warnings: [] };
  const explicit = t.tls !== undefined || t.tlsVerify === false;
  if (!explicit) {
    return {
      ok: false,
      error: `refusing to listen on ${addr.url} without TLS client verification: anyone who can reach it gets root on this machine. ` +
        `Use --tlsverify with --tlscacert, --tlscert and --tlskey (see docs/remote.md), ` +
        `or state the intent explicitly with '--tls=false' or '--tlsverify=false'`,
    };
  }
  if (!loopback && !(t.tlsVerify === false && t.tls !== undefined)) {
    return {
      ok: false,
      error: `refusing to listen on ${addr.url} without TLS client verification: ${addr.host} is not a loopback address. ` +
        `To expose the API unauthenticated to the network anyway, say so twice: '--tlsverify=false' and '--tls' (or '--tls=false')`,
    };
  }
  const warnings = INSECURE_TCP_WARNINGS.map((w) => `${w} host="${addr.url}"`);
  if (!loopback) warnings.push(`Listening on non-loopback address ${addr.url} without authentication, as explicitly asked (--tlsverify=false)`);
  return { ok: true, warnings };
}
