import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { invalidParameter, system } from '../errdefs';
import { type TarHeader, type TarSink, TarReader } from '../util/tar-reader';
import { type ContainerFs, at, isCode, mountAt, openDirAt, resolveIn } from './archive-fs';

const { O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDONLY } = fs.constants;
const O_CLOEXEC = 0o2000000;

export interface ExtractOptions {
  noOverwriteDirNonDir: boolean;
  /** Owner for every entry (docker cp -a with a container user); else the tar's own. */
  chown?: { uid: number; gid: number };
  readonlyMessage: string;
}

interface Dir { fd: number; rw: boolean }

/**
 * Unpacks a tar into a directory of a container (PUT /containers/{id}/archive). Entry names
 * are cleaned and may not climb above the extraction point; every parent directory is
 * reached by a walk inside the container (archive-fs), and every final component is created
 * relative to its parent's fd without following symlinks (O_EXCL|O_NOFOLLOW, lchown,
 * lutimes), so neither the archive nor a container racing the copy can make it write
 * outside the container's file system.
 */
export class Extractor implements TarSink {
  private dirs = new Map<string, Dir>();
  private dirTimes: { rel: string; mtime: Date }[] = [];
  /** The regular file whose data is being written. */
  private file: { fd: number; uid: number; gid: number; mode: number; mtime: Date } | undefined;
  /** Its data not yet written (see data()). */
  private pieces: Buffer[] = [];

  constructor(private readonly cfs: ContainerFs, private readonly destLogical: string, private readonly opts: ExtractOptions) {}

  /** Extracts every entry of a tar stream in order; resolves when the archive ends. */
  async extract(stream: Readable): Promise<void> {
    const reader = new TarReader(this);
    try {
      for await (const chunk of stream) { reader.push(chunk as Buffer); this.flush(); }
      reader.end();
      this.finish();
    } finally { this.close(); }
  }

  /** After the last entry: directory mtimes (deepest first, as writing into a directory changes its mtime). */
  finish(): void {
    for (const d of this.dirTimes.reverse()) {
      const dir = this.dir(d.rel, false);
      if (dir) fs.utimesSync(at(dir.fd, ''), d.mtime, d.mtime);
    }
    this.dirTimes = [];
  }

  /** Closes every fd this extraction holds (after finish, or after a failure). */
  close(): void {
    if (this.file) { try { fs.closeSync(this.file.fd); } catch { /* closed */ } this.file = undefined; }
    this.pieces = [];
    for (const d of this.dirs.values()) { try { fs.closeSync(d.fd); } catch { /* closed */ } }
    this.dirs.clear();
  }

  /** The directory at `rel` below the extraction point, created (0755) when missing. */
  private dir(rel: string, create = true): Dir | undefined {
    const cached = this.dirs.get(rel);
    if (cached) return cached;
    const logical = path.posix.join(this.destLogical, rel);
    if (rel !== '' && !mountAt(this.cfs, logical)) {
      // Fast path: a plain directory right below a known one, opened (or made) relative to its fd.
      const parent = this.dir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel), create);
      if (!parent) return undefined;
      const name = path.posix.basename(rel);
      try {
        return this.remember(rel, { fd: openDirAt(parent.fd, name), rw: parent.rw });
      } catch (e) {
        if (isCode(e, 'ENOENT')) {
          if (!create) return undefined;
          if (!parent.rw) throw system(this.opts.readonlyMessage);
          fs.mkdirSync(at(parent.fd, name), 0o755);
          return this.remember(rel, { fd: openDirAt(parent.fd, name), rw: parent.rw });
        }
        if (!isCode(e, 'ENOTDIR', 'ELOOP')) throw e;
        // A symlink (followed below, inside the container) or not a directory at all.
      }
    }
    let r = resolveIn(this.cfs, logical, true);
    if (r.name) {
      const st = r.lstat();
      if (st || !create) { r.close(); if (!create) return undefined; throw invalidParameter(`cannot extract into ${logical}: not a directory`); }
      if (!r.writable) { r.close(); throw system(this.opts.readonlyMessage); }
      try { fs.mkdirSync(r.hostPath, 0o755); } finally { r.close(); }
      r = resolveIn(this.cfs, logical, true);
      if (r.name) { r.close(); throw invalidParameter(`cannot extract into ${logical}: not a directory`); }
    }
    return this.remember(rel, r.detach());
  }

  private remember(rel: string, d: Dir): Dir {
    if (this.dirs.size > 1000) this.forget('');
    this.dirs.set(rel, d);
    return d;
  }

  /** Drops cached dirs at or below rel (after that path was replaced). */
  private forget(rel: string): void {
    for (const [k, d] of this.dirs) {
      if (rel === '' || k === rel || k.startsWith(`${rel}/`)) { try { fs.closeSync(d.fd); } catch { /* closed */ } this.dirs.delete(k); }
    }
  }

  private owner(h: TarHeader): { uid: number; gid: number } {
    return this.opts.chown ?? { uid: h.uid, gid: h.gid };
  }

  /**
   * Makes room for a new `name` in `parent`: nothing to do when it is free, or (keepDir) when
   * a directory is there already; else whatever is there goes, as Docker's untar does.
   * Returns true when a directory was kept.
   */
  private clear(parent: Dir, name: string, rel: string, abs: string, keepDir: boolean): boolean {
    const target = at(parent.fd, name);
    let existing: fs.Stats;
    try { existing = fs.lstatSync(target); } catch (e) { if (isCode(e, 'ENOENT')) return false; throw e; }
    if (existing.isDirectory()) {
      if (keepDir) return true;
      if (this.opts.noOverwriteDirNonDir) throw invalidParameter(`cannot overwrite directory "${abs}" with non-directory "${rel}"`);
      removeTreeAt(parent.fd, name);
    } else {
      if (keepDir && this.opts.noOverwriteDirNonDir) throw invalidParameter(`cannot overwrite non-directory "${abs}" with directory "${rel}"`);
      fs.unlinkSync(target);
    }
    this.forget(rel); // paths cached through what was here
    return false;
  }

  /** Runs `create` for a new name; when the name is taken, clears it first (see clear) and retries. */
  private create<T>(parent: Dir, name: string, rel: string, abs: string, create: () => T, keepDir = false): T | undefined {
    try { return create(); } catch (e) {
      if (!isCode(e, 'EEXIST')) throw e;
    }
    if (this.clear(parent, name, rel, abs, keepDir)) return undefined;
    return create();
  }

  /** TarSink: a new entry. Everything but file data is done here. */
  entry(h: TarHeader): void {
    const rel = cleanName(h.name);
    if (rel === '') return;
    const parent = this.dir(path.posix.dirname(rel) === '.' ? '' : path.posix.dirname(rel)) as Dir;
    if (!parent.rw) throw system(this.opts.readonlyMessage);
    const name = path.posix.basename(rel);
    const target = at(parent.fd, name);
    const abs = path.posix.join(this.destLogical, rel);
    const type = h.type === 'contiguous-file' ? 'file' : h.type;
    const mtime = h.mtime;
    const { uid, gid } = this.owner(h);
    const mode = h.mode & 0o7777;

    if (type === 'directory') {
      this.create(parent, name, rel, abs, () => fs.mkdirSync(target, 0o700), true);
      const fd = openDirAt(parent.fd, name, O_RDONLY);
      try {
        fs.fchownSync(fd, uid, gid);
        fs.fchmodSync(fd, mode);
      } catch (e) { fs.closeSync(fd); throw e; }
      if (!this.dirs.has(rel) && !mountAt(this.cfs, abs)) this.remember(rel, { fd, rw: parent.rw });
      else fs.closeSync(fd);
      this.dirTimes.push({ rel, mtime });
      return;
    }
    const flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
    if (type === 'file') {
      const fd = this.create(parent, name, rel, abs, () => fs.openSync(target, flags, 0o600)) as number;
      this.file = { fd, uid, gid, mode, mtime };
      return;
    }
    if (type === 'symlink') {
      this.create(parent, name, rel, abs, () => fs.symlinkSync(h.linkname, target));
      fs.lchownSync(target, uid, gid);
      fs.lutimesSync(target, mtime, mtime);
      return;
    }
    if (type === 'link') {
      const src = cleanName(h.linkname);
      if (!src) throw invalidParameter(`invalid hardlink "${h.name}" -> "${h.linkname}"`);
      const srcDir = this.dir(path.posix.dirname(src) === '.' ? '' : path.posix.dirname(src), false);
      if (!srcDir) throw invalidParameter(`invalid hardlink "${h.name}" -> "${h.linkname}": no such file`);
      this.create(parent, name, rel, abs, () => fs.linkSync(at(srcDir.fd, path.posix.basename(src)), target));
      return;
    }
    if (type === 'character-device' || type === 'block-device' || type === 'fifo') {
      this.clear(parent, name, rel, abs, false);
      // mknod(2) is not in node: the tool gets the same openat-style path through our fd table.
      const p = `/proc/${process.pid}/fd/${parent.fd}/${name}`;
      const args = type === 'fifo' ? [p, 'p'] : [p, type === 'block-device' ? 'b' : 'c', String(h.devmajor), String(h.devminor)];
      execFileSync('mknod', ['-m', mode.toString(8), ...args]);
      fs.lchownSync(target, uid, gid);
    }
    // Other entry types (sockets, sparse files...) are skipped like Docker does.
  }

  /**
   * TarSink: file data. Pieces are gathered and written together by flush() (one writev for
   * all the pieces of a file in a batch of input, synchronous: the page cache takes them at
   * memory speed), so the chunks handed to the reader must stay untouched until then.
   */
  data(chunk: Buffer): void {
    if (this.file) this.pieces.push(chunk);
  }

  /** Writes the gathered file data; call after every batch pushed into the reader. */
  flush(): void {
    const f = this.file;
    const pieces = this.pieces;
    if (!f || pieces.length === 0) return;
    this.pieces = [];
    let done = fs.writevSync(f.fd, pieces);
    // A short write (rare): the rest piece by piece.
    for (const p of pieces) {
      if (done >= p.length) { done -= p.length; continue; }
      for (let off = done; off < p.length;) off += fs.writeSync(f.fd, p, off, p.length - off);
      done = 0;
    }
  }

  /** TarSink: the entry is complete; a file gets its owner, mode and mtime. */
  endEntry(): void {
    const f = this.file;
    if (!f) return;
    try {
      this.flush();
      fs.fchownSync(f.fd, f.uid, f.gid);
      fs.fchmodSync(f.fd, f.mode);
      fs.futimesSync(f.fd, f.mtime, f.mtime);
    } finally { this.file = undefined; fs.closeSync(f.fd); }
  }
}

/** Cleans a tar entry name to a relative path; names that climb above the root are refused. */
export function cleanName(name: string): string {
  const n = path.posix.normalize(`/${name}`).slice(1).replace(/\/$/, '');
  if (n.split('/').includes('..')) throw invalidParameter(`invalid tar entry name: ${name}`);
  return n;
}

/** rm -rf of `name` in `dirFd` through fds, never following a symlink that replaces a directory mid-way. */
export function removeTreeAt(dirFd: number, name: string): void {
  let fd: number;
  try { fd = openDirAt(dirFd, name, O_RDONLY); } catch (e) {
    if (isCode(e, 'ENOTDIR', 'ELOOP')) { fs.unlinkSync(at(dirFd, name)); return; }
    if (isCode(e, 'ENOENT')) return;
    throw e;
  }
  try {
    for (const c of fs.readdirSync(at(fd, ''))) removeTreeAt(fd, c);
  } finally { fs.closeSync(fd); }
  fs.rmdirSync(at(dirFd, name));
}
