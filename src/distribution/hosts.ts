import { readFileSync, readdirSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

/**
 * Where and how to reach a registry, with dockerd's rules:
 *
 * - TLS material from `<certsDir>/<host:port>/`: `*.crt` are CA roots, `*.cert` + `*.key`
 *   a client certificate (dockerd's certs.d layout; default /etc/berth/certs.d).
 * - A registry is insecure (plain HTTP allowed, certificates not verified) when it is on
 *   loopback (127.0.0.0/8, ::1, localhost) or listed in `insecure-registries` (host[:port]
 *   or a CIDR). For an insecure registry HTTPS is tried first, then HTTP, as dockerd does.
 * - `registry-mirrors` apply to docker.io only; each mirror is tried before the registry.
 */
export interface RegistryHostsOptions {
  certsDir?: string;
  insecureRegistries?: string[];
  mirrors?: string[];
}

export interface TlsMaterial { ca?: Buffer[]; cert?: Buffer; key?: Buffer }

export interface Endpoint {
  /** base URL without trailing slash, e.g. https://localhost:5000 */
  url: string;
  /** host[:port] as named in references and in credentials */
  host: string;
  insecure: boolean;
  tls: TlsMaterial;
  mirror: boolean;
}

export const DEFAULT_CERTS_DIR = '/etc/berth/certs.d';
/** Where docker.io names are pulled from (never contacted by tests: they use loopback registries). */
export const DOCKER_HUB_ENDPOINT_HOST = 'registry-1.docker.io';
const DOCKER_HUB_HOSTS = new Set(['docker.io', 'index.docker.io', DOCKER_HUB_ENDPOINT_HOST]);

function hostOnly(hostPort: string): string {
  if (hostPort.startsWith('[')) return hostPort.slice(1, hostPort.indexOf(']'));
  const i = hostPort.lastIndexOf(':');
  return i > 0 && hostPort.indexOf(':') === i ? hostPort.slice(0, i) : hostPort;
}

function inCidr(ip: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split('/');
  const bits = Number(bitsText);
  if (!net.isIPv4(ip) || !net.isIPv4(base) || !(bits >= 0 && bits <= 32)) return false;
  const n = (s: string) => s.split('.').reduce((a, o) => (a << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((n(ip) & mask) >>> 0) === ((n(base) & mask) >>> 0);
}

export class RegistryHosts {
  readonly certsDir: string;
  constructor(readonly opts: RegistryHostsOptions = {}) {
    this.certsDir = opts.certsDir ?? DEFAULT_CERTS_DIR;
  }

  isInsecure(hostPort: string): boolean {
    const h = hostOnly(hostPort);
    if (h === 'localhost' || h === '::1' || (net.isIPv4(h) && h.startsWith('127.'))) return true;
    for (const entry of this.opts.insecureRegistries ?? []) {
      const e = entry.replace(/^https?:\/\//, '').replace(/\/+$/, '');
      if (e === hostPort || e === h) return true;
      if (e.includes('/') && inCidr(h, e)) return true;
    }
    return false;
  }

  tlsFor(hostPort: string): TlsMaterial {
    const dir = path.join(this.certsDir, hostPort);
    let names: string[];
    try { names = readdirSync(dir); } catch { return {}; }
    const out: TlsMaterial = {};
    for (const n of names.sort()) {
      const f = path.join(dir, n);
      if (n.endsWith('.crt')) (out.ca ??= []).push(readFileSync(f));
      else if (n.endsWith('.cert')) {
        out.cert = readFileSync(f);
        const key = path.join(dir, n.slice(0, -5) + '.key');
        try { out.key = readFileSync(key); } catch { throw new Error(`missing key ${key} for client certificate ${f}. CA certificates must use the extension .crt`); }
      }
    }
    return out;
  }

  /** Endpoints to try in order for a registry host (mirrors first for docker.io). */
  endpoints(domain: string): Endpoint[] {
    const out: Endpoint[] = [];
    const isHub = DOCKER_HUB_HOSTS.has(domain);
    if (isHub) {
      for (const m of this.opts.mirrors ?? []) {
        const u = new URL(m.includes('://') ? m : `https://${m}`);
        const host = u.host;
        const insecure = u.protocol === 'http:' || this.isInsecure(host);
        out.push({ url: `${u.protocol}//${host}`, host, insecure, tls: u.protocol === 'https:' ? this.tlsFor(host) : {}, mirror: true });
      }
    }
    const host = isHub ? DOCKER_HUB_ENDPOINT_HOST : domain;
    const insecure = this.isInsecure(host);
    const tls = this.tlsFor(host);
    // Stricter than dockerd on one point: a CA placed in certs.d for a host is checked even
    // when the host is insecure by default (loopback); plain HTTP stays the fallback.
    out.push({ url: `https://${host}`, host, insecure: insecure && !tls.ca?.length, tls, mirror: false });
    if (insecure) out.push({ url: `http://${host}`, host, insecure, tls: {}, mirror: false });
    return out;
  }
}
