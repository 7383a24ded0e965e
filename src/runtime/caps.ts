import * as fs from 'node:fs';
import { invalidParameter } from '../errdefs';

/** Linux capability numbers (include/uapi/linux/capability.h), without the CAP_ prefix. */
export const CAPABILITIES: readonly string[] = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID',
  'SETPCAP', 'LINUX_IMMUTABLE', 'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW',
  'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE', 'SYS_PACCT',
  'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD',
  'LEASE', 'AUDIT_WRITE', 'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG',
  'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF', 'CHECKPOINT_RESTORE',
];

/** Docker's default set (moby oci/caps/defaults.go): CapEff 0x00000000a80425fb. */
export const DOCKER_DEFAULT_CAPS: readonly string[] = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** "net_admin", "CAP_NET_ADMIN", "Net_Admin" -> "CAP_NET_ADMIN"; "ALL" stays "ALL". */
export function normalizeCap(name: string): string {
  const up = name.trim().toUpperCase();
  if (up === 'ALL' || up === 'CAP_ALL') return 'ALL';
  const bare = up.startsWith('CAP_') ? up.slice(4) : up;
  if (!CAPABILITIES.includes(bare)) throw invalidParameter(`invalid capability: ${name}`);
  return `CAP_${bare}`;
}

/**
 * The capabilities this process holds in its bounding set, as CAP_ names: asking runc for
 * anything outside it fails with "unable to apply caps". This host's CapBnd is 000001fffeffffff: bit 24, CAP_SYS_RESOURCE, is
 * missing (which is also why rlimits above the daemon's hard limit fail).
 */
export function boundingCaps(statusText?: string): string[] {
  const text = statusText ?? fs.readFileSync('/proc/self/status', 'utf8');
  const m = /^CapBnd:\s*([0-9a-fA-F]+)/m.exec(text);
  if (!m) return CAPABILITIES.map((c) => `CAP_${c}`);
  const mask = BigInt('0x' + m[1]);
  const out: string[] = [];
  CAPABILITIES.forEach((c, i) => { if ((mask >> BigInt(i)) & 1n) out.push(`CAP_${c}`); });
  return out;
}

/** Bit mask of a set of CAP_ names (what /proc/<pid>/status shows as CapEff). */
export function capMask(caps: readonly string[]): bigint {
  let mask = 0n;
  for (const c of caps) {
    const i = CAPABILITIES.indexOf(c.replace(/^CAP_/, ''));
    if (i >= 0) mask |= 1n << BigInt(i);
  }
  return mask;
}

/**
 * Docker's rule (moby oci/caps TweakCapabilities): with "ALL" in add, everything the daemon
 * holds minus the drops; with "ALL" in drop, exactly the adds; otherwise the defaults minus the
 * drops plus the adds. Privileged means everything the daemon holds. Caps the daemon does not
 * hold are refused (runc would fail with "unable to apply caps").
 */
export function resolveCaps(opts: {
  privileged?: boolean; capAdd?: readonly string[]; capDrop?: readonly string[]; available: readonly string[];
}): string[] {
  const available = opts.available;
  if (opts.privileged) return [...available];
  const add = (opts.capAdd ?? []).map(normalizeCap);
  const drop = (opts.capDrop ?? []).map(normalizeCap);
  for (const c of add) {
    if (c !== 'ALL' && !available.includes(c)) {
      throw invalidParameter(`capability ${c} is not available to the daemon`);
    }
  }
  const uniq = (xs: string[]) => [...new Set(xs)];
  if (add.includes('ALL')) return available.filter((c) => !drop.includes(c));
  if (drop.includes('ALL')) return uniq(add);
  const base = DOCKER_DEFAULT_CAPS.filter((c) => available.includes(c) && !drop.includes(c));
  return uniq([...base, ...add]);
}
