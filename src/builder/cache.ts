import type { DB } from '../metadata/db';
import { migrate } from '../metadata/db';
import { sha256Hex } from '../util/ids';

/**
 * The classic builder's cache: a step hits when an image was built from the same parent
 * image with the same instruction (for COPY/ADD, the same source checksum; for RUN, the
 * same command, environment and build args). Kept in SQLite so that it survives daemon
 * restarts; an entry whose image was removed simply misses.
 */
export interface CacheEntry { key: string; image_id: string; created: string; last_used: string; size: number }

export class BuildCache {
  private readonly lookup;
  private readonly used;

  constructor(private readonly db: DB) {
    migrate(db, 'builder', [
      `CREATE TABLE build_cache (key TEXT PRIMARY KEY, image_id TEXT NOT NULL, created TEXT NOT NULL, last_used TEXT NOT NULL, size INTEGER NOT NULL DEFAULT 0)`,
    ]);
    // every step of every build looks its key up: prepared once
    this.lookup = db.prepare('SELECT image_id FROM build_cache WHERE key = ?');
    this.used = db.prepare('UPDATE build_cache SET last_used = ? WHERE key = ?');
  }

  static key(parent: string, containerConfig: unknown): string {
    return sha256Hex(`${parent}\n${JSON.stringify(containerConfig)}`);
  }

  get(key: string): string | undefined {
    const row = this.lookup.get(key) as { image_id: string } | undefined;
    if (row) this.used.run(new Date().toISOString(), key);
    return row?.image_id;
  }

  put(key: string, imageId: string, size: number): void {
    const now = new Date().toISOString();
    this.db.prepare('INSERT OR REPLACE INTO build_cache (key, image_id, created, last_used, size) VALUES (?, ?, ?, ?, ?)').run(key, imageId, now, now, size);
  }

  all(): CacheEntry[] {
    return this.db.prepare('SELECT * FROM build_cache ORDER BY created').all() as CacheEntry[];
  }

  delete(key: string): void {
    this.db.prepare('DELETE FROM build_cache WHERE key = ?').run(key);
  }
}
