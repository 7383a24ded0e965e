import { invalidParameter } from '../errdefs';
import type { OciProcess, OciSpec } from './types';
import { boundingCaps, resolveCaps } from './caps';
import {
  DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, OciDevice, OciMount, Rlimit,
  defaultDeviceRules, defaultMounts, hostDevices, resolveRlimits,
} from './spec-defaults';

/**
 * Runtime-neutral description of a container, turned into an OCI runtime-spec 1.0.2
 * config.json by buildSpec(). The containers layer resolves users, images and paths; this
 * module only knows what runc needs and what Docker's defaults are.
 */

/** "new" = a namespace of its own, "host" = share the host's, { path } = join that one (netns file, /proc/<pid>/ns/...). */
export type NamespaceMode = 'new' | 'host' | { path: string };

export interface UserSpec { uid: number; gid: number; additionalGids?: number[]; umask?: number }

export interface SpecMount {
  destination: string;
  /** 'bind' (source is a host path) or 'tmpfs'. */
  type: 'bind' | 'tmpfs';
  source?: string;
  readonly?: boolean;
  /** Extra mount options, e.g. ['rprivate'], ['size=65536k', 'mode=1777'] for tmpfs. */
  options?: string[];
}

export interface SpecInput {
  id: string;
  rootfs: string;
  readonlyRootfs?: boolean;
  args: string[];
  env: string[];
  cwd?: string;
  user: UserSpec;
  terminal: boolean;
  /** Initial TTY size (docker's HostConfig.ConsoleSize [height, width]); runc sets it on the new pty. */
  consoleSize?: { height: number; width: number };
  hostname?: string;
  domainname?: string;
  namespaces?: { network?: NamespaceMode; pid?: NamespaceMode; ipc?: NamespaceMode; uts?: 'new' | 'host' };
  /** Bind mounts (hosts, hostname, resolv.conf from the container dir; user binds) and tmpfs. */
  mounts?: SpecMount[];
  /** /dev/shm size in bytes (docker's default 64 MiB). */
  shmSize?: number;
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
  /** Capabilities the daemon holds (default: CapBnd of this process). */
  availableCaps?: string[];
  noNewPrivileges?: boolean;
  rlimits?: Rlimit[];
  oomScoreAdj?: number;
  sysctl?: Record<string, string>;
  /** Extra devices (docker --device), added to the defaults and allowed in the device cgroup. */
  devices?: OciDevice[];
  /** OCI linux.resources (memory, cpu, pids, blockIO ...); device rules are filled in here. */
  resources?: Record<string, unknown>;
  /** Seccomp profile (OCI linux.seccomp). Not applied by default yet: the seccomp issue fills this in. */
  seccomp?: Record<string, unknown>;
  /** Defaults to /berth/<id>. */
  cgroupsPath?: string;
  annotations?: Record<string, string>;
}

export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

function namespace(type: string, mode: NamespaceMode | undefined): { type: string; path?: string } | null {
  if (mode === undefined || mode === 'new') return { type };
  if (mode === 'host') return null;
  if (!mode.path.startsWith('/')) throw invalidParameter(`invalid ${type} namespace path: ${mode.path}`);
  return { type, path: mode.path };
}

function mountOf(m: SpecMount): OciMount {
  if (!m.destination.startsWith('/')) throw invalidParameter(`invalid mount config: mount path must be absolute: ${m.destination}`);
  if (m.type === 'tmpfs') {
    const opts = ['nosuid', 'nodev', 'noexec', ...(m.options ?? [])];
    if (m.readonly) opts.push('ro');
    return { destination: m.destination, type: 'tmpfs', source: 'tmpfs', options: opts };
  }
  if (!m.source) throw invalidParameter(`invalid mount config: bind mount of ${m.destination} needs a source`);
  const opts = ['rbind', ...(m.options ?? [])];
  if (!opts.some((o) => /^r?(private|shared|slave)$/.test(o))) opts.push('rprivate');
  opts.push(m.readonly ? 'ro' : 'rw');
  return { destination: m.destination, type: 'bind', source: m.source, options: opts };
}

/** Builds config.json for runc. Throws InvalidParameter for bad capabilities, mounts or namespace paths. */
export function buildSpec(input: SpecInput): OciSpec {
  const privileged = input.privileged === true;
  const available = input.availableCaps ?? boundingCaps();
  const caps = resolveCaps({ privileged, capAdd: input.capAdd, capDrop: input.capDrop, available });
  const ns = input.namespaces ?? {};
  const namespaces = [
    namespace('pid', ns.pid), namespace('network', ns.network), namespace('ipc', ns.ipc),
    ns.uts === 'host' ? null : { type: 'uts' }, { type: 'mount' },
  ].filter((n): n is { type: string; path?: string } => n !== null);

  // User mounts replace defaults at the same destination (docker: a tmpfs on /dev/shm wins).
  const userMounts = (input.mounts ?? []).map(mountOf);
  const taken = new Set(userMounts.map((m) => m.destination));
  const mounts = [...defaultMounts(input.shmSize ?? DEFAULT_SHM_SIZE, privileged).filter((m) => !taken.has(m.destination)), ...userMounts];
  if (ns.ipc !== undefined && ns.ipc !== 'new') {
    // Sharing an IPC namespace means sharing its /dev/shm too; the caller bind-mounts it.
    const i = mounts.findIndex((m) => m.destination === '/dev/shm' && m.source === 'shm');
    if (i >= 0 && ns.ipc === 'host') mounts[i] = { destination: '/dev/shm', type: 'bind', source: '/dev/shm', options: ['rbind', 'rprivate', 'rw'] };
  }

  const devices = [...(privileged ? hostDevices() : []), ...(input.devices ?? [])];
  const deviceRules = privileged
    ? [{ allow: true, access: 'rwm' }]
    : [...defaultDeviceRules(), ...(input.devices ?? []).map((d) => ({ allow: true, type: d.type, major: d.major, minor: d.minor, access: 'rwm' }))];

  const linux: Record<string, unknown> = {
    namespaces,
    cgroupsPath: input.cgroupsPath ?? `/berth/${input.id}`,
    resources: { ...(input.resources ?? {}), devices: deviceRules },
    devices,
    maskedPaths: privileged ? [] : [...DOCKER_MASKED_PATHS],
    readonlyPaths: privileged ? [] : [...DOCKER_READONLY_PATHS],
  };
  if (input.sysctl && Object.keys(input.sysctl).length) linux.sysctl = { ...input.sysctl };
  // Seccomp hook: when a profile is given it goes in as is; the default profile is a later issue.
  if (input.seccomp && !privileged) linux.seccomp = input.seccomp;

  const spec: OciSpec = {
    ociVersion: '1.0.2',
    process: buildProcess({
      args: input.args, env: input.env, cwd: input.cwd, user: input.user, terminal: input.terminal, caps,
      consoleSize: input.consoleSize, noNewPrivileges: input.noNewPrivileges, rlimits: resolveRlimits(input.rlimits), oomScoreAdj: input.oomScoreAdj,
    }),
    root: { path: input.rootfs, readonly: input.readonlyRootfs === true },
    hostname: ns.uts === 'host' ? undefined : input.hostname,
    mounts,
    linux,
  };
  if (input.domainname) spec.domainname = input.domainname;
  if (spec.hostname === undefined) delete spec.hostname;
  if (input.annotations) spec.annotations = { ...input.annotations };
  return spec;
}

interface ProcessInput {
  args: string[]; env: string[]; cwd?: string; user: UserSpec; terminal: boolean; caps: string[];
  consoleSize?: { height: number; width: number }; noNewPrivileges?: boolean; rlimits?: Rlimit[]; oomScoreAdj?: number;
}

function buildProcess(p: ProcessInput): OciProcess {
  if (p.args.length === 0) throw invalidParameter('no command specified');
  const cwd = p.cwd && p.cwd !== '' ? p.cwd : '/';
  if (!cwd.startsWith('/')) throw invalidParameter(`the working directory '${cwd}' is invalid, it needs to be an absolute path`);
  const user: Record<string, unknown> = { uid: p.user.uid, gid: p.user.gid };
  if (p.user.additionalGids?.length) user.additionalGids = [...p.user.additionalGids];
  if (p.user.umask !== undefined) user.umask = p.user.umask;
  // Docker gives a non-root user no effective/permitted caps (ambient caps are not used).
  const root = p.user.uid === 0;
  const process: OciProcess = {
    terminal: p.terminal,
    user,
    args: [...p.args],
    env: [...p.env],
    cwd,
    capabilities: {
      bounding: [...p.caps], effective: root ? [...p.caps] : [], permitted: root ? [...p.caps] : [],
      inheritable: [],
    },
    noNewPrivileges: p.noNewPrivileges === true,
  };
  if (p.terminal && p.consoleSize && p.consoleSize.height > 0 && p.consoleSize.width > 0) {
    process.consoleSize = { height: Math.trunc(p.consoleSize.height), width: Math.trunc(p.consoleSize.width) };
  }
  if (p.rlimits?.length) process.rlimits = p.rlimits.map((r) => ({ ...r }));
  if (p.oomScoreAdj !== undefined) process.oomScoreAdj = p.oomScoreAdj;
  return process;
}

export interface ExecInput {
  args: string[];
  env: string[];
  cwd?: string;
  user: UserSpec;
  terminal: boolean;
  consoleSize?: { height: number; width: number };
  privileged?: boolean;
  /** The container's own process caps are reused unless privileged. */
  containerSpec: OciSpec;
  availableCaps?: string[];
}

/**
 * Process spec for `runc exec --process`: the container's process settings (caps, rlimits,
 * noNewPrivileges, apparmor) with the exec's args, env, cwd, user and terminal.
 */
export function buildExecProcess(input: ExecInput): OciProcess {
  const base = (input.containerSpec.process ?? {}) as OciProcess;
  const caps: string[] = input.privileged
    ? input.availableCaps ?? boundingCaps()
    : [...(base.capabilities?.bounding ?? [])];
  const proc = buildProcess({
    args: input.args, env: input.env, cwd: input.cwd ?? base.cwd, user: input.user, terminal: input.terminal, caps,
    consoleSize: input.consoleSize, noNewPrivileges: base.noNewPrivileges, rlimits: base.rlimits,
  });
  if (base.apparmorProfile) proc.apparmorProfile = base.apparmorProfile;
  if (base.selinuxLabel) proc.selinuxLabel = base.selinuxLabel;
  return proc;
}
