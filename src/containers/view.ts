import type { HostConfig } from '../api/types';
import { humanDuration } from '../util/units';
import { type ContainerRecord, parseTime, statusOf } from './record';
import { networkMode } from './spec';

/** Docker's State.String(): "Up 3 seconds", "Exited (0) 2 minutes ago", "Created". */
export function statusText(c: ContainerRecord, now = Date.now()): string {
  const s = c.state;
  if (s.Running) {
    const up = `Up ${humanDuration(now - parseTime(s.StartedAt))}`;
    if (s.Paused) return `${up} (Paused)`;
    if (s.Restarting) return `Restarting (${s.ExitCode}) ${humanDuration(now - parseTime(s.FinishedAt))} ago`;
    const health = (s as { Health?: { Status: string } }).Health?.Status;
    if (health) return `${up} (${health === 'starting' ? 'health: starting' : health})`;
    return up;
  }
  if (s.RemovalInProgress) return 'Removal In Progress';
  if (s.Dead) return 'Dead';
  if (!parseTime(s.StartedAt)) return 'Created';
  if (!parseTime(s.FinishedAt)) return '';
  return `Exited (${s.ExitCode}) ${humanDuration(now - parseTime(s.FinishedAt))} ago`;
}

/** HostConfig with the defaults dockerd fills in, as inspect shows it. */
export function fullHostConfig(hc: HostConfig): HostConfig {
  return {
    Binds: null, ContainerIDFile: '', LogConfig: { Type: 'json-file', Config: {} }, NetworkMode: 'default',
    PortBindings: {}, RestartPolicy: { Name: 'no', MaximumRetryCount: 0 }, AutoRemove: false, VolumeDriver: '',
    VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null, CgroupnsMode: 'host', Dns: [], DnsOptions: [],
    DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: 'private', Cgroup: '', Links: null, OomScoreAdj: 0,
    PidMode: '', Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '',
    UsernsMode: '', ShmSize: 67108864, Runtime: 'runc', Isolation: '', CpuShares: 0, Memory: 0, NanoCpus: 0,
    CgroupParent: '', BlkioWeight: 0, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0,
    CpusetCpus: '', CpusetMems: '', Devices: [], DeviceCgroupRules: null, MemoryReservation: 0, MemorySwap: 0,
    MemorySwappiness: null, OomKillDisable: null, PidsLimit: null, Ulimits: [],
    MaskedPaths: hc.Privileged ? null : [
      '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats',
      '/proc/timer_list', '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
    ],
    ReadonlyPaths: hc.Privileged ? null : ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    ...stripUndefined(hc),
    // What dockerd fills in or clears at create (the CLI sends these): an empty mode is the
    // daemon's default (host cgroup namespace on cgroup v1, a private IPC namespace),
    // swappiness -1 and a pids limit of 0 or less mean "not set".
    ...(hc.CgroupnsMode ? {} : { CgroupnsMode: 'host' }),
    ...(hc.IpcMode ? {} : { IpcMode: 'private' }),
    ...(hc.MemorySwappiness === -1 ? { MemorySwappiness: null } : {}),
    ...(typeof hc.PidsLimit === 'number' && hc.PidsLimit <= 0 ? { PidsLimit: null } : {}),
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function networks(c: ContainerRecord, defaultMode: 'none' | 'bridge'): Record<string, unknown> {
  const mode = networkMode(c, defaultMode);
  if (mode.startsWith('container:')) return {};
  const name = mode === 'default' ? 'bridge' : mode;
  return {
    [name]: {
      IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '',
      EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '',
      GlobalIPv6PrefixLen: 0, DNSNames: null,
    },
  };
}

export interface ViewContext {
  defaultNetworkMode: 'none' | 'bridge';
  /** Networking's part of NetworkSettings (Networks, Ports, addresses) and of the list's Ports. */
  networkSettings?: (c: ContainerRecord) => Record<string, unknown>;
  ports?: (c: ContainerRecord) => Record<string, unknown>[];
  graphDriver: (id: string) => { Name: string; Data: object | null };
  /** The container's Mounts (volumes, binds, tmpfs) as inspect and ps show them. */
  mounts?: (id: string) => Record<string, unknown>[];
}

/** The state as the API shows it: RemovalInProgress is the daemon's own (moby: `json:"-"`). */
function publicState(s: ContainerRecord['state']): Omit<ContainerRecord['state'], 'RemovalInProgress'> {
  const { RemovalInProgress: _removing, ...rest } = s;
  return rest;
}

/** GET /containers/{id}/json, in the shape `docker inspect` prints. */
export function inspectView(c: ContainerRecord, ctx: ViewContext, size?: { sizeRw: number; sizeRootFs: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: c.id,
    Created: c.created,
    Path: c.path,
    Args: c.args,
    State: { Status: statusOf(c.state), ...publicState(c.state) },
    Image: c.image,
    ResolvConfPath: c.resolvConfPath,
    HostnamePath: c.hostnamePath,
    HostsPath: c.hostsPath,
    LogPath: c.logPath,
    Name: c.name,
    RestartCount: c.restartCount,
    Driver: 'overlay2',
    Platform: 'linux',
    MountLabel: '',
    ProcessLabel: '',
    AppArmorProfile: '',
    ExecIDs: c.execIds.length ? c.execIds : null,
    HostConfig: fullHostConfig(c.hostConfig),
    GraphDriver: ctx.graphDriver(c.id),
  };
  if (size) { out.SizeRw = size.sizeRw; out.SizeRootFs = size.sizeRootFs; }
  Object.assign(out, {
    Mounts: ctx.mounts?.(c.id) ?? [],
    Config: {
      Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
      Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: c.imageRef, Volumes: null,
      WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: {},
      ...stripUndefined(c.config),
    },
    NetworkSettings: {
      Bridge: '', SandboxID: '', SandboxKey: '', Ports: {}, HairpinMode: false, LinkLocalIPv6Address: '',
      LinkLocalIPv6PrefixLen: 0, SecondaryIPAddresses: null, SecondaryIPv6Addresses: null, EndpointID: '', Gateway: '',
      GlobalIPv6Address: '', GlobalIPv6PrefixLen: 0, IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', MacAddress: '',
      Networks: networks(c, ctx.defaultNetworkMode),
      ...ctx.networkSettings?.(c),
    },
  });
  return out;
}

/** One entry of GET /containers/json. */
export function listView(c: ContainerRecord, ctx: ViewContext, size?: { sizeRw: number; sizeRootFs: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    Id: c.id,
    Names: [c.name],
    Image: c.imageRef,
    ImageID: c.image,
    // as dockerd's list: an argument with a space in it is put in single quotes
    Command: c.args.length ? `${c.path} ${c.args.map((a) => (a.includes(' ') ? `'${a}'` : a)).join(' ')}` : c.path,
    Created: Math.floor(parseTime(c.created) / 1000),
    Ports: ctx.ports?.(c) ?? [],
    Labels: c.config.Labels ?? {},
    State: statusOf(c.state),
    Status: statusText(c),
    HostConfig: { NetworkMode: c.hostConfig.NetworkMode ?? 'default' },
    NetworkSettings: { Networks: (ctx.networkSettings?.(c).Networks as Record<string, unknown> | undefined) ?? networks(c, ctx.defaultNetworkMode) },
    Mounts: ctx.mounts?.(c.id) ?? [],
  };
  if (size) { out.SizeRw = size.sizeRw; out.SizeRootFs = size.sizeRootFs; }
  return out;
}
