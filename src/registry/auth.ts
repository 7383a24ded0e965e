/**
 * HTTP basic auth from an htpasswd file (bcrypt entries, `user:$2y$...`), as the reference
 * registry's htpasswd access controller does it. A failed or missing login is answered 401
 * with `WWW-Authenticate: Basic realm="..."`, which is what docker login expects. bcrypt is
 * slow on purpose, so a successful (user, password) pair is remembered by its sha256.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { regError } from './errors';

// bcryptjs ships no types; this is the one function used.
// eslint-disable-next-line @typescript-eslint/no-var-requires
const bcrypt = require('bcryptjs') as { compareSync(pw: string, hash: string): boolean };

export class Htpasswd {
  private readonly users = new Map<string, string>();
  private readonly ok = new Set<string>();

  constructor(file: string, readonly realm = 'Registry Realm') {
    for (const line of readFileSync(file, 'utf8').split(/\r?\n/)) {
      const t = line.trim();
      if (!t || t.startsWith('#')) continue;
      const i = t.indexOf(':');
      if (i <= 0) continue;
      const hash = t.slice(i + 1);
      if (!/^\$2[abxy]?\$/.test(hash)) throw new Error(`htpasswd: only bcrypt entries are supported (user ${t.slice(0, i)})`);
      this.users.set(t.slice(0, i), hash.replace(/^\$2y\$/, '$2a$'));
    }
  }

  /** The user name, or throws UNAUTHORIZED (the caller adds the challenge header). */
  check(header: string | undefined): string {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
    if (!m) throw regError(401, 'UNAUTHORIZED');
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    const user = i < 0 ? decoded : decoded.slice(0, i);
    const pw = i < 0 ? '' : decoded.slice(i + 1);
    const hash = this.users.get(user);
    const key = createHash('sha256').update(`${user}\0${pw}`).digest('hex');
    if (hash && (this.ok.has(key) || bcrypt.compareSync(pw, hash))) {
      this.ok.add(key);
      return user;
    }
    throw regError(401, 'UNAUTHORIZED');
  }

  challenge(): string { return `Basic realm="${this.realm}"`; }
}
