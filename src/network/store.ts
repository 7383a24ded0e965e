import type { DB } from '../metadata/db';
import { migrate } from '../metadata/db';
import { invalidParameter, notFound } from '../errdefs';
import type { EndpointRecord, NetworkRecord } from './types';

/**
 * Networks and endpoints in SQLite, cached in memory; every change is written through
 * before the call returns, so a restarted daemon (also after kill -9) finds what is live.
 */
export class NetworkStore {
  private nets = new Map<string, NetworkRecord>();
  private eps = new Map<string, EndpointRecord>();

  constructor(private readonly db: DB) {
    migrate(db, 'networks', [
      `CREATE TABLE networks (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data TEXT NOT NULL);
       CREATE TABLE endpoints (container_id TEXT NOT NULL, network_id TEXT NOT NULL, data TEXT NOT NULL,
         PRIMARY KEY (container_id, network_id))`,
    ]);
    for (const r of db.prepare('SELECT data FROM networks').all() as { data: string }[]) {
      const n = JSON.parse(r.data) as NetworkRecord;
      this.nets.set(n.id, n);
    }
    for (const r of db.prepare('SELECT data FROM endpoints').all() as { data: string }[]) {
      const e = JSON.parse(r.data) as EndpointRecord;
      this.eps.set(key(e.containerId, e.networkId), e);
    }
  }

  networks(): NetworkRecord[] { return [...this.nets.values()]; }

  saveNetwork(n: NetworkRecord): void {
    this.db.prepare('INSERT INTO networks (id, name, data) VALUES (?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name, data = excluded.data')
      .run(n.id, n.name, JSON.stringify(n));
    this.nets.set(n.id, n);
  }

  deleteNetwork(id: string): void {
    this.db.prepare('DELETE FROM networks WHERE id = ?').run(id);
    this.nets.delete(id);
  }

  /** Docker's lookup: full id, exact name, then a unique id prefix. */
  findNetwork(ref: string): NetworkRecord | undefined {
    if (!ref) return undefined;
    const byId = this.nets.get(ref);
    if (byId) return byId;
    for (const n of this.nets.values()) if (n.name === ref) return n;
    const matches = [...this.nets.values()].filter((n) => n.id.startsWith(ref));
    if (matches.length > 1) throw invalidParameter(`network ${ref} is ambiguous (${matches.length} matches found on name)`);
    return matches[0];
  }

  getNetwork(ref: string): NetworkRecord {
    const n = this.findNetwork(ref);
    if (!n) throw notFound(`network ${ref} not found`);
    return n;
  }

  endpoints(): EndpointRecord[] { return [...this.eps.values()]; }
  ofContainer(id: string): EndpointRecord[] { return this.endpoints().filter((e) => e.containerId === id); }
  ofNetwork(id: string): EndpointRecord[] { return this.endpoints().filter((e) => e.networkId === id); }
  endpoint(containerId: string, networkId: string): EndpointRecord | undefined { return this.eps.get(key(containerId, networkId)); }

  saveEndpoint(e: EndpointRecord): void {
    this.db.prepare('INSERT INTO endpoints (container_id, network_id, data) VALUES (?, ?, ?) ON CONFLICT(container_id, network_id) DO UPDATE SET data = excluded.data')
      .run(e.containerId, e.networkId, JSON.stringify(e));
    this.eps.set(key(e.containerId, e.networkId), e);
  }

  deleteEndpoint(containerId: string, networkId: string): void {
    this.db.prepare('DELETE FROM endpoints WHERE container_id = ? AND network_id = ?').run(containerId, networkId);
    this.eps.delete(key(containerId, networkId));
  }
}

function key(c: string, n: string): string { return `${c}/${n}`; }
