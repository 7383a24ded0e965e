import { execFile, spawnChild } from '../util/spawn';
import { createReadStream, promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import type { OwnerMap } from '../util/tar-owners';

/**
 * A container's changes against its image, read from the overlay upper dir: what
 * `docker diff` lists (GET /containers/{id}/changes), and the layer tar that commit stores,
 * with overlay whiteouts turned back into Docker's (.wh.<name>, .wh..wh..opq).
 */
export interface Change { Path: string; Kind: 0 | 1 | 2 }
export const CHANGE_MODIFY = 0;
export const CHANGE_ADD = 1;
export const CHANGE_DELETE = 2;

/** Mount points the engine creates for every container (dockerd keeps them in its init layer). */
const ENGINE_FILES = new Set(['/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/.dockerenv', '/sbin/docker-init']);

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

async function lstat(p: string): Promise<Stats | null> { return fs.lstat(p).catch(() => null); }

/** Directories marked opaque (trusted.overlay.opaque=y) under `upper`, as absolute paths. */
function opaqueDirs(upper: string): Promise<Set<string>> {
  return new Promise((resolve) => {
    execFile('getfattr', ['-R', '-h', '--absolute-names', '-n', 'trusted.overlay.opaque', upper], { maxBuffer: 16 << 20 }, (_err, stdout) => {
      const out = new Set<string>();
      let file = '';
      for (const line of (stdout ?? '').split('\n')) {
        if (line.startsWith('# file: ')) file = line.slice(8);
        else if (line.startsWith('trusted.overlay.opaque="y"') && file) out.add(path.resolve(file));
      }
      resolve(out);
    });
  });
}

interface Entry { rel: string; abs: string; st: Stats; kind: 'add' | 'modify' | 'delete' | 'dir-parent'; opaque: boolean }

/** Walks the upper dir once; lowers are the image's layer dirs, top first. */
async function scan(upper: string, lowers: string[]): Promise<Entry[]> {
  const opaque = await opaqueDirs(upper);
  const entries: Entry[] = [];
  const inLower = async (rel: string): Promise<Stats | null> => {
    for (const l of lowers) {
      const st = await lstat(path.join(l, rel));
      if (st) return isWhiteout(st) ? null : st;
    }
    return null;
  };
  const walk = async (dirAbs: string, dirRel: string, underAdded: boolean): Promise<void> => {
    const names = (await fs.readdir(dirAbs).catch(() => [] as string[])).sort();
    for (const name of names) {
      const abs = path.join(dirAbs, name);
      const rel = path.posix.join(dirRel, name);
      const st = await lstat(abs);
      if (!st) continue;
      if (isWhiteout(st)) { entries.push({ rel, abs, st, kind: 'delete', opaque: false }); continue; }
      const lower = underAdded ? null : await inLower(rel);
      const isOpaque = opaque.has(path.resolve(abs));
      if (!lower) {
        entries.push({ rel, abs, st, kind: 'add', opaque: isOpaque });
        if (st.isDirectory()) await walk(abs, rel, true);
        continue;
      }
      if (st.isDirectory() && lower.isDirectory()) {
        const metaChanged = isOpaque || st.mode !== lower.mode || st.uid !== lower.uid || st.gid !== lower.gid;
        entries.push({ rel, abs, st, kind: metaChanged ? 'modify' : 'dir-parent', opaque: isOpaque });
        await walk(abs, rel, isOpaque);
        continue;
      }
      entries.push({ rel, abs, st, kind: 'modify', opaque: false });
      if (st.isDirectory()) await walk(abs, rel, true);
    }
  };
  await walk(upper, '/', false);
  return dropEngineFiles(entries);
}

/** Leaves out the engine's mount points, and directories that only exist to hold them. */
function dropEngineFiles(entries: Entry[]): Entry[] {
  const kept = entries.filter((e) => !(ENGINE_FILES.has(e.rel) && e.kind !== 'delete' && (e.st.size === 0 || e.rel === '/sbin/docker-init')));
  const hasChild = (dir: string) => kept.some((e) => e.rel.startsWith(`${dir}/`) && e.kind !== 'dir-parent');
  return kept.filter((e) => {
    if (e.kind === 'dir-parent') return hasChild(e.rel);
    if (e.kind === 'add' && e.st.isDirectory() && entries.some((x) => x.rel.startsWith(`${e.rel}/`))) {
      // e.g. /sbin made only for /sbin/docker-init
      return hasChild(e.rel) || !entries.filter((x) => x.rel.startsWith(`${e.rel}/`)).every((x) => ENGINE_FILES.has(x.rel));
    }
    return true;
  });
}

/** `docker diff`: parents of changed paths show as modified, as overlay2 reports them in dockerd. */
export async function containerChanges(upper: string, lowers: string[]): Promise<Change[]> {
  const entries = await scan(upper, lowers);
  return entries.map((e) => ({ Path: e.rel, Kind: e.kind === 'add' ? CHANGE_ADD : e.kind === 'delete' ? CHANGE_DELETE : CHANGE_MODIFY }));
}

/** The layer tar of a container's changes (docker commit), whiteouts in Docker's form. */
export async function changesTar(upper: string, lowers: string[], owners?: OwnerMap): Promise<Readable> {
  const entries = await scan(upper, lowers);
  const p = pack();
  void (async () => {
    try {
      for (const e of entries) {
        const name = e.rel.slice(1);
        const base = { ...(owners ? owners(e.st.uid, e.st.gid) : { uid: e.st.uid, gid: e.st.gid }), mode: e.st.mode & 0o7777, mtime: e.st.mtime };
        if (e.kind === 'delete') {
          await entry(p, { ...base, name: path.posix.join(path.posix.dirname(name), `.wh.${path.posix.basename(name)}`), type: 'file', size: 0, mode: 0o600 });
          continue;
        }
        if (e.st.isDirectory()) {
          await entry(p, { ...base, name: `${name}/`, type: 'directory' });
          if (e.opaque) await entry(p, { ...base, name: `${name}/.wh..wh..opq`, type: 'file', size: 0, mode: 0o600 });
        } else if (e.st.isSymbolicLink()) {
          await entry(p, { ...base, name, type: 'symlink', linkname: await fs.readlink(e.abs) });
        } else if (e.st.isFile()) {
          await entry(p, { ...base, name, type: 'file', size: e.st.size }, createReadStream(e.abs));
        } else if (e.st.isFIFO()) {
          await entry(p, { ...base, name, type: 'fifo' });
        } else if (e.st.isCharacterDevice() || e.st.isBlockDevice()) {
          const rdev = BigInt(e.st.rdev);
          await entry(p, { ...base, name, type: e.st.isCharacterDevice() ? 'character-device' : 'block-device',
            devmajor: Number((rdev >> 8n) & 0xfffn), devminor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n)) });
        }
      }
      p.finalize();
    } catch (err) {
      p.destroy(err as Error);
    }
  })();
  return p as unknown as Readable;
}

type Pack = ReturnType<typeof pack>;
function entry(p: Pack, header: Parameters<Pack['entry']>[0], body?: Readable): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (err?: Error | null) => (err ? reject(err) : resolve());
    if (!body) { p.entry(header, Buffer.alloc(0), done); return; }
    const sink = p.entry(header, done);
    body.on('error', reject);
    body.pipe(sink as unknown as NodeJS.WritableStream);
  });
}

/** `docker export`: the whole merged file system as a tar stream (GNU tar, numeric owners). */
export async function exportTar(rootfs: string): Promise<{ stream: Readable; done: Promise<void> }> {
  const names = (await fs.readdir(rootfs)).sort();
  const child = spawnChild('tar', ['--numeric-owner', '--xattrs', '-C', rootfs, '-cf', '-', '--', ...names], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', (e: Error) => reject(new Error(`tar: ${e.message}`)));
    child.on('close', (code: number | null) => (code === 0 ? resolve() : reject(new Error(`tar: ${stderr.trim()}`))));
  });
  return { stream: child.stdout!, done };
}
