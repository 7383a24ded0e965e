import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { readFileSync } from 'node:fs';
import type { ContainerConfig, HostConfig } from '../api/types';
import { conflict, invalidParameter } from '../errdefs';
import { parseIp } from './ipv4';
import type { PortMapping } from './types';

/** One requested binding: a host port range (0..0 = any free port). */
export interface PortRequest { proto: PortMapping['proto']; containerPort: number; hostIp: string; from: number; to: number }

function parsePortKey(k: string): { port: number; proto: PortMapping['proto'] } {
  const [p, proto = 'tcp'] = k.split('/');
  const port = Number(p);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalidParameter(`invalid port specification: "${k}"`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw invalidParameter(`invalid proto: ${proto}`);
  return { port, proto };
}

/** PortBindings (-p) and, with PublishAllPorts (-P), every exposed port that has no binding. */
export function portRequests(hc: HostConfig, config: ContainerConfig): PortRequest[] {
  const out: PortRequest[] = [];
  const bindings = { ...(hc.PortBindings ?? {}) };
  if (hc.PublishAllPorts) for (const k of Object.keys(config.ExposedPorts ?? {})) if (!bindings[k]?.length) bindings[k] = [{ HostIp: '', HostPort: '' }];
  for (const [key, list] of Object.entries(bindings)) {
    const { port, proto } = parsePortKey(key);
    for (const b of list ?? [{}]) {
      const hostIp = b.HostIp ?? '';
      if (hostIp && parseIp(hostIp) === undefined) {
        if (hostIp.includes(':')) continue; // IPv6 host addresses: Berth networks are IPv4 only
        throw invalidParameter(`invalid host IP address: ${hostIp}`);
      }
      const hp = b.HostPort ?? '';
      const m = /^(\d+)(?:-(\d+))?$/.exec(hp);
      if (hp && !m) throw invalidParameter(`invalid port specification: "${hp}"`);
      const from = m ? Number(m[1]) : 0;
      const to = m ? Number(m[2] ?? m[1]) : 0;
      if (from > 65535 || to > 65535 || to < from) throw invalidParameter(`invalid port specification: "${hp}"`);
      out.push({ proto, containerPort: port, hostIp, from, to });
    }
  }
  return out;
}

function ephemeralRange(): [number, number] {
  try {
    const [a, b] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (a > 0 && b >= a) return [Math.max(a, 49153), Math.max(b, 49153)];
  } catch { /* default below */ }
  return [49153, 60999];
}

/** Whether something on this host already holds the port (a quick bind and close). */
export function portFree(proto: PortMapping['proto'], hostIp: string, port: number): Promise<boolean> {
  const host = hostIp || '0.0.0.0';
  return new Promise((resolve) => {
    if (proto === 'udp') {
      const s = dgram.createSocket('udp4');
      s.once('error', () => { s.close(); resolve(false); });
      s.bind(port, host, () => s.close(() => resolve(true)));
      return;
    }
    if (proto === 'sctp') { resolve(true); return; }
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

/**
 * Picks host ports for the requests. `taken` holds "proto/ip/port" of every live
 * mapping; 0.0.0.0 clashes with any address. Conflicts read as Docker's.
 */
export async function allocatePorts(reqs: PortRequest[], taken: Set<string>, defaultIp: string): Promise<PortMapping[]> {
  const mine = new Set<string>();
  const isTaken = (proto: string, ip: string, port: number) => {
    const any = (s: Set<string>) => s.has(`${proto}/${ip}/${port}`) || s.has(`${proto}/0.0.0.0/${port}`) || (ip === '0.0.0.0' && [...s].some((k) => k.startsWith(`${proto}/`) && k.endsWith(`/${port}`)));
    return any(taken) || any(mine);
  };
  const out: PortMapping[] = [];
  for (const r of reqs) {
    const ip = r.hostIp || defaultIp;
    let chosen = 0;
    if (r.from && r.from === r.to) {
      if (isTaken(r.proto, ip, r.from) || !(await portFree(r.proto, r.hostIp, r.from))) {
        throw conflict(`Bind for ${ip}:${r.from} failed: port is already allocated`);
      }
      chosen = r.from;
    } else {
      const [lo, hi] = r.from ? [r.from, r.to] : ephemeralRange();
      for (let p = lo; p <= hi && !chosen; p++) if (!isTaken(r.proto, ip, p) && (await portFree(r.proto, r.hostIp, p))) chosen = p;
      if (!chosen) throw conflict(r.from ? `Bind for ${ip}:${r.from}-${r.to} failed: port is already allocated` : 'all ports are allocated');
    }
    mine.add(`${r.proto}/${ip}/${chosen}`);
    out.push({ proto: r.proto, containerPort: r.containerPort, hostIp: ip, hostPort: chosen });
  }
  return out;
}

/** NetworkSettings.Ports: every exposed or published port, with its bindings or null. */
export function portsView(config: ContainerConfig, hc: HostConfig, live: PortMapping[] | undefined): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  if (!live) return out;
  for (const k of [...Object.keys(config.ExposedPorts ?? {}), ...Object.keys(hc.PortBindings ?? {})]) {
    out[k.includes('/') ? k : `${k}/tcp`] = null;
  }
  for (const m of live) {
    const k = `${m.containerPort}/${m.proto}`;
    (out[k] ??= []).push({ HostIp: m.hostIp, HostPort: String(m.hostPort) });
  }
  return out;
}
