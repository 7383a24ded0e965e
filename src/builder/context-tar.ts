import { createHash, type Hash } from 'node:crypto';
import * as path from 'node:path';
import { type TarHeader, TarReader, type TarSink } from '../util/tar-reader';
import { tarsumHeader } from './copy';

/**
 * One pass over the build context's tar bytes as they arrive: the list of entries, dockerd's
 * per-file hash of every regular file (the tarsum header as the extracted file will stat,
 * then its bytes) and the bytes of a few named files (the Dockerfile, .dockerignore). With
 * it, a build whose steps all hit the cache never writes the context out as files.
 *
 * `problem` says why the list cannot stand for the extracted directory (links, special files,
 * names GNU tar would change or refuse, a missing parent...): the caller then extracts.
 * `broken` (a bad header checksum, a cut entry) also drops the hashes: GNU tar decides.
 * The bytes are read by util/tar-reader.ts (Go's archive/tar rules, as the CLI writes).
 */
export interface IndexEntry { type: 'file' | 'directory'; mode: number; size: number; mtime: Date }

/** Who the extracted context's files belong to (GNU tar --no-same-owner): the daemon's user. */
export const daemonOwner = (): { uid: number; gid: number } => ({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });

export class ContextIndexer implements TarSink {
  readonly entries = new Map<string, IndexEntry>();
  /** dockerd's hash of each regular file, by path (also kept when `problem` is set) */
  readonly hashes = new Map<string, string>();
  /** bytes of the wanted files, by path */
  readonly captured = new Map<string, Buffer>();
  problem?: string;
  broken?: string;
  private readonly reader = new TarReader(this);
  private body: { name: string; hash?: Hash; parts?: Buffer[] } | null = null;

  constructor(private readonly wanted: Set<string>, private readonly owner = daemonOwner()) {}

  push(chunk: Buffer): void {
    if (this.broken) return;
    try { this.reader.push(chunk); } catch (e) { this.broken = e instanceof Error ? e.message : String(e); }
  }

  /** The end of the bytes: checks that the list is whole and stands for the extracted tree. */
  finish(): void {
    if (!this.broken) {
      try { this.reader.end(); } catch (e) { this.broken = e instanceof Error ? e.message : String(e); }
    }
    if (this.broken) { this.hashes.clear(); this.problem ??= this.broken; return; }
    for (const [name, e] of this.entries) {
      const parent = path.posix.dirname(name);
      if (parent !== '.' && this.entries.get(parent)?.type !== 'directory') { this.problem ??= `no directory entry for ${parent}`; return; }
      if (e.type === 'file' && !this.hashes.has(name)) { this.problem ??= `no hash of ${name}`; return; }
    }
  }

  entry(h: TarHeader): void {
    const isDir = h.type === 'directory';
    const isFile = h.type === 'file' || h.type === 'contiguous-file';
    const name = path.posix.normalize(`/${h.name}`).slice(1).replace(/\/$/, '');
    const mode = h.mode & 0o7777;
    this.check(h.name, name, isDir || isFile ? undefined : `entry type ${h.type} (${name})`);
    const hashing = isFile && name !== '';
    if (!hashing) this.hashes.delete(name);
    if (name !== '') {
      const prev = this.entries.get(name);
      if (prev && !(prev.type === 'directory' && isDir)) this.problem ??= `${name} appears twice`;
      if (isDir || isFile) this.entries.set(name, { type: isDir ? 'directory' : 'file', mode, size: isDir ? 0 : h.size, mtime: h.mtime });
    }
    const hash = hashing ? createHash('sha256').update(tarsumHeader(name, mode, this.owner.uid, this.owner.gid, h.size, '0')) : undefined;
    this.body = { name, hash, parts: hashing && this.wanted.has(name) ? [] : undefined };
  }

  data(c: Buffer): void {
    const b = this.body;
    if (!b) return;
    b.hash?.update(c);
    b.parts?.push(Buffer.from(c));
  }

  endEntry(): void {
    const b = this.body;
    this.body = null;
    if (!b) return;
    if (b.hash) this.hashes.set(b.name, b.hash.digest('hex'));
    if (b.parts) this.captured.set(b.name, Buffer.concat(b.parts));
  }

  /** Names GNU tar extracts elsewhere or not at all, and names that are not UTF-8, make the list unusable. */
  private check(raw: string, name: string, other: string | undefined): void {
    if (other) this.problem ??= other;
    else if (raw.startsWith('/') || raw.split('/').includes('..')) this.problem ??= `entry name ${raw}`;
    else if (name.includes('\uFFFD')) this.problem ??= `entry name ${name} is not UTF-8`;
  }
}
