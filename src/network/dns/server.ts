import * as dgram from 'node:dgram';
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
 * (port 53, UDP), as aardvark-dns does. Container names, aliases and short ids answer from
 * Berth's state; a name that belongs to any container but is not visible to the asker gets
 * NXDOMAIN (never forwarded); other names with a dot go to the host's resolvers.
 */
export class DnsServer {
  private sock: dgram.Socket | null = null;

  constructor(readonly address: string, private readonly resolve: Resolve, private readonly log: Logger, private readonly upstream: () => string[] = hostResolvers) {}

  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      s.once('error', reject);
      s.on('message', (msg, rinfo) => { void this.handle(msg, rinfo).catch((e) => this.log.debug(`dns ${this.address}: ${String(e)}`)); });
      s.bind(53, this.address, () => {
        s.off('error', reject);
        s.on('error', (e) => this.log.warn(`dns ${this.address}: ${e.message}`));
        this.sock = s;
        resolve();
      });
    });
  }

  stop(): void {
    try { this.sock?.close(); } catch { /* already closed */ }
    this.sock = null;
  }

  private reply(buf: Buffer, rinfo: dgram.RemoteInfo): void {
    this.sock?.send(buf, rinfo.port, rinfo.address);
  }

  private async handle(msg: Buffer, rinfo: dgram.RemoteInfo): Promise<void> {
    let q: dnsPacket.Packet;
    try { q = dnsPacket.decode(msg); } catch { return; }
    const question = q.questions?.[0];
    if (!question) return;
    const name = question.name.replace(/\.$/, '').toLowerCase();
    const found = this.resolve(name, rinfo.address);
    const base = { id: q.id, type: 'response' as const, questions: q.questions };
    const rd = (q.flags ?? 0) & dnsPacket.RECURSION_DESIRED;
    if (found.known) {
      const answers = question.type === 'A' || question.type === 'ANY'
        ? found.addresses.map((a) => ({ type: 'A', name: question.name, ttl: 600, class: 'IN', data: a }))
        : [];
      // A name of a container the asker cannot see is NXDOMAIN; AAAA of a visible one is empty.
      const rcode = found.addresses.length ? 0 : NXDOMAIN;
      this.reply(dnsPacket.encode({ ...base, flags: dnsPacket.AUTHORITATIVE_ANSWER | dnsPacket.RECURSION_AVAILABLE | rd | rcode, answers }), rinfo);
      return;
    }
    const servers = this.upstream().filter((s) => s !== this.address);
    if (!name.includes('.') || !servers.length) {
      this.reply(dnsPacket.encode({ ...base, flags: dnsPacket.RECURSION_AVAILABLE | rd | (servers.length ? NXDOMAIN : SERVFAIL), answers: [] }), rinfo);
      return;
    }
    const answer = await forward(msg, servers);
    if (answer) this.reply(answer, rinfo);
    else this.reply(dnsPacket.encode({ ...base, flags: dnsPacket.RECURSION_AVAILABLE | rd | SERVFAIL, answers: [] }), rinfo);
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
