import { execFileSync } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { invalidParameter, system } from '../errdefs';
import type { IdMapping, IdRange } from '../util/idmap';

/**
 * `--userns-remap`, resolved as dockerd resolves it (daemon/daemon_unix.go parseRemappedRoot,
 * setupRemappedRoot; daemon/internal/usergroup): `default`, `USER[:GROUP]` or `UID[:GID]`
 * names a host user whose /etc/subuid and /etc/subgid ranges become the containers' ids.
 * `default` is Berth's own user, `berthremap` (dockerd's is `dockremap`): created with its
 * ranges when missing, so Berth's containers do not share host ids with a dockerd's.
 */
export const DEFAULT_REMAP_USER = 'berthremap';
const RANGE_LEN = 65536;
const RANGE_START = 100000;

export interface SubRange { name: string; start: number; count: number }

export interface UsernsFiles { subuid: string; subgid: string }
const FILES: UsernsFiles = { subuid: '/etc/subuid', subgid: '/etc/subgid' };

function getent(db: 'passwd' | 'group', key: string): string[] | null {
  try {
    const line = execFileSync('getent', [db, key], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0];
    return line ? line.split(':') : null;
  } catch { return null; }
}

const isNumeric = (s: string) => /^[0-9]+$/.test(s) && Number(s) <= 0x7fffffff;

/** Resolves the flag's value to user and group names (creating the default user); dockerd's messages. */
export function parseRemappedRoot(spec: string, create: (name: string) => void = addRemapUser): { user: string; group: string } {
  const parts = spec.split(':');
  if (parts.length > 2 || !parts[0]) throw invalidParameter(`Invalid user/group specification in --userns-remap: ${JSON.stringify(spec)}`);
  let user: string;
  let group = '';
  if (isNumeric(parts[0])) {
    const u = getent('passwd', parts[0]);
    if (!u) throw invalidParameter(`Uid ${parts[0]} has no entry in /etc/passwd: no such user`);
    user = u[0];
    if (parts.length === 1) {
      const g = getent('group', parts[0]);
      if (!g) throw invalidParameter(`Gid ${parts[0]} has no entry in /etc/group: no such group`);
      group = g[0];
    }
  } else {
    const name = parts[0] === 'default' ? DEFAULT_REMAP_USER : parts[0];
    const u = getent('passwd', name);
    // `default` also completes a user whose ranges a killed start did not write yet
    if (!u || (parts[0] === 'default' && !hasRanges(name))) {
      if (parts[0] !== 'default') throw invalidParameter(`Error during uid lookup for ${JSON.stringify(name)}: no such user: ${name}`);
      try { create(name); } catch (e) {
        throw system(`Error during ${JSON.stringify(name)} user creation: ${(e as Error).message}`);
      }
      if (!u) return { user: name, group: name };
    }
    user = u[0];
    if (parts.length === 1) {
      const g = getent('group', name);
      if (!g) throw invalidParameter(`Error during gid lookup for ${JSON.stringify(name)}: no such group: ${name}`);
      group = g[0];
    }
  }
  if (parts.length === 2) {
    const g = getent('group', parts[1]);
    if (!g) {
      throw invalidParameter(isNumeric(parts[1]) ? `Gid ${parts[1]} has no entry in /etc/passwd: no such group`
        : `Error during groupname lookup for ${JSON.stringify(parts[1])}: no such group: ${parts[1]}`);
    }
    group = g[0];
  }
  return { user, group };
}

export function parseSubFile(text: string): SubRange[] {
  const out: SubRange[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [name, start, count] = t.split(':');
    if (!name || !isNumeric(start ?? '') || !isNumeric(count ?? '')) continue;
    out.push({ name, start: Number(start), count: Number(count) });
  }
  return out;
}

function readSub(file: string): SubRange[] {
  try { return parseSubFile(readFileSync(file, 'utf8')); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/** The first 65536 ids from 100000 up that overlap no range of the file (dockerd's findNextRangeStart). */
export function nextRangeStart(ranges: SubRange[]): number {
  let start = RANGE_START;
  for (const r of [...ranges].sort((a, b) => a.start - b.start)) {
    const high = start + RANGE_LEN;
    if ((start >= r.start && start <= r.start + r.count) || (high <= r.start + r.count && high >= r.start)) start = r.start + r.count;
  }
  return start;
}

function run(cmd: string, args: string[]): void {
  try {
    execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr?.toString().trim() || err.message}`);
  }
}

/** dockerd's AddNamespaceRangesUser: a system user and group, then subordinate ranges if the distro made none. */
export function addRemapUser(name: string, files: UsernsFiles = FILES): void {
  // an earlier start may have made the user and stopped before writing its ranges
  if (!getent('passwd', name)) {
    if (hasBinary('adduser')) {
      run('adduser', ['--system', '--shell', '/bin/false', '--no-create-home', '--disabled-login', '--disabled-password', '--group', name]);
    } else {
      run('useradd', ['-r', '-s', '/bin/false', name]);
    }
  }
  const uid = getent('passwd', name)?.[2];
  for (const [file, flag] of [[files.subuid, '-v'], [files.subgid, '-w']] as const) {
    const ranges = readSub(file);
    if (ranges.some((r) => r.name === name || r.name === uid)) continue;
    const start = nextRangeStart(ranges);
    run('usermod', [flag, `${start}-${start + RANGE_LEN - 1}`, name]);
  }
}

function hasRanges(user: string, files: UsernsFiles = FILES): boolean {
  const uid = getent('passwd', user)?.[2];
  return [files.subuid, files.subgid].every((f) => readSub(f).some((r) => r.name === user || r.name === uid));
}

function hasBinary(name: string): boolean {
  for (const dir of (process.env.PATH || '/usr/sbin:/usr/bin:/sbin:/bin').split(':')) {
    try { accessSync(`${dir}/${name}`, constants.X_OK); return true; } catch { /* next */ }
  }
  return false;
}

/** Consecutive container ids over the user's ranges, in file order by start (moby/sys/user createIDMap). */
function idRanges(ranges: SubRange[]): IdRange[] {
  let next = 0;
  return [...ranges].sort((a, b) => a.start - b.start).map((r) => {
    const out = { containerId: next, hostId: r.start, size: r.count };
    next += r.count;
    return out;
  });
}

/** The user's mapping from /etc/subuid and /etc/subgid (both looked up by the user's name or uid, as dockerd does). */
export function loadIdentityMapping(user: string, files: UsernsFiles = FILES): IdMapping {
  const uid = getent('passwd', user)?.[2];
  const mine = (r: SubRange) => r.name === user || r.name === uid;
  const uids = readSub(files.subuid).filter(mine);
  if (!uids.length) throw invalidParameter(`error creating ID mappings: no subuid ranges found for user ${JSON.stringify(user)}`);
  const gids = readSub(files.subgid).filter(mine);
  if (!gids.length) throw invalidParameter(`error creating ID mappings: no subgid ranges found for user ${JSON.stringify(user)}`);
  return { uids: idRanges(uids), gids: idRanges(gids) };
}

/**
 * The daemon's mapping for its `--userns-remap` value, or null when remapping is off (no
 * value, or the user is root: "root cannot be remapped with itself", as dockerd warns).
 * `resolved` is the value as dockerd shows it afterwards, "user:group".
 */
export function setupRemappedRoot(spec: string | undefined, warn: (m: string) => void = () => undefined): { mapping: IdMapping; resolved: string } | null {
  if (!spec) return null;
  const { user, group } = parseRemappedRoot(spec);
  if (user === 'root') {
    warn('User namespaces: root cannot be remapped with itself; user namespaces are OFF');
    return null;
  }
  return { mapping: loadIdentityMapping(user), resolved: `${user}:${group}` };
}
