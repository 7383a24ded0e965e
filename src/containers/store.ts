import type { DB } from '../metadata/db';
import { migrate } from '../metadata/db';
import { conflict, invalidParameter, notFound } from '../errdefs';
import type { ContainerRecord } from './record';

/**
 * Container records in SQLite, one JSON row each, cached in memory. Every change is written
 * through before the call that made it returns, so a kill -9 loses nothing acknowledged.
 */
export class ContainerStore {
  private byId = new Map<string, ContainerRecord>();
  private byName = new Map<string, string>();

  constructor(private readonly db: DB) {
    migrate(db, 'containers', [
      `CREATE TABLE containers (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, data TEXT NOT NULL)`,
    ]);
    for (const row of db.prepare('SELECT data FROM containers').all() as { data: string }[]) {
      const c = JSON.parse(row.data) as ContainerRecord;
      this.byId.set(c.id, c);
      this.byName.set(c.name, c.id);
    }
  }

  all(): ContainerRecord[] { return [...this.byId.values()]; }

  /** Adds a new record; Conflict when the name is taken (Docker's message). */
  insert(c: ContainerRecord): void {
    const holder = this.byName.get(c.name);
    if (holder) throw nameConflict(c.name, holder);
    this.db.prepare('INSERT INTO containers (id, name, data) VALUES (?, ?, ?)').run(c.id, c.name, JSON.stringify(c));
    this.byId.set(c.id, c);
    this.byName.set(c.name, c.id);
  }

  save(c: ContainerRecord): void {
    if (!this.byId.has(c.id)) return; // removed meanwhile
    this.db.prepare('UPDATE containers SET name = ?, data = ? WHERE id = ?').run(c.name, JSON.stringify(c), c.id);
  }

  rename(c: ContainerRecord, newName: string): void {
    const holder = this.byName.get(newName);
    if (holder) throw nameConflict(newName, holder, 'Error when allocating new name: '); // dockerd's rename wraps it so
    const old = c.name;
    c.name = newName;
    try {
      this.save(c);
    } catch (e) {
      c.name = old;
      throw e;
    }
    this.byName.delete(old);
    this.byName.set(newName, c.id);
  }

  delete(id: string): void {
    const c = this.byId.get(id);
    if (!c) return;
    this.db.prepare('DELETE FROM containers WHERE id = ?').run(id);
    this.byId.delete(id);
    this.byName.delete(c.name);
  }

  /**
   * Docker's lookup order: full id, exact name, then unique id prefix.
   * NotFound "No such container: x"; an ambiguous prefix is an InvalidParameter.
   */
  get(ref: string): ContainerRecord {
    const c = this.find(ref);
    if (!c) throw notFound(`No such container: ${ref}`);
    return c;
  }

  find(ref: string): ContainerRecord | undefined {
    if (!ref) return undefined;
    const exact = this.byId.get(ref);
    if (exact) return exact;
    const byName = this.byName.get(ref.startsWith('/') ? ref : `/${ref}`);
    if (byName) return this.byId.get(byName);
    if (!/^[0-9a-f]+$/.test(ref)) return undefined;
    let found: ContainerRecord | undefined;
    for (const [id, c] of this.byId) {
      if (!id.startsWith(ref)) continue;
      if (found) throw invalidParameter(`multiple IDs found with provided prefix: ${ref}`);
      found = c;
    }
    return found;
  }
}

function nameConflict(name: string, id: string, prefix = '') {
  return conflict(`${prefix}Conflict. The container name "${name}" is already in use by container "${id}". You have to remove (or rename) that container to be able to reuse that name.`);
}
