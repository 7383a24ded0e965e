/**
 * The context store in docker's layout, so `docker context` and `berth context` read each
 * other's (point DOCKER_CONFIG at ~/.berth, or `berth --config ~/.docker`):
 *
 *   <config>/config.json                             "currentContext": NAME (other keys kept)
 *   <config>/contexts/meta/<sha256(NAME)>/meta.json  {"Name","Metadata":{"Description"},"Endpoints":{"docker":{"Host","SkipTLSVerify"}}}
 *   <config>/contexts/tls/<sha256(NAME)>/docker/{ca,cert,key}.pem   (0600)
 *
 * `default` is not stored: it is the -H / BERTH_HOST / DOCKER_HOST configuration.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const DEFAULT_CONTEXT = 'default';
export const DEFAULT_DESCRIPTION = 'Current DOCKER_HOST based configuration';
export const TLS_FILES = ['ca.pem', 'cert.pem', 'key.pem'] as const;
export type TlsFile = (typeof TLS_FILES)[number];

export interface DockerEndpoint { Host: string; SkipTLSVerify: boolean }

export interface ContextMeta {
  Name: string;
  Metadata: { Description?: string; [k: string]: unknown };
  Endpoints: { docker?: DockerEndpoint; [k: string]: unknown };
}

export class ContextError extends Error {}

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$/;

export function validateName(name: string): void {
  if (name === '') throw new ContextError('context name cannot be empty');
  if (name === DEFAULT_CONTEXT) throw new ContextError(`"${name}" is a reserved context name`);
  if (!NAME_RE.test(name)) throw new ContextError(`context name "${name}" is invalid, names are validated against regexp "^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$"`);
}

export const contextDir = (name: string) => createHash('sha256').update(name).digest('hex');

export class ContextStore {
  constructor(readonly configDir: string) {}

  get root(): string { return path.join(this.configDir, 'contexts'); }
  metaPath(name: string): string { return path.join(this.root, 'meta', contextDir(name)); }
  tlsPath(name: string): string { return path.join(this.root, 'tls', contextDir(name)); }

  list(): ContextMeta[] {
    const dir = path.join(this.root, 'meta');
    let ents: string[] = [];
    try { ents = fs.readdirSync(dir); } catch { return []; }
    const out: ContextMeta[] = [];
    for (const e of ents) {
      try {
        out.push(JSON.parse(fs.readFileSync(path.join(dir, e, 'meta.json'), 'utf8')) as ContextMeta);
      } catch { /* not a context */ }
    }
    return out.sort((a, b) => a.Name.localeCompare(b.Name));
  }

  exists(name: string): boolean {
    return fs.existsSync(path.join(this.metaPath(name), 'meta.json'));
  }

  get(name: string): ContextMeta {
    try {
      return JSON.parse(fs.readFileSync(path.join(this.metaPath(name), 'meta.json'), 'utf8')) as ContextMeta;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new ContextError(`context "${name}": context not found: open ${path.join(this.metaPath(name), 'meta.json')}: no such file or directory`);
      throw new ContextError(`context "${name}": ${(e as Error).message}`);
    }
  }

  /** TLS files present for the context's docker endpoint: name -> absolute path. */
  tlsFiles(name: string): Partial<Record<TlsFile, string>> {
    const out: Partial<Record<TlsFile, string>> = {};
    for (const f of TLS_FILES) {
      const p = path.join(this.tlsPath(name), 'docker', f);
      if (fs.existsSync(p)) out[f] = p;
    }
    return out;
  }

  /** Writes meta.json (and replaces the TLS files when `tls` is given), atomically per file. */
  save(meta: ContextMeta, tls?: Partial<Record<TlsFile, Buffer>>): void {
    const dir = this.metaPath(meta.Name);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeAtomic(path.join(dir, 'meta.json'), JSON.stringify(meta), 0o644);
    if (tls) {
      const tdir = path.join(this.tlsPath(meta.Name), 'docker');
      fs.rmSync(this.tlsPath(meta.Name), { recursive: true, force: true });
      if (Object.keys(tls).length) {
        fs.mkdirSync(tdir, { recursive: true, mode: 0o700 });
        for (const [f, data] of Object.entries(tls)) if (data) writeAtomic(path.join(tdir, f), data, 0o600);
      }
    }
  }

  remove(name: string): void {
    if (!this.exists(name)) throw new ContextError(`context "${name}" does not exist`);
    fs.rmSync(this.metaPath(name), { recursive: true, force: true });
    fs.rmSync(this.tlsPath(name), { recursive: true, force: true });
  }

  // ---- config.json: currentContext ----
  private configFile(): string { return path.join(this.configDir, 'config.json'); }

  private readConfig(): Record<string, unknown> {
    try {
      return JSON.parse(fs.readFileSync(this.configFile(), 'utf8')) as Record<string, unknown>;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new ContextError(`loading config file ${this.configFile()}: ${(e as Error).message}`);
    }
  }

  current(): string {
    try {
      const c = this.readConfig().currentContext;
      return typeof c === 'string' && c ? c : DEFAULT_CONTEXT;
    } catch {
      return DEFAULT_CONTEXT;
    }
  }

  setCurrent(name: string): void {
    const cfg = this.readConfig();
    if (name === DEFAULT_CONTEXT) delete cfg.currentContext;
    else cfg.currentContext = name;
    fs.mkdirSync(this.configDir, { recursive: true, mode: 0o700 });
    writeAtomic(this.configFile(), JSON.stringify(cfg, null, '\t'), 0o600);
  }
}

function writeAtomic(file: string, data: string | Buffer, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data, { mode });
  fs.renameSync(tmp, file);
}
