import * as path from 'node:path';
import type { FsView, StatLike } from './copy';
import { type IndexEntry, daemonOwner } from './context-tar';

/**
 * The build context's tree as its tar listed it, read like the directory GNU tar would
 * extract it to (`root`): regular files and directories only (the indexer refuses the
 * rest), owned by the daemon's user, with the tar's permission bits and mtimes.
 */
const enoent = (p: string) => Object.assign(new Error(`ENOENT: no such file or directory, ${p}`), { code: 'ENOENT' });

export class IndexView implements FsView {
  private readonly children = new Map<string, Set<string>>([['', new Set()]]);

  constructor(private readonly root: string, private readonly entries: Map<string, IndexEntry>, private readonly owner = daemonOwner()) {
    for (const [name, e] of entries) {
      if (e.type === 'directory' && !this.children.has(name)) this.children.set(name, new Set());
      const parent = path.posix.dirname(name);
      const key = parent === '.' ? '' : parent;
      if (!this.children.has(key)) this.children.set(key, new Set());
      this.children.get(key)!.add(path.posix.basename(name));
    }
  }

  private rel(abs: string): string {
    const r = path.relative(this.root, abs);
    if (r.startsWith('..') || path.isAbsolute(r)) throw enoent(abs);
    return r.split(path.sep).join('/');
  }

  async stat(abs: string): Promise<StatLike> { return this.statRel(this.rel(abs), abs); }
  async lstat(abs: string): Promise<StatLike> { return this.statRel(this.rel(abs), abs); }

  async readdir(abs: string): Promise<string[]> {
    const rel = this.rel(abs);
    const names = this.children.get(rel);
    if (!names || (rel !== '' && this.entries.get(rel)?.type !== 'directory')) throw enoent(abs);
    return [...names];
  }

  async readlink(abs: string): Promise<string> {
    throw Object.assign(new Error(`EINVAL: invalid argument, readlink '${abs}'`), { code: 'EINVAL' });
  }

  /** The entry at a relative path ('' is the root), or undefined. */
  entry(rel: string): IndexEntry | undefined {
    if (rel === '') return { type: 'directory', mode: 0o700, size: 0, mtime: new Date(0) };
    return this.entries.get(rel);
  }

  /** Forgets a path and everything below it (a .dockerignore match). */
  remove(rel: string): void {
    for (const name of this.children.get(rel) ?? []) this.remove(rel ? `${rel}/${name}` : name);
    this.children.delete(rel);
    this.entries.delete(rel);
    const parent = path.posix.dirname(rel);
    this.children.get(parent === '.' ? '' : parent)?.delete(path.posix.basename(rel));
  }

  private statRel(rel: string, abs: string): StatLike {
    const e = this.entry(rel);
    if (!e) throw enoent(abs);
    const dir = e.type === 'directory';
    return {
      mode: e.mode | (dir ? 0o040000 : 0o100000), uid: this.owner.uid, gid: this.owner.gid, size: e.size, mtime: e.mtime,
      isDirectory: () => dir, isFile: () => !dir, isSymbolicLink: () => false,
    };
  }
}
