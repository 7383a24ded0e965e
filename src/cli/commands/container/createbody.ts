/**
 * Turn run/create flags into the body of `POST /containers/create` the way the docker CLI
 * does (docker/cli's container/opts.go): Config + HostConfig + NetworkingConfig, with every
 * field the Go structs always send, so that the daemon sees what docker would have sent.
 */
import { readFileSync } from 'node:fs';
import type { ContainerCreateBody, HealthConfig, HostConfig, Mount } from '../../../api/types';
import { PROG, StatusError } from '../../command';
import { UsageError, type FlagValues } from '../../flags';
import { parseReference } from '../../reference';
import { parseGoDuration, ramInBytes } from '../../formatters/units';
import {
  expandEnv, labelsToMap, normalizeCaps, parseDevice, parseGpus, parseMount, parsePortSpecs, parseRestart, parseThrottleDevice,
  parseUlimit, parseWeightDevice, readKvFile,
} from './parseopts';

export interface CreateRequest {
  body: ContainerCreateBody & Record<string, unknown>;
  name?: string;
  platform?: string;
  pull: 'missing' | 'always' | 'never';
}

const list = (v: FlagValues, k: string): string[] => (v[k] as string[] | undefined) ?? [];
const str = (v: FlagValues, k: string): string => String(v[k] ?? '');
const num = (v: FlagValues, k: string): number => Number(v[k] ?? 0);

function bytesFlag(v: FlagValues, k: string): number {
  const raw = str(v, k);
  if (!raw) return 0;
  if (k === 'memory-swap' && raw === '-1') return -1;
  try {
    return ramInBytes(raw);
  } catch {
    throw new UsageError(`invalid argument "${raw}" for "${k === 'memory' ? '-m, --memory' : `--${k}`}" flag: invalid size: '${raw}'`);
  }
}

function durationNs(v: FlagValues, k: string): number {
  const raw = str(v, k);
  if (!raw) return 0;
  const ms = parseGoDuration(raw);
  if (ms === undefined) throw new UsageError(`invalid argument "${raw}" for "--${k}" flag: time: invalid duration "${raw}"`);
  return Math.round(ms * 1e6);
}

function healthcheck(v: FlagValues, changed: Set<string>): HealthConfig | undefined {
  const cmd = str(v, 'health-cmd');
  const any = ['health-cmd', 'health-interval', 'health-timeout', 'health-start-period', 'health-start-interval', 'health-retries'].some((f) => changed.has(f));
  if (v['no-healthcheck']) {
    if (any) throw new UsageError('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  if (!any) return undefined;
  const h: HealthConfig = {};
  if (cmd) h.Test = ['CMD-SHELL', cmd];
  const interval = durationNs(v, 'health-interval');
  const timeout = durationNs(v, 'health-timeout');
  const start = durationNs(v, 'health-start-period');
  const startInterval = durationNs(v, 'health-start-interval');
  if (interval) h.Interval = interval;
  if (timeout) h.Timeout = timeout;
  if (start) h.StartPeriod = start;
  if (startInterval) h.StartInterval = startInterval;
  if (num(v, 'health-retries')) h.Retries = num(v, 'health-retries');
  return h;
}

function securityOpts(values: string[]): string[] | null {
  if (!values.length) return null;
  return values.map((o) => {
    const m = /^seccomp[=:](.+)$/.exec(o);
    if (!m || m[1] === 'unconfined' || m[1] === 'builtin') return o;
    let text: string;
    try {
      text = readFileSync(m[1], 'utf8');
    } catch {
      throw new UsageError(`opening seccomp profile (${m[1]}) failed: open ${m[1]}: no such file or directory`);
    }
    return `seccomp=${JSON.stringify(JSON.parse(text))}`;
  });
}

const zeroEndpoint = () => ({
  IPAMConfig: null, Links: null, Aliases: null, MacAddress: '', DriverOpts: null, GwPriority: 0, NetworkID: '',
  EndpointID: '', Gateway: '', IPAddress: '', IPPrefixLen: 0, IPv6Gateway: '', GlobalIPv6Address: '',
  GlobalIPv6PrefixLen: 0, DNSNames: null,
});

function networking(v: FlagValues): { mode: string; endpoints: Record<string, unknown> } {
  const nets = list(v, 'network');
  const aliases = list(v, 'network-alias');
  const ip = str(v, 'ip');
  const ip6 = str(v, 'ip6');
  const linkLocal = list(v, 'link-local-ip');
  if (!nets.length) return { mode: 'default', endpoints: { default: zeroEndpoint() } };
  const endpoints: Record<string, unknown> = {};
  nets.forEach((n, idx) => {
    if (endpoints[n]) throw new UsageError(`network "${n}" is specified multiple times`);
    const hasOpts = idx === 0 && (aliases.length || ip || ip6 || linkLocal.length);
    if (idx === 0 && nets.length === 1 && !hasOpts) return;
    const ep: Record<string, unknown> = zeroEndpoint();
    if (idx === 0) {
      if (aliases.length) ep.Aliases = aliases;
      if (ip || ip6 || linkLocal.length) {
        ep.IPAMConfig = { IPv4Address: ip || undefined, IPv6Address: ip6 || undefined, LinkLocalIPs: linkLocal.length ? linkLocal : undefined };
      }
    }
    endpoints[n] = ep;
  });
  return { mode: nets[0], endpoints };
}

/** `[OPTIONS] IMAGE [COMMAND] [ARG...]` to a create request. `env` is our own environment. */
/** Flags docker only accepts for a Windows daemon; berthd is always Linux. */
const WINDOWS_ONLY = ['cpu-count', 'cpu-percent', 'io-maxbandwidth', 'io-maxiops'];

export function buildCreateRequest(v: FlagValues, args: string[], changed: Set<string>, env: NodeJS.ProcessEnv = process.env): CreateRequest {
  const windowsOnly = WINDOWS_ONLY.filter((f) => changed.has(f));
  if (windowsOnly.length) {
    throw new StatusError(1, windowsOnly.map((f) => `"--${f}" is only supported on a Berth daemon running on windows, but the Berth daemon is running on linux`).join('\n'));
  }
  const [image, ...cmd] = args;
  const pull = str(v, 'pull') || 'missing';
  if (!['missing', 'always', 'never'].includes(pull)) {
    throw new UsageError(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  }
  const attach = list(v, 'attach').map((a) => a.toLowerCase());
  for (const a of attach) {
    if (!['stdin', 'stdout', 'stderr'].includes(a)) {
      throw new UsageError(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
    }
  }
  const interactive = !!v.interactive;
  const attachStdin = attach.includes('stdin') || interactive;
  let attachStdout = attach.includes('stdout');
  let attachStderr = attach.includes('stderr');
  if (!attach.length) attachStdout = attachStderr = true;

  const envList = [...list(v, 'env-file').flatMap((f) => readKvFile(f, env, true)), ...expandEnv(list(v, 'env'), env)];
  const labels = labelsToMap([...list(v, 'label-file').flatMap((f) => readKvFile(f, env, false)), ...list(v, 'label')]);
  const { exposed, bindings } = parsePortSpecs(list(v, 'publish'), list(v, 'expose'));

  const binds: string[] = [];
  const volumes: Record<string, object> = {};
  for (const spec of list(v, 'volume')) {
    const parts = spec.split(':');
    if (parts.length > 1 && parts[1] !== '') binds.push(spec);
    else volumes[spec] = {};
  }
  const mounts: Mount[] = list(v, 'mount').map(parseMount);
  const tmpfs: Record<string, string> = {};
  for (const t of list(v, 'tmpfs')) {
    const c = t.indexOf(':');
    if (c < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, c)] = t.slice(c + 1);
  }
  const restart = parseRestart(str(v, 'restart'));
  if (v.rm && restart.Name !== 'no' && restart.Name !== '') {
    throw new UsageError('conflicting options: cannot specify both --restart and --rm');
  }
  let entrypoint: string[] | null = null;
  if (str(v, 'entrypoint')) entrypoint = [str(v, 'entrypoint')];
  else if (changed.has('entrypoint')) entrypoint = [''];
  const cpus = str(v, 'cpus');
  let nanoCpus = 0;
  if (cpus) {
    const f = Number(cpus);
    if (!Number.isFinite(f)) throw new UsageError(`invalid argument "${cpus}" for "--cpus" flag: failed to parse ${cpus} as a rational number`);
    nanoCpus = Math.round(f * 1e9);
  }
  const logOpts = labelsToMap(list(v, 'log-opt'));
  const sysctls = labelsToMap(list(v, 'sysctl'));
  const storageOpts = labelsToMap(list(v, 'storage-opt'));
  const annotations = labelsToMap(list(v, 'annotation'));
  const { mode, endpoints } = networking(v);
  const health = healthcheck(v, changed);

  const hostConfig: HostConfig & Record<string, unknown> = {
    Binds: binds.length ? binds : null,
    ContainerIDFile: str(v, 'cidfile'),
    LogConfig: { Type: str(v, 'log-driver'), Config: logOpts },
    NetworkMode: mode,
    PortBindings: bindings,
    RestartPolicy: restart,
    AutoRemove: !!v.rm,
    VolumeDriver: str(v, 'volume-driver'),
    VolumesFrom: list(v, 'volumes-from').length ? list(v, 'volumes-from') : null,
    ConsoleSize: [0, 0],
    ...(Object.keys(annotations).length ? { Annotations: annotations } : {}),
    CapAdd: normalizeCaps(list(v, 'cap-add')),
    CapDrop: normalizeCaps(list(v, 'cap-drop')),
    CgroupnsMode: str(v, 'cgroupns'),
    Dns: list(v, 'dns'),
    DnsOptions: list(v, 'dns-option'),
    DnsSearch: list(v, 'dns-search'),
    ExtraHosts: list(v, 'add-host').length ? list(v, 'add-host') : null,
    GroupAdd: list(v, 'group-add').length ? list(v, 'group-add') : null,
    IpcMode: str(v, 'ipc'),
    Cgroup: '',
    Links: list(v, 'link').length ? list(v, 'link') : null,
    OomScoreAdj: num(v, 'oom-score-adj'),
    PidMode: str(v, 'pid'),
    Privileged: !!v.privileged,
    PublishAllPorts: !!v['publish-all'],
    ReadonlyRootfs: !!v['read-only'],
    SecurityOpt: securityOpts(list(v, 'security-opt')),
    ...(Object.keys(storageOpts).length ? { StorageOpt: storageOpts } : {}),
    ...(Object.keys(tmpfs).length ? { Tmpfs: tmpfs } : {}),
    UTSMode: str(v, 'uts'),
    UsernsMode: str(v, 'userns'),
    ShmSize: bytesFlag(v, 'shm-size'),
    ...(Object.keys(sysctls).length ? { Sysctls: sysctls } : {}),
    ...(str(v, 'runtime') ? { Runtime: str(v, 'runtime') } : {}),
    Isolation: str(v, 'isolation'),
    CpuShares: num(v, 'cpu-shares'),
    Memory: bytesFlag(v, 'memory'),
    NanoCpus: nanoCpus,
    CgroupParent: str(v, 'cgroup-parent'),
    BlkioWeight: num(v, 'blkio-weight'),
    BlkioWeightDevice: list(v, 'blkio-weight-device').map(parseWeightDevice),
    BlkioDeviceReadBps: list(v, 'device-read-bps').map((d) => parseThrottleDevice('device-read-bps', d, true)),
    BlkioDeviceWriteBps: list(v, 'device-write-bps').map((d) => parseThrottleDevice('device-write-bps', d, true)),
    BlkioDeviceReadIOps: list(v, 'device-read-iops').map((d) => parseThrottleDevice('device-read-iops', d, false)),
    BlkioDeviceWriteIOps: list(v, 'device-write-iops').map((d) => parseThrottleDevice('device-write-iops', d, false)),
    CpuPeriod: num(v, 'cpu-period'),
    CpuQuota: num(v, 'cpu-quota'),
    CpuRealtimePeriod: num(v, 'cpu-rt-period'),
    CpuRealtimeRuntime: num(v, 'cpu-rt-runtime'),
    CpusetCpus: str(v, 'cpuset-cpus'),
    CpusetMems: str(v, 'cpuset-mems'),
    Devices: list(v, 'device').map(parseDevice),
    DeviceCgroupRules: list(v, 'device-cgroup-rule').length ? list(v, 'device-cgroup-rule') : null,
    DeviceRequests: str(v, 'gpus') ? [parseGpus(str(v, 'gpus'))] : null,
    MemoryReservation: bytesFlag(v, 'memory-reservation'),
    MemorySwap: bytesFlag(v, 'memory-swap'),
    MemorySwappiness: num(v, 'memory-swappiness'),
    OomKillDisable: !!v['oom-kill-disable'],
    PidsLimit: num(v, 'pids-limit'),
    Ulimits: list(v, 'ulimit').map(parseUlimit),
    CpuCount: 0,
    CpuPercent: 0,
    IOMaximumIOps: 0,
    IOMaximumBandwidth: 0,
    ...(mounts.length ? { Mounts: mounts } : {}),
    MaskedPaths: null,
    ReadonlyPaths: null,
    ...(changed.has('init') ? { Init: !!v.init } : {}),
  };

  const body: ContainerCreateBody & Record<string, unknown> = {
    Hostname: str(v, 'hostname'),
    Domainname: str(v, 'domainname'),
    User: str(v, 'user'),
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    ...(Object.keys(exposed).length ? { ExposedPorts: exposed } : {}),
    Tty: !!v.tty,
    OpenStdin: interactive,
    StdinOnce: interactive,
    Env: envList.length ? envList : null,
    Cmd: cmd.length ? cmd : null,
    ...(health ? { Healthcheck: health } : {}),
    Image: image,
    Volumes: volumes,
    WorkingDir: str(v, 'workdir'),
    Entrypoint: entrypoint,
    ...(str(v, 'mac-address') ? { MacAddress: str(v, 'mac-address') } : {}),
    OnBuild: null,
    Labels: labels,
    ...(str(v, 'stop-signal') ? { StopSignal: str(v, 'stop-signal') } : {}),
    ...(changed.has('stop-timeout') ? { StopTimeout: num(v, 'stop-timeout') } : {}),
    HostConfig: hostConfig,
    NetworkingConfig: { EndpointsConfig: endpoints as never },
  };
  return { body, name: str(v, 'name') || undefined, platform: str(v, 'platform') || undefined, pull: pull as CreateRequest['pull'] };
}

/**
 * buildCreateRequest for a command: errors of flag values keep pflag's usage shape, the
 * others are printed as docker's run/create print them (`berth: ...`, exit 125).
 */
export function buildRequest(verb: string, v: FlagValues, args: string[], changed: Set<string>): CreateRequest {
  try {
    parseReference(args[0]);
  } catch (e) {
    // docker checks the image reference before anything else; create prints it bare
    if (verb === 'create') throw new StatusError(1, (e as Error).message);
    throw new StatusError(125, `${PROG}: ${(e as Error).message}\n\nRun '${PROG} ${verb} --help' for more information`);
  }
  try {
    return buildCreateRequest(v, args, changed);
  } catch (e) {
    if (e instanceof UsageError && !e.message.startsWith('invalid argument "')) {
      throw new StatusError(125, `${PROG}: ${e.message}\n\nRun '${PROG} ${verb} --help' for more information`);
    }
    throw e;
  }
}

/** What `docker run -d` changes: nothing is attached and stdin is not closed after one attach. */
export function detachBody(body: ContainerCreateBody): void {
  body.AttachStdin = false;
  body.AttachStdout = false;
  body.AttachStderr = false;
  body.StdinOnce = false;
}
