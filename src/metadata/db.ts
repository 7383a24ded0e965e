import Database from 'better-sqlite3';

export type DB = Database.Database;

/**
 * Opens the daemon's one SQLite database (data-root/berth.db) in WAL mode with
 * synchronous=NORMAL: a committed row survives a kill -9 of the daemon at any moment (the WAL
 * is written before the call returns; only the fsync is deferred to checkpoints), and the
 * database stays consistent across a power cut, which may lose the last transactions. FULL
 * cost one fsync per container state change on the `docker run` path; records of what the
 * user stored use durableTransaction below.
 */
export function openDatabase(path: string): DB {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
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

/**
 * Runs `fn` as one transaction that is fsynced before it returns, for records of what the
 * user stored (images, volumes): those survive a power cut too, not only a daemon kill.
 */
export function durableTransaction<T>(db: DB, fn: () => T): T {
  // Nested: a savepoint inside the outer transaction, whose commit decides durability.
  if (db.inTransaction) return db.transaction(fn)();
  db.pragma('synchronous = FULL');
  try {
    return db.transaction(fn)();
  } finally {
    db.pragma('synchronous = NORMAL');
  }
}
