import { promises as fs, readFileSync, realpathSync } from 'node:fs';
import type { HostConfig } from '../api/types';
import { invalidParameter } from '../errdefs';
import { type IdMapping, rootPair, specMappings, toContainer, toHost } from '../util/idmap';
import type { OwnerMap } from '../util/tar-owners';

/**
 * The daemon's --userns-remap as the container lifecycle sees it. It is one daemon-wide value,
 * set once by the engine at start-up before any container is touched: a module setting rather
 * than a constructor argument because the lifecycle (service.ts) calls the spec and
 * validation functions that need it without passing daemon options through.
 */
let daemonMapping: IdMapping | null = null;

export function setDaemonUserns(m: IdMapping | null): void { daemonMapping = m; }

/** The mapping a container runs under: the daemon's, unless it opted out with --userns=host. */
export function containerUserns(hc: Pick<HostConfig, 'UsernsMode'>): IdMapping | null {
  return daemonMapping && hc.UsernsMode !== 'host' ? daemonMapping : null;
}

/** dockerd's create-time conflicts with user namespaces (verifyPlatformContainerSettings), same messages. */
export function checkUsernsConflicts(hc: HostConfig): void {
  if (!containerUserns(hc)) return;
  if (hc.Privileged) {
    throw invalidParameter('privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode');
  }
  if (hc.NetworkMode === 'host') throw invalidParameter("cannot share the host's network namespace when user namespaces are enabled");
  if (hc.PidMode === 'host') throw invalidParameter('cannot share the host PID namespace when user namespaces are enabled');
}

/**
 * The id shifts for tars in and out of a container's files (cp, export, commit). Files on a
 * remapped store hold host ids whatever the container's --userns, so this is the daemon's
 * mapping, as dockerd's archive options use daemon.idMapping.
 */
export function storeIds(): { toContainer: OwnerMap; toHost: OwnerMap } | undefined {
  const m = daemonMapping;
  return m ? { toContainer: (uid, gid) => toContainer(m, uid, gid), toHost: (uid, gid) => toHost(m, uid, gid) } : undefined;
}

interface SpecLike {
  mounts?: { destination: string; type?: string; source?: string; options?: string[] }[];
  linux?: { namespaces?: { type: string; path?: string }[]; uidMappings?: unknown; gidMappings?: unknown };
}

/**
 * After buildSpec, for a remapped container (dockerd's WithNamespaces and WithMounts): a user
 * namespace with the daemon's maps (joined, not new, when the net/ipc/pid namespace is another
 * container's, since those belong to that container's user namespace); the cgroup mount is
 * left writable (a read-only remount is refused inside a user namespace); bind mounts keep the
 * locked flags of their source's mount (nosuid, nodev, noexec, ro and atime flags), which a
 * user namespace cannot clear. The container's dir (its /etc files) becomes enterable by the
 * remapped root.
 */
export async function applyUserns(spec: SpecLike, hc: HostConfig, containerDir: string): Promise<void> {
  const m = containerUserns(hc);
  if (!m || !spec.linux) return;
  const namespaces = (spec.linux.namespaces ??= []);
  const joined = namespaces.find((n) => ['network', 'ipc', 'pid'].includes(n.type) && n.path?.startsWith('/proc/'));
  const userNs: { type: string; path?: string } = { type: 'user' };
  if (joined) userNs.path = joined.path!.replace(/\/ns\/[a-z]+$/, '/ns/user');
  namespaces.unshift(userNs);
  Object.assign(spec.linux, specMappings(m)); // runc wants the maps even when joining
  const table = mountTable();
  for (const mt of spec.mounts ?? []) {
    if (mt.type === 'cgroup') mt.options = (mt.options ?? []).map((o) => (o === 'ro' ? 'rw' : o));
    if (mt.type === 'bind' && mt.source) mt.options = [...(mt.options ?? []), ...lockedFlags(table, mt.source)];
  }
  await fs.chown(containerDir, 0, rootPair(m).gid);
}

const LOCKED = new Set(['ro', 'nodev', 'noexec', 'nosuid', 'noatime', 'relatime', 'nodiratime']);

export function mountTable(): { point: string; opts: string[] }[] {
  let text = '';
  try { text = readFileSync('/proc/self/mountinfo', 'utf8'); } catch { return []; }
  return text.split('\n').filter(Boolean).map((l) => {
    const f = l.split(' ');
    return { point: f[4].replace(/\\040/g, ' '), opts: f[5].split(',') };
  });
}

/** The flags of the mount that holds `source` that a bind in a user namespace must repeat. */
export function lockedFlags(table: { point: string; opts: string[] }[], source: string): string[] {
  let real = source;
  try { real = realpathSync(source); } catch { return []; }
  let best: { point: string; opts: string[] } | undefined;
  for (const e of table) {
    if (real === e.point || real.startsWith(e.point === '/' ? '/' : `${e.point}/`)) {
      if (!best || e.point.length >= best.point.length) best = e; // later entries stack on earlier ones
    }
  }
  return best ? best.opts.filter((o) => LOCKED.has(o)) : [];
}
