import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { system } from '../errdefs';
import { type IdMapping, remappedRootName, rootPair } from '../util/idmap';

/**
 * The data root of a daemon with --userns-remap, as dockerd's setupDaemonRoot lays it out:
 * state lives in <data-root>/<uid>.<gid> (the remapped root's host ids), mode 0710, owned by
 * root and the remapped root's group, so the container's root can reach its layers and its
 * /etc files while other host users cannot; <data-root> itself stays 0701.
 */
export async function prepareRemappedRoot(dataRoot: string, m: IdMapping): Promise<string> {
  const root = path.join(await fs.realpath(dataRoot), remappedRootName(m));
  await remappedGroupDir(root, m);
  const { uid, gid } = rootPair(m);
  for (let d = path.dirname(root); d !== '/'; d = path.dirname(d)) {
    if (!(await canAccess(d, uid, gid))) {
      throw system(`a subdirectory in your graphroot path (${root}) restricts access to the remapped root uid/gid; please fix by allowing 'o+x' permissions on existing directories`);
    }
  }
  return root;
}

/** A directory the remapped root may enter but not list: 0710 root:<remapped root gid>. */
export async function remappedGroupDir(dir: string, m: IdMapping): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o710 });
  await fs.chown(dir, 0, rootPair(m).gid);
  await fs.chmod(dir, 0o710);
}

async function canAccess(dir: string, uid: number, gid: number): Promise<boolean> {
  const st = await fs.stat(dir).catch(() => null);
  if (!st) return false;
  return (st.mode & 0o001) !== 0 || (st.uid === uid && (st.mode & 0o100) !== 0) || (st.gid === gid && (st.mode & 0o010) !== 0);
}
