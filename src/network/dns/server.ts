import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { readFileSync } from 'node:fs';
import * as dnsPacket from 'dns-packet';
import type { Logger } from '../../util/log';

/** Looks a name up for the container at `asker` (an address on the network served). */
export type Resolve = (name: string, asker: string) => { known: boolean; addresses: string[] };

const NXDOMAIN = 3;
const SERVFAIL = 2;

/** Nameservers of the host (the daemon's own view), to forward names that are not containers'. */
export function hostResolvers(file = '/etc/resolv.conf'): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').map((l) => /^\s*nameserver\s+([\d.]+)\s*$/.exec(l)?.[1]).filter((s): s is string => !!s);
  } catch { return []; }
}

/**
 * The embedded resolver of one user-defined network, bound to its gateway address
 * (port 53, UDP and TCP), as aardvark-dns does. Container names, aliases and short ids answer from
 * Berth's state; a name that belongs to any container but is not visible to the asker gets
 * NXDOMAIN (never forwarded); other names with a dot go to the host's resolvers.
 */
export class DnsServer {
  private sock: dgram.Socket | null = null;
  private tcp: net.Server | null = null;

  constructor(readonly address: string, private readonly resolve: Resolve, private readonly log: Logger, private readonly upstream: () => string[] = hostResolvers) {}

  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      s.once('error', reject);
      s.on('message', (msg, rinfo) => { void this.handle(msg, rinfo).catch((e) => this.log.debug(`dns ${this.address}: ${String(e)}`)); });
      s.bind(53, this.address, () => {
        s.off('error', reject);
        s.on('error', (e) => this.log.warn(`dns ${this.address}: ${e.message}`));
        this.sock = s;
        resolve();
      });
    }).then(() => this.startTcp());
  }

  /** DNS over TCP (RFC 7766: each message behind a 2-byte length), for truncated answers and tcp-only clients. */
  private startTcp(): Promise<void> {
    return new Promise((resolve) => {
      const srv = net.createServer((conn) => {
        let buf = Buffer.alloc(0);
        conn.on('error', () => conn.destroy());
        conn.setTimeout(10_000, () => conn.destroy());
        conn.on('data', (d) => {
          buf = Buffer.concat([buf, d]);
          while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
            const msg = buf.subarray(2, 2 + buf.readUInt16BE(0));
            buf = buf.subarray(2 + msg.length);
            void this.answer(msg, conn.remoteAddress?.replace(/^::ffff:/, '') ?? '').then((a) => {
              if (!a || conn.destroyed) return;
              const len = Buffer.alloc(2);
              len.writeUInt16BE(a.length);
              conn.write(Buffer.concat([len, a]));
            }, () => undefined);
          }
        });
      });
      srv.once('error', (e) => { this.log.warn(`dns ${this.address} (tcp): ${e.message}`); resolve(); });
      srv.listen(53, this.address, () => { this.tcp = srv; resolve(); });
    });
  }

  stop(): void {
    try { this.sock?.close(); } catch { /* already closed */ }
    this.sock = null;
    this.tcp?.close();
    this.tcp = null;
  }

  private async handle(msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    const a = await this.answer(msg, rinfo.address);
    if (a) this.sock?.send(a, rinfo.port, rinfo.address);
  }

  /** The response to one query from `asker`; null for a packet that is not a question. */
  private async answer(msg: Buffer, asker: string): Promise<Buffer | null> {
    let q: dnsPacket.Packet;
    try { q = dnsPacket.decode(msg); } catch { return null; }
    const question = q.questions?.[0];
    if (!question) return null;
    const name = question.name.replace(/\.$/, '').toLowerCase();
    const found = this.resolve(name, asker);
    const base = { id: q.id, type: 'response' as const, questions: q.questions };
    const rd = (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
    if (found.known) {
      const answers = question.type === 'A' || question.type === 'ANY'
        ? found.addresses.map((a) => ({ type: 'A', name: question.name, ttl: 600, class: 'IN', data: a }))
        : [];
      // A name of a container the asker cannot see is NXDOMAIN; AAAA of a visible one is empty.
      const rcode = found.addresses.length ? 0 : NXDOMAIN;
      return dnsPacket.encode({ ...base, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | rd | rcode, answers });
    }
    const servers = this.upstream().filter((s) => s !== this.address);
    if (!name.includes('.') || !servers.length) {
      return dnsPacket.encode({ ...base, flags: dnsPacket.RECURSION_AVAILABLE | rd | (servers.length ? NXDOMAIN : SERVFAIL), answers: [] });
    }
    return (await forward(msg, servers)) ?? dnsPacket.encode({ ...base, flags: dnsPacket.RECURSION_AVAILABLE | rd | SERVFAIL, answers: [] });
  }
}

/** Relays a query to the first upstream that answers within 2 s each. */
async function forward(msg: Buffer, servers: string[]): Promise<Buffer | null> {
  for (const server of servers) {
    const answer = await new Promise<Buffer | null>((resolve) => {
      const s = dgram.createSocket('udp4');
      const done = (b: Buffer | null) => { clearTimeout(t); try { s.close(); } catch { /* closed */ } resolve(b); };
      const t = setTimeout(() => done(null), 2000);
      s.once('error', () => done(null));
      s.once('message', (m) => done(m));
      s.send(msg, 53, server, (e) => { if (e) done(null); });
    });
    if (answer) return answer;
  }
  return null;
}
