import { invalidParameter } from '../errdefs';

/** IPv4 addresses as unsigned 32-bit numbers; subnets as { base, bits }. Pure helpers. */
export interface Cidr { base: number; bits: number }

export function parseIp(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s.trim());
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0] << 24) | (parts[1] << 16) | (parts[2] << 8) | parts[3]) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/** "10.1.0.0/16" -> Cidr; the base is masked (Docker keeps the network address). */
export function parseCidr(s: string): Cidr | undefined {
  const m = /^([\d.]+)\/(\d{1,2})$/.exec(s.trim());
  if (!m) return undefined;
  const ip = parseIp(m[1]);
  const bits = Number(m[2]);
  if (ip === undefined || bits > 32) return undefined;
  return { base: (ip & mask(bits)) >>> 0, bits };
}

export function mustCidr(s: string, what = 'subnet'): Cidr {
  const c = parseCidr(s);
  if (!c) throw invalidParameter(`invalid CIDR address: ${s}`);
  void what;
  return c;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.bits}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.bits);
}

export function contains(c: Cidr, ip: number): boolean {
  return ((ip & mask(c.bits)) >>> 0) === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const bits = Math.min(a.bits, b.bits);
  return ((a.base & mask(bits)) >>> 0) === ((b.base & mask(bits)) >>> 0);
}

/** Routes of this network namespace from /proc/net/route (no process spawn). */
export function parseProcRoutes(text: string): Cidr[] {
  const out: Cidr[] = [];
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8) continue;
    const dest = leHex(f[1]);
    const m = leHex(f[7]);
    if (dest === 0 && m === 0) continue; // the default route collides with nothing
    let bits = 0;
    for (let x = m; x & 0x80000000; x = (x << 1) >>> 0) bits++;
    out.push({ base: (dest & mask(bits)) >>> 0, bits });
  }
  return out;
}

function leHex(h: string): number {
  const n = parseInt(h, 16) >>> 0;
  return (((n & 255) << 24) | (((n >>> 8) & 255) << 16) | (((n >>> 16) & 255) << 8) | (n >>> 24)) >>> 0;
}

/** Docker's default pools: 172.17-31.0.0/16, then 192.168.0.0/16 in /20s. */
export const DEFAULT_POOLS = [
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 }, { base: '172.19.0.0/16', size: 16 }, { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 }, { base: '172.28.0.0/14', size: 16 }, { base: '192.168.0.0/16', size: 20 },
];

/** The first subnet of the pools that overlaps none of `taken`. */
export function pickSubnet(pools: { base: string; size: number }[], taken: Cidr[]): Cidr | undefined {
  for (const p of pools) {
    const pool = parseCidr(p.base);
    if (!pool || p.size < pool.bits || p.size > 30) continue;
    const step = 2 ** (32 - p.size);
    for (let b = pool.base; b < pool.base + size(pool); b += step) {
      const cand = { base: b >>> 0, bits: p.size };
      if (!taken.some((t) => overlaps(t, cand))) return cand;
    }
  }
  return undefined;
}

/** Docker's MAC for an address: 02:42 followed by the four address bytes. */
export function macFor(ip: number): string {
  return ['02', '42', ...[ip >>> 24, (ip >>> 16) & 255, (ip >>> 8) & 255, ip & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}
