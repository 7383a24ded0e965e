import { readFileSync } from 'node:fs';
import { invalidParameter } from '../errdefs';
import { type LogLevel, isLogLevel } from '../util/log';

/** Daemon settings, with dockerd's flag and daemon.json key names. */
export interface DaemonConfig {
  dataRoot: string;
  execRoot: string;
  hosts: string[];
  pidfile: string;
  logLevel: LogLevel;
  liveRestore: boolean;
  /** "none" disables the default bridge network. */
  bridge: string;
  bip?: string;
  defaultAddressPools?: { base: string; size: number }[];
  /** Networking (dockerd's names): inter-container traffic on the default bridge, iptables rules, ip_forward, masquerading, MTU. */
  icc?: boolean;
  iptables?: boolean;
  ipForward?: boolean;
  ipMasq?: boolean;
  mtu?: number;
  group?: string;
  debug: boolean;
  /** Default log-opts for containers (daemon.json "log-opts"). */
  logOpts: Record<string, string>;
  /** TCP listeners: --tls / --tlsverify (undefined: not given; see src/server/listeners-policy.ts). */
  tls?: boolean;
  tlsVerify?: boolean;
  tlsCaCert?: string;
  tlsCert?: string;
  tlsKey?: string;
  /** Registries (dockerd's names): plain HTTP / unverified TLS allowed, docker.io mirrors, and Berth's certs.d root. */
  insecureRegistries?: string[];
  registryMirrors?: string[];
  certsDir?: string;
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
  /** --userns-remap: default | USER[:GROUP] | UID[:GID] (see ./userns-remap.ts). */
  usernsRemap?: string;
}

export const DEFAULTS: DaemonConfig = {
  dataRoot: '/var/lib/berth',
  execRoot: '/run/berth',
  hosts: [],
  pidfile: '/run/berth.pid',
  logLevel: 'info',
  liveRestore: true,
  bridge: '',
  debug: false,
  logOpts: {},
};

/** daemon.json keys we understand (dockerd's names) -> config fields. */
const KEYS: Record<string, keyof DaemonConfig> = {
  'data-root': 'dataRoot', 'exec-root': 'execRoot', hosts: 'hosts', pidfile: 'pidfile', 'log-level': 'logLevel',
  'live-restore': 'liveRestore', bridge: 'bridge', bip: 'bip', 'default-address-pools': 'defaultAddressPools',
  group: 'group', debug: 'debug', 'log-opts': 'logOpts',
  icc: 'icc', iptables: 'iptables', 'ip-forward': 'ipForward', 'ip-masq': 'ipMasq', mtu: 'mtu',
  tls: 'tls', tlsverify: 'tlsVerify', tlscacert: 'tlsCaCert', tlscert: 'tlsCert', tlskey: 'tlsKey',
  'insecure-registries': 'insecureRegistries', 'registry-mirrors': 'registryMirrors', 'certs-dir': 'certsDir',
  'max-concurrent-downloads': 'maxConcurrentDownloads', 'max-concurrent-uploads': 'maxConcurrentUploads',
  'userns-remap': 'usernsRemap',
};

export function readConfigFile(file: string): Partial<DaemonConfig> {
  let raw: string;
  try { raw = readFileSync(file, 'utf8'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw e;
  }
  let json: Record<string, unknown>;
  try { json = JSON.parse(raw); } catch (e) {
    throw invalidParameter(`unable to configure the Docker daemon with file ${file}: ${(e as Error).message}`);
  }
  const out: Partial<DaemonConfig> = {};
  for (const [k, v] of Object.entries(json)) {
    const field = KEYS[k];
    if (!field) continue; // dockerd keys Berth does not use yet are accepted and ignored
    (out as Record<string, unknown>)[field] = v;
  }
  if (out.logLevel && !isLogLevel(out.logLevel)) throw invalidParameter(`invalid log level: ${out.logLevel}`);
  return out;
}

/**
 * Parses berthd's flags (dockerd's names). Flags override daemon.json, except that a key
 * given in both places is an error, as dockerd reports it.
 */
export function parseDaemonArgs(argv: string[]): { config: DaemonConfig; configFile: string; help: boolean; version: boolean } {
  const flags: Partial<DaemonConfig> = {};
  const hosts: string[] = [];
  let configFile = '/etc/berth/daemon.json';
  let help = false;
  let version = false;
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    let value: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) { value = arg.slice(eq + 1); arg = arg.slice(0, eq); }
    const next = () => {
      if (value !== undefined) return value;
      if (i + 1 >= argv.length) throw invalidParameter(`flag needs an argument: ${arg}`);
      return argv[++i];
    };
    const bool = () => (value === undefined ? true : value !== 'false');
    switch (arg) {
      case '--data-root': flags.dataRoot = next(); given.add('data-root'); break;
      case '--exec-root': flags.execRoot = next(); given.add('exec-root'); break;
      case '-H': case '--host': hosts.push(next()); given.add('hosts'); break;
      case '-p': case '--pidfile': flags.pidfile = next(); given.add('pidfile'); break;
      case '--config-file': configFile = next(); break;
      case '-l': case '--log-level': {
        const l = next();
        if (!isLogLevel(l)) throw invalidParameter(`invalid log level: ${l}`);
        flags.logLevel = l; given.add('log-level'); break;
      }
      case '-D': case '--debug': flags.debug = bool(); given.add('debug'); break;
      case '--live-restore': flags.liveRestore = bool(); given.add('live-restore'); break;
      case '-b': case '--bridge': flags.bridge = next(); given.add('bridge'); break;
      case '--bip': flags.bip = next(); given.add('bip'); break;
      case '--icc': flags.icc = bool(); given.add('icc'); break;
      case '--iptables': flags.iptables = bool(); given.add('iptables'); break;
      case '--ip-forward': flags.ipForward = bool(); given.add('ip-forward'); break;
      case '--ip-masq': flags.ipMasq = bool(); given.add('ip-masq'); break;
      case '--mtu': flags.mtu = Number(next()); given.add('mtu'); break;
      case '-G': case '--group': flags.group = next(); given.add('group'); break;
      case '--tls': flags.tls = bool(); given.add('tls'); break;
      case '--tlsverify': flags.tlsVerify = bool(); given.add('tlsverify'); break;
      case '--tlscacert': flags.tlsCaCert = next(); given.add('tlscacert'); break;
      case '--tlscert': flags.tlsCert = next(); given.add('tlscert'); break;
      case '--tlskey': flags.tlsKey = next(); given.add('tlskey'); break;
      case '--insecure-registry': (flags.insecureRegistries ??= []).push(next()); given.add('insecure-registries'); break;
      case '--registry-mirror': (flags.registryMirrors ??= []).push(next()); given.add('registry-mirrors'); break;
      case '--certs-dir': flags.certsDir = next(); given.add('certs-dir'); break;
      case '--max-concurrent-downloads': flags.maxConcurrentDownloads = Number(next()); given.add('max-concurrent-downloads'); break;
      case '--max-concurrent-uploads': flags.maxConcurrentUploads = Number(next()); given.add('max-concurrent-uploads'); break;
      case '--userns-remap': flags.usernsRemap = next(); given.add('userns-remap'); break;
      case '--default-address-pool': {
        const v = next();
        const m = /base=([^,]+),size=(\d+)/.exec(v);
        if (!m) throw invalidParameter(`invalid default address pool: ${v}`);
        (flags.defaultAddressPools ??= []).push({ base: m[1], size: Number(m[2]) });
        given.add('default-address-pools');
        break;
      }
      case '-h': case '--help': help = true; break;
      case '-v': case '--version': version = true; break;
      default: throw invalidParameter(`unknown flag: ${arg}`);
    }
  }
  if (hosts.length) flags.hosts = hosts;
  const file = readConfigFile(configFile);
  for (const [k, field] of Object.entries(KEYS)) {
    if (given.has(k) && field in file) {
      throw invalidParameter(`unable to configure the Docker daemon with file ${configFile}: the following directives are specified both as a flag and in the configuration file: ${k}`);
    }
  }
  const config: DaemonConfig = { ...DEFAULTS, ...file, ...flags };
  if (config.debug) config.logLevel = 'debug';
  if (config.hosts.length === 0) config.hosts = [`unix://${config.execRoot}/berthd.sock`];
  if (!given.has('pidfile') && !('pidfile' in file)) config.pidfile = `${config.execRoot}/berthd.pid`;
  return { config, configFile, help, version };
}
