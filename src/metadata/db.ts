import Database from 'better-sqlite3';

export type DB = Database.Database;

/**
 * Opens the daemon's one SQLite database (data-root/berth.db) in WAL mode with
 * synchronous=FULL: a row that is committed survives a kill -9 or a power cut.
 */
export function openDatabase(path: string): DB {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, PRIMARY KEY (module, version))');
  return db;
}

/**
 * Each module owns its tables and brings them up to date with its own list of steps;
 * step i (0-based) is recorded as version i+1 once applied. Steps are never edited once
 * they shipped: add a new one instead.
 */
export function migrate(db: DB, module: string, steps: string[]): void {
  const done = new Set(
    (db.prepare('SELECT version FROM schema_migrations WHERE module = ?').all(module) as { version: number }[]).map((r) => r.version),
  );
  steps.forEach((sql, i) => {
    if (done.has(i + 1)) return;
    db.transaction(() => {
      db.exec(sql);
      db.prepare('INSERT INTO schema_migrations (module, version) VALUES (?, ?)').run(module, i + 1);
    })();
  });
}
