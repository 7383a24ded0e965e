import { execFile } from './spawn';
import { promises as fs, type Stats } from 'node:fs';
import * as path from 'node:path';
import { invalidParameter } from '../errdefs';

/**
 * User-namespace id mappings (dockerd's user.IdentityMapping): which host ids the ids of a
 * remapped container stand for. A daemon started with --userns-remap has one mapping, read from
 * /etc/subuid and /etc/subgid (see src/config/userns-remap.ts); without it, ids are the host's.
 *
 * Rule of the stores: tars carry container-side ids (what a user of the image sees); files on
 * disk under a remapped data root carry host ids. Unpacking shifts container -> host, packing
 * (commit, cp out, export) shifts host -> container.
 */
export interface IdRange { containerId: number; hostId: number; size: number }

export interface IdMapping { uids: IdRange[]; gids: IdRange[] }

/** nobody/nogroup: what the kernel shows for a host id outside the namespace (overflowuid). */
export const OVERFLOW_ID = 65534;

function find(ranges: IdRange[], id: number, from: 'containerId' | 'hostId'): number | undefined {
  for (const r of ranges) {
    const off = id - r[from];
    if (off >= 0 && off < r.size) return from === 'containerId' ? r.hostId + off : r.containerId + off;
  }
  return undefined;
}

/** Container ids -> host ids; an id outside the mapping is refused, as dockerd's ToHost refuses it. */
export function toHost(m: IdMapping, uid: number, gid: number): { uid: number; gid: number } {
  const hu = find(m.uids, uid, 'containerId');
  const hg = find(m.gids, gid, 'containerId');
  if (hu === undefined) throw invalidParameter(`Container ID ${uid} cannot be mapped to a host ID`);
  if (hg === undefined) throw invalidParameter(`Container ID ${gid} cannot be mapped to a host ID`);
  return { uid: hu, gid: hg };
}

/** Host ids -> container ids; ids the namespace cannot see show as nobody/nogroup, as in the container. */
export function toContainer(m: IdMapping, uid: number, gid: number): { uid: number; gid: number } {
  return { uid: find(m.uids, uid, 'hostId') ?? OVERFLOW_ID, gid: find(m.gids, gid, 'hostId') ?? OVERFLOW_ID };
}

/** The host ids of the container's root (dockerd's RootPair); 0:0 without a mapping. */
export function rootPair(m: IdMapping | null | undefined): { uid: number; gid: number } {
  return m ? toHost(m, 0, 0) : { uid: 0, gid: 0 };
}

/** OCI linux.uidMappings / gidMappings. */
export function specMappings(m: IdMapping): { uidMappings: IdRange[]; gidMappings: IdRange[] } {
  const oci = (rs: IdRange[]) => rs.map((r) => ({ containerID: r.containerId, hostID: r.hostId, size: r.size }));
  return { uidMappings: oci(m.uids) as never, gidMappings: oci(m.gids) as never };
}

/** A header-shaped thing's ids rewritten through `map` (tar headers on their way in or out). */
export function mapOwner<T extends { uid?: number; gid?: number }>(h: T, map: (uid: number, gid: number) => { uid: number; gid: number }): T {
  const { uid, gid } = map(h.uid ?? 0, h.gid ?? 0);
  return { ...h, uid, gid };
}

/**
 * Shifts the owners of everything under `root` (root included) from container ids to host
 * ids: what a layer unpacked with the tar's own ids becomes on a remapped data root. Each inode
 * once (hard links); symlinks themselves (lchown). chown clears setuid/setgid and file
 * capabilities (security.capability), so those are put back (capabilities with one getfattr
 * and one setfattr for the whole tree, and only when the tree has any).
 */
export async function shiftTree(root: string, m: IdMapping): Promise<void> {
  // every inode once (hard links), children before their directory
  const found: { p: string; st: Stats }[] = [];
  const seen = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const name of await fs.readdir(dir)) {
      const p = path.join(dir, name);
      const st = await fs.lstat(p);
      if (st.isDirectory()) await walk(p);
      const key = `${st.dev}:${st.ino}`;
      if (!seen.has(key)) { seen.add(key); found.push({ p, st }); }
    }
  };
  await walk(root);
  found.push({ p: root, st: await fs.lstat(root) });
  // no spawn for a tree without regular files (a container's empty upper dir)
  const caps = found.some((f) => f.st.isFile()) ? await fileCaps(root) : '';
  for (const { p, st } of found) {
    const { uid, gid } = toHost(m, st.uid, st.gid);
    await fs.lchown(p, uid, gid);
    if (st.isFile() && (st.mode & 0o6000)) await fs.chmod(p, st.mode & 0o7777);
  }
  if (caps) await tool('setfattr', ['-h', '--restore=-'], root, `${caps}\n`);
}

/** getfattr's dump of the tree's security.capability attributes ('' when none, or no getfattr). */
async function fileCaps(root: string): Promise<string> {
  try {
    return (await tool('getfattr', ['-R', '-P', '-h', '-d', '-m', '^security\\.capability$', '-e', 'hex', '.'], root)).trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

function tool(cmd: string, args: string[], cwd: string, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { cwd, maxBuffer: 64 << 20, input: input ?? '' }, (err, stdout, stderr) => {
      if (err) reject(Object.assign(err, { message: `${cmd}: ${String(stderr).trim() || err.message}` }));
      else resolve(String(stdout));
    });
  });
}

/** `uid.gid` of the remapped root: the name of the data root's subdirectory, as dockerd names it. */
export function remappedRootName(m: IdMapping): string {
  const { uid, gid } = rootPair(m);
  return `${uid}.${gid}`;
}
