import { closeSync, fstatSync, readdirSync, readlinkSync, type Stats } from 'node:fs';
import * as fs from 'node:fs';
import { once } from 'node:events';
import * as path from 'node:path';
import type { Writable } from 'node:stream';
import type { Pack, Header as Headers } from 'tar-stream';
import { type ContainerFs, at, isCode, mountAt, openDirAt, openFileAt, openHostDir } from './archive-fs';
import type { OwnerMap } from '../util/tar-owners';

/**
 * Writes a container's file or tree into a tar stream (GET /containers/{id}/archive). Every
 * file and directory is opened relative to its parent's fd with O_NOFOLLOW and checked with
 * fstat after the open, so a path swapped for a symlink while the copy runs is never
 * followed; mounts (volumes, binds) are entered at their destinations.
 */

const CHUNK = 1 << 20;

export function devNumbers(rdev: number): { devmajor: number; devminor: number } {
  return { devmajor: ((rdev >> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff), devminor: (rdev & 0xff) | ((rdev >> 12) & 0xfff00) };
}

interface WalkState { pack: Pack; cfs: ContainerFs; inodes: Map<string, string>; owners?: OwnerMap }

async function writeEntry(pack: Pack, header: Partial<Headers> & { name: string }, body?: (w: Writable) => Promise<void>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const w = pack.entry(header, (err?: Error | null) => (err ? reject(err) : resolve())) as unknown as Writable;
    w.on('error', reject);
    if (!body) return;
    body(w).then(() => { w.end(); }, (e: Error) => { w.destroy(e); reject(e); });
  });
}

async function copyFd(fd: number, size: number, w: Writable): Promise<void> {
  let pos = 0;
  while (pos < size) {
    const buf = Buffer.allocUnsafe(Math.min(CHUNK, size - pos));
    // Synchronous reads: mostly served from the page cache, and a thread-pool round trip per
    // chunk cost more than the read itself.
    const bytesRead = fs.readSync(fd, buf, 0, buf.length, pos);
    // A file that shrank while being read is padded, as the header's size was already written.
    const chunk = bytesRead === 0 ? Buffer.alloc(size - pos) : buf.subarray(0, bytesRead);
    pos += chunk.length;
    if (!w.write(chunk)) await once(w, 'drain');
  }
}

function baseHeader(s: WalkState, name: string, st: Stats): Partial<Headers> & { name: string } {
  const { uid, gid } = s.owners ? s.owners(st.uid, st.gid) : st;
  return { name, mode: st.mode & 0o7777, uid, gid, mtime: st.mtime };
}

/**
 * Adds `name` of the directory `dirFd` (or the directory itself when name is "") as
 * `entryName`; `logical` is its path in the container, for finding mounts below it.
 */
async function addEntry(s: WalkState, dirFd: number, name: string, entryName: string, logical: string): Promise<void> {
  let st: Stats;
  let ownFd: number | undefined;
  const mount = name ? mountAt(s.cfs, logical) : undefined;
  try {
    if (mount) {
      ownFd = openHostDir(mount.source);
      st = fstatSync(ownFd);
    } else {
      try { st = name ? fs.lstatSync(at(dirFd, name)) : fstatSync(dirFd); } catch (e) { if (isCode(e, 'ENOENT')) return; throw e; }
    }
    if (st.isDirectory()) {
      const fd = ownFd ?? (name ? openDirAt(dirFd, name) : dirFd);
      if (fd !== dirFd) ownFd = fd;
      const fst = fstatSync(fd);
      if (!fst.isDirectory()) return; // swapped meanwhile
      await writeEntry(s.pack, { ...baseHeader(s, entryName.endsWith('/') ? entryName : `${entryName}/`, fst), type: 'directory' });
      const children = readdirSync(at(fd, '')).sort();
      for (const c of children) await addEntry(s, fd, c, `${entryName.replace(/\/$/, '')}/${c}`, path.posix.join(logical, c));
      return;
    }
    if (st.isSymbolicLink()) {
      let target: string;
      try { target = readlinkSync(at(dirFd, name)); } catch (e) { if (isCode(e, 'ENOENT', 'EINVAL')) return; throw e; }
      await writeEntry(s.pack, { ...baseHeader(s, entryName, st), type: 'symlink', linkname: target });
      return;
    }
    if (st.isFile()) {
      let fd: number;
      try { fd = openFileAt(dirFd, name); } catch (e) { if (isCode(e, 'ENOENT', 'ELOOP')) return; throw e; }
      ownFd = fd;
      const fst = fstatSync(fd);
      if (!fst.isFile()) return;
      if (fst.nlink > 1) {
        const key = `${fst.dev}:${fst.ino}`;
        const first = s.inodes.get(key);
        if (first !== undefined) {
          await writeEntry(s.pack, { ...baseHeader(s, entryName, fst), type: 'link', linkname: first, size: 0 });
          return;
        }
        s.inodes.set(key, entryName);
      }
      await writeEntry(s.pack, { ...baseHeader(s, entryName, fst), type: 'file', size: fst.size }, (w) => copyFd(fd, fst.size, w));
      return;
    }
    const type = st.isCharacterDevice() ? 'character-device' : st.isBlockDevice() ? 'block-device' : st.isFIFO() ? 'fifo' : undefined;
    if (!type) return; // sockets are not archived (Docker skips them too)
    await writeEntry(s.pack, { ...baseHeader(s, entryName, st), type, ...(type === 'fifo' ? {} : devNumbers(st.rdev)) });
  } finally {
    if (ownFd !== undefined) { try { closeSync(ownFd); } catch { /* closed */ } }
  }
}

/** Archives `name` in `dirFd` (or that directory itself) as `rootName`, then finalizes the pack. */
export async function packResource(pack: Pack, cfs: ContainerFs, dirFd: number, name: string, rootName: string, logical: string, owners?: OwnerMap): Promise<void> {
  await addEntry({ pack, cfs, inodes: new Map(), owners }, dirFd, name, rootName, logical);
  pack.finalize();
}

