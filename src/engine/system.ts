import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import * as os from 'node:os';
import { API_VERSION, BERTH_VERSION, ENGINE_VERSION, MIN_API_VERSION } from '../api/version';
import { statusOf } from '../containers/record';
import type { Engine } from './engine';
import { runChecked } from '../util/spawn';

let toolVersions: Promise<{ runc: string; runcCommit: string; conmon: string }> | undefined;

/** Asked once per daemon life: `runc --version` and `conmon --version`. */
function versions(engine: Engine) {
  toolVersions ??= (async () => {
    const out = { runc: '', runcCommit: '', conmon: '' };
    try {
      const r = await runChecked(engine.runtime.runtimePath, ['--version']);
      out.runc = /runc version (\S+)/.exec(r)?.[1] ?? '';
      out.runcCommit = /commit: (\S+)/.exec(r)?.[1] ?? '';
    } catch { /* reported as empty */ }
    try { out.conmon = /conmon version (\S+)/.exec((await runChecked(engine.runtime.conmonPath, ['--version'])))?.[1] ?? ''; } catch { /* empty */ }
    return out;
  })();
  return toolVersions;
}

function osName(): string {
  try {
    return /^PRETTY_NAME="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  } catch { return 'Linux'; }
}

function osVersion(): string {
  try { return /^VERSION_ID="?([^"\n]*)"?/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? ''; } catch { return ''; }
}

/** "2" when the unified hierarchy is mounted with controllers, else "1" (this host's hybrid layout). */
export function cgroupVersion(): '1' | '2' {
  try {
    if (readFileSync('/sys/fs/cgroup/cgroup.controllers', 'utf8').trim() !== '') return '2';
  } catch { /* not v2 at the root */ }
  return '1';
}

const ARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };

export async function systemVersion(engine: Engine): Promise<Record<string, unknown>> {
  const v = await versions(engine);
  const details = {
    ApiVersion: API_VERSION, Arch: ARCH[process.arch] ?? process.arch, BuildTime: '', Experimental: 'false', GitCommit: '',
    GoVersion: `node ${process.version}`, KernelVersion: os.release(), MinAPIVersion: MIN_API_VERSION, Os: 'linux',
  };
  return {
    Platform: { Name: 'Berth Engine' },
    Components: [
      { Name: 'Engine', Version: ENGINE_VERSION, Details: details },
      { Name: 'runc', Version: v.runc, Details: { GitCommit: v.runcCommit } },
      { Name: 'conmon', Version: v.conmon, Details: { GitCommit: '' } },
      { Name: 'berth', Version: BERTH_VERSION, Details: { GitCommit: '' } },
    ],
    Version: ENGINE_VERSION,
    ApiVersion: API_VERSION,
    MinAPIVersion: MIN_API_VERSION,
    GitCommit: '',
    GoVersion: `node ${process.version}`,
    Os: 'linux',
    Arch: details.Arch,
    KernelVersion: os.release(),
    BuildTime: '',
  };
}

export async function systemInfo(engine: Engine): Promise<Record<string, unknown>> {
  const all = engine.containers.store.all();
  const count = (s: string) => all.filter((c) => statusOf(c.state) === s).length;
  const running = count('running');
  const paused = count('paused');
  const v = await versions(engine);
  const cg = cgroupVersion();
  const v1 = (ctrl: string) => cg === '1' && existsSync(`/sys/fs/cgroup/${ctrl}`);
  const ipv4Forward = (() => { try { return readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim() === '1'; } catch { return false; } })();
  return {
    ID: daemonId(engine),
    Containers: all.length,
    ContainersRunning: running,
    ContainersPaused: paused,
    ContainersStopped: all.length - running - paused,
    Images: engine.images.list({ all: false }).length,
    Driver: 'overlay2',
    DriverStatus: [['Backing Filesystem', 'extfs'], ['Supports d_type', 'true'], ['Using metacopy', 'false'], ['Native Overlay Diff', 'true'], ['userxattr', 'false']],
    Plugins: { Volume: ['local'], Network: ['bridge', 'host', 'none'], Authorization: null, Log: ['json-file', 'k8s-file'] },
    MemoryLimit: v1('memory') || cg === '2',
    SwapLimit: v1('memory') && existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    CpuCfsPeriod: v1('cpu') || cg === '2',
    CpuCfsQuota: v1('cpu') || cg === '2',
    CPUShares: v1('cpu') || cg === '2',
    CPUSet: v1('cpuset') || cg === '2',
    PidsLimit: v1('pids') || cg === '2',
    IPv4Forwarding: ipv4Forward,
    Debug: engine.config.logLevel === 'debug',
    NFd: countFds(),
    OomKillDisable: cg === '1',
    NGoroutines: 0,
    SystemTime: new Date().toISOString(),
    LoggingDriver: 'json-file',
    CgroupDriver: 'cgroupfs',
    CgroupVersion: cg,
    NEventsListener: 0,
    KernelVersion: os.release(),
    OperatingSystem: osName(),
    OSVersion: osVersion(),
    OSType: 'linux',
    Architecture: os.machine(),
    IndexServerAddress: 'https://index.docker.io/v1/',
    RegistryConfig: { IndexConfigs: {}, InsecureRegistryCIDRs: ['::1/128', '127.0.0.0/8'], Mirrors: [] },
    NCPU: os.cpus().length,
    MemTotal: os.totalmem(),
    GenericResources: null,
    DockerRootDir: engine.config.dataRoot,
    HttpProxy: process.env.HTTP_PROXY ?? '',
    HttpsProxy: process.env.HTTPS_PROXY ?? '',
    NoProxy: process.env.NO_PROXY ?? '',
    Name: os.hostname(),
    Labels: [],
    ExperimentalBuild: false,
    ServerVersion: ENGINE_VERSION,
    Runtimes: { runc: { path: engine.runtime.runtimePath } },
    DefaultRuntime: 'runc',
    Swarm: { NodeID: '', NodeAddr: '', LocalNodeState: 'inactive', ControlAvailable: false, Error: '', RemoteManagers: null },
    LiveRestoreEnabled: engine.config.liveRestore,
    Isolation: '',
    InitBinary: 'tini',
    ContainerdCommit: { ID: '' },
    RuncCommit: { ID: v.runcCommit },
    InitCommit: { ID: '' },
    SecurityOptions: ['name=cgroupns', ...(engine.idMapping ? ['name=userns'] : [])],
    CDISpecDirs: [],
    Warnings: engine.config.bridge === 'none' ? [] : ['WARNING: bridge networking is not implemented yet in berth: containers on the default network get only a loopback interface'],
  };
}

function countFds(): number {
  try { return readdirSync('/proc/self/fd').length; } catch { return 0; }
}

/** A stable daemon ID, kept in the database. */
function daemonId(engine: Engine): string {
  engine.db.exec('CREATE TABLE IF NOT EXISTS daemon (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const row = engine.db.prepare("SELECT value FROM daemon WHERE key = 'id'").get() as { value: string } | undefined;
  if (row) return row.value;
  const id = randomUUID();
  engine.db.prepare("INSERT INTO daemon (key, value) VALUES ('id', ?)").run(id);
  return id;
}
