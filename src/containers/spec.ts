import { hostname as hostHostname } from 'node:os';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { OciSpec } from '../runtime/types';
import { buildSpec, type NamespaceMode, type SpecMount } from '../runtime/spec';
import { invalidParameter, notImplemented } from '../errdefs';
import type { ContainerRecord } from './record';
import { resolveUser } from './user';
import { hostsFile, resolvConf, writeEtcFiles } from './etcfiles';
import type { StartExtras } from './hooks';
import { finishSpec, isolationSpec } from './spec-isolation';
import { applyUserns } from './userns';

const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The effective network mode: "default" means the daemon's default network. */
export function networkMode(c: ContainerRecord, defaultMode: 'none' | 'bridge'): string {
  const m = c.hostConfig.NetworkMode || 'default';
  return m === 'default' ? defaultMode : m;
}

/**
 * Everything start needs before the runtime: the container's /etc files and the OCI spec.
 * Resolves the user against the container's own /etc/passwd (rootfs must be mounted).
 */
export async function buildContainerSpec(c: ContainerRecord, rootfs: string, defaultMode: 'none' | 'bridge', joinPid?: (ref: string) => number, extras: StartExtras = {}): Promise<OciSpec> {
  const hc = c.hostConfig;
  const mode = networkMode(c, defaultMode);
  let network: NamespaceMode = 'new';
  if (mode === 'host') network = 'host';
  else if (mode.startsWith('container:')) {
    const pid = joinPid?.(mode.slice('container:'.length));
    if (!pid) throw invalidParameter(`cannot join network of a non running container: ${mode.slice('container:'.length)}`);
    network = { path: `/proc/${pid}/ns/net` };
  } else if (extras.netnsPath) {
    network = { path: extras.netnsPath };
  } else if (mode !== 'none' && mode !== 'bridge') {
    throw notImplemented(`network ${mode} is not implemented yet in berth`);
  }
  // Without a bridge network (`--bridge none`, or until networking lands) a bridge container has only lo.

  const user = resolveUser(rootfs, c.config.User ?? '', hc.GroupAdd ?? []);
  const hostNet = network === 'host';
  const hostname = hostNet ? hostHostname() : (c.config.Hostname || c.id.slice(0, 12));
  const hosts = hostNet
    ? await fs.readFile('/etc/hosts', 'utf8').catch(() => '127.0.0.1\tlocalhost\n')
    // --add-host name:host-gateway: networking resolves the address and passes the line in hostsEntries.
    : hostsFile(hostname, c.config.Domainname ?? '', extras.ip, (hc.ExtraHosts ?? []).filter((h) => !/[:=]host-gateway$/.test(h)), extras.hostsEntries ?? []);
  const dns = hc.Dns?.length ? hc.Dns : extras.nameservers;
  await writeEtcFiles(c, hostname, hosts, resolvConf({ dns, search: hc.DnsSearch, options: hc.DnsOptions, hostNetwork: hostNet }));

  // "NAME" without "=" means unset (containerd drops such entries; runc would refuse them).
  const env = (c.config.Env ?? []).filter((e) => e.includes('='));
  const has = (k: string) => env.some((e) => e.startsWith(`${k}=`));
  if (!has('PATH')) env.unshift(DEFAULT_PATH);
  if (!has('HOSTNAME')) env.splice(1, 0, `HOSTNAME=${hostname}`);
  if (c.config.Tty && !has('TERM')) env.push('TERM=xterm');
  if (!has('HOME')) env.push(`HOME=${user.home}`);
  env.push(...(extras.env ?? []));

  const iso = isolationSpec(hc, (ref) => joinPid?.(ref) ?? 0, hostNet);
  const mounts: SpecMount[] = [
    { destination: '/etc/resolv.conf', type: 'bind', source: c.resolvConfPath },
    { destination: '/etc/hostname', type: 'bind', source: c.hostnamePath },
    { destination: '/etc/hosts', type: 'bind', source: c.hostsPath },
    // -v, --mount, --tmpfs and --volumes-from come from the volumes hook (src/volumes/containers.ts).
    ...(extras.mounts ?? []),
    ...iso.mounts,
  ];
  // Parents before children, as dockerd's sortMounts: a volume on /etc must not hide /etc/hosts.
  // The sort is stable, so at one destination a user's mount still comes last and wins.
  mounts.sort((a, b) => a.destination.split('/').filter(Boolean).length - b.destination.split('/').filter(Boolean).length);

  const spec = buildSpec({
    id: c.id,
    rootfs,
    readonlyRootfs: !!hc.ReadonlyRootfs,
    args: [...iso.initArgs, c.path, ...c.args],
    env,
    cwd: c.config.WorkingDir || '/',
    user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
    terminal: !!c.config.Tty,
    consoleSize: hc.ConsoleSize && hc.ConsoleSize[0] > 0 ? { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] } : undefined,
    hostname,
    domainname: c.config.Domainname || undefined,
    namespaces: { network, ...iso.namespaces },
    mounts,
    shmSize: hc.ShmSize || undefined,
    privileged: !!hc.Privileged,
    capAdd: hc.CapAdd ?? undefined,
    capDrop: hc.CapDrop ?? undefined,
    noNewPrivileges: iso.noNewPrivileges,
    devices: iso.devices,
    seccomp: iso.seccomp,
    rlimits: (hc.Ulimits ?? []).map((u) => ({ type: u.Name, soft: u.Soft, hard: u.Hard })),
    oomScoreAdj: hc.OomScoreAdj || undefined,
    sysctl: hc.Sysctls ?? undefined,
    resources: iso.resources,
  });
  finishSpec(spec, hc);
  await applyUserns(spec, hc, path.dirname(c.hostsPath));
  return spec;
}
