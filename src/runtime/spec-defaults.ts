import * as fs from 'node:fs';
import * as path from 'node:path';

/** Docker's masked paths (moby oci/defaults.go), hidden unless privileged. */
export const DOCKER_MASKED_PATHS: readonly string[] = [
  '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
  '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** Docker's read-only paths, writable only when privileged. */
export const DOCKER_READONLY_PATHS: readonly string[] = [
  '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger',
];

export interface OciMount { destination: string; type: string; source: string; options: string[] }

/** Docker's default mounts; /dev/shm size in bytes. `privileged` makes /sys and its cgroup tree writable. */
export function defaultMounts(shmSize: number, privileged: boolean): OciMount[] {
  const ro = privileged ? 'rw' : 'ro';
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts',
      options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', ro] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: [ro, 'nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', `size=${shmSize}`] },
  ];
}

export interface DeviceRule { allow: boolean; type?: string; major?: number; minor?: number; access: string }

/** Docker's default device cgroup rules: deny all, then mknod of anything, then the usual nodes. */
export function defaultDeviceRules(): DeviceRule[] {
  const c = (major: number | undefined, minor: number | undefined): DeviceRule =>
    ({ allow: true, type: 'c', ...(major !== undefined ? { major } : {}), ...(minor !== undefined ? { minor } : {}), access: 'rwm' });
  return [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', access: 'm' },
    { allow: true, type: 'b', access: 'm' },
    c(1, 3), c(1, 8), c(1, 7), c(5, 0), c(1, 5), c(1, 9), // null random full tty zero urandom
    c(5, 1), c(136, undefined), c(5, 2), c(10, 200), // console, pts/*, ptmx, net/tun
  ];
}

export interface OciDevice {
  path: string; type: string; major: number; minor: number; fileMode: number; uid: number; gid: number;
}

/**
 * Every device node under the host's /dev (what docker gives a privileged container),
 * skipping the per-container mounts (pts, shm, mqueue) and symlinks.
 */
export function hostDevices(root = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  const skip = new Set(['pts', 'shm', 'mqueue', '.udev', '.lxc', 'console']);
  const walk = (dir: string, depth: number) => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(dir, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (dir === root && skip.has(e.name)) continue;
      if (e.isDirectory()) { if (depth < 3) walk(p, depth + 1); continue; }
      if (!e.isCharacterDevice() && !e.isBlockDevice()) continue;
      let st: fs.Stats;
      try { st = fs.lstatSync(p); } catch { continue; }
      const rdev = st.rdev;
      const major = Number((BigInt(rdev) >> 8n) & 0xfffn);
      const minor = Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & 0xfff00n));
      out.push({ path: p, type: e.isCharacterDevice() ? 'c' : 'b', major, minor, fileMode: st.mode & 0o7777, uid: st.uid, gid: st.gid });
    }
  };
  walk(root, 0);
  return out;
}

export interface Rlimit { type: string; soft: number; hard: number }

/** The daemon's own limits from /proc/self/limits, keyed like RLIMIT_NOFILE; unlimited = Infinity. */
export function daemonRlimits(text?: string): Map<string, { soft: number; hard: number }> {
  const names: Record<string, string> = {
    'Max open files': 'RLIMIT_NOFILE', 'Max processes': 'RLIMIT_NPROC', 'Max core file size': 'RLIMIT_CORE',
    'Max locked memory': 'RLIMIT_MEMLOCK', 'Max stack size': 'RLIMIT_STACK',
  };
  const out = new Map<string, { soft: number; hard: number }>();
  const src = text ?? fs.readFileSync('/proc/self/limits', 'utf8');
  for (const line of src.split('\n')) {
    for (const [label, key] of Object.entries(names)) {
      if (!line.startsWith(label)) continue;
      const [soft, hard] = line.slice(label.length).trim().split(/\s+/);
      const num = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
      out.set(key, { soft: num(soft), hard: num(hard) });
    }
  }
  return out;
}

/**
 * Default rlimits for containers: RLIMIT_NOFILE at the daemon's own hard limit (dockerd's
 * containers inherit 1048576 from containerd; a spec asking above the daemon's hard limit fails
 * here with "error setting rlimits"). User ulimits override by type.
 */
export function resolveRlimits(user: readonly Rlimit[] | undefined, own = daemonRlimits()): Rlimit[] {
  const out = new Map<string, Rlimit>();
  const nofile = own.get('RLIMIT_NOFILE');
  const hard = nofile && Number.isFinite(nofile.hard) ? nofile.hard : 1048576;
  out.set('RLIMIT_NOFILE', { type: 'RLIMIT_NOFILE', soft: hard, hard });
  for (const r of user ?? []) {
    const type = r.type.toUpperCase().startsWith('RLIMIT_') ? r.type.toUpperCase() : `RLIMIT_${r.type.toUpperCase()}`;
    out.set(type, { type, soft: r.soft, hard: r.hard });
  }
  return [...out.values()];
}
