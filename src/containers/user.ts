import { readFileSync } from 'node:fs';
import { secureJoin } from '../util/securejoin';
import { system } from '../errdefs';

export interface ResolvedUser { uid: number; gid: number; additionalGids: number[]; home: string }

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number; members: string[] }

function readLines(root: string, file: string): string[] {
  try {
    return readFileSync(secureJoin(root, file), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  } catch { return []; }
}

const passwd = (root: string): PasswdEntry[] => readLines(root, '/etc/passwd').map((l) => {
  const f = l.split(':');
  return { name: f[0], uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? '/' };
}).filter((e) => Number.isInteger(e.uid) && Number.isInteger(e.gid));

const groups = (root: string): GroupEntry[] => readLines(root, '/etc/group').map((l) => {
  const f = l.split(':');
  return { name: f[0], gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) };
}).filter((g) => Number.isInteger(g.gid));

const isNumeric = (s: string) => /^\d+$/.test(s);

/**
 * Resolves docker's `--user` (name, uid, name:group, uid:gid) against the container's own
 * /etc/passwd and /etc/group, as runc's libcontainer/user does for dockerd.
 */
export function resolveUser(root: string, spec: string, groupAdd: string[] = []): ResolvedUser {
  const [userPart, groupPart] = (spec || '0').split(':', 2) as [string, string | undefined];
  const users = passwd(root);
  let uid: number;
  let gid: number;
  let home = '/';
  let name = '';
  const byName = users.find((u) => u.name === userPart);
  const byUid = isNumeric(userPart) ? users.find((u) => u.uid === Number(userPart)) : undefined;
  if (byName) ({ uid, gid, home, name } = byName);
  else if (isNumeric(userPart)) {
    uid = Number(userPart);
    gid = byUid?.gid ?? 0;
    home = byUid?.home ?? '/';
    name = byUid?.name ?? '';
  } else throw system(`unable to find user ${userPart}: no matching entries in passwd file`);

  const allGroups = groups(root);
  if (groupPart !== undefined && groupPart !== '') {
    const g = allGroups.find((e) => e.name === groupPart);
    if (g) gid = g.gid;
    else if (isNumeric(groupPart)) gid = Number(groupPart);
    else throw system(`unable to find group ${groupPart}: no matching entries in group file`);
  }
  const additional = new Set<number>();
  if (name && groupPart === undefined) {
    for (const g of allGroups) if (g.members.includes(name) && g.gid !== gid) additional.add(g.gid);
  }
  for (const ga of groupAdd) {
    const g = allGroups.find((e) => e.name === ga);
    if (g) additional.add(g.gid);
    else if (isNumeric(ga)) additional.add(Number(ga));
    else throw system(`Unable to find group ${ga}: no matching entries in group file`);
  }
  return { uid, gid, additionalGids: [...additional], home: home || '/' };
}
