import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ContainerConfig, HostConfig } from '../api/types';
import { invalidParameter } from '../errdefs';
import { boundingCaps, resolveCaps } from '../runtime/caps';
import { type ResourceInput, ociResources, validateResources } from '../runtime/cgroups-resources';
import { containerSeccomp, parseSecurityOpts } from '../runtime/seccomp';
import type { NamespaceMode, SpecMount } from '../runtime/spec';
import { DOCKER_MASKED_PATHS, DOCKER_READONLY_PATHS, type OciDevice } from '../runtime/spec-defaults';
import { checkUsernsConflicts } from './userns';

/**
 * The HostConfig fields that change a container's isolation and limits, checked at create the
 * way dockerd checks them and turned into SpecInput pieces at start: devices, sysctls, IPC/PID/UTS
 * modes (host, container:<id>), seccomp and no-new-privileges, cgroup resources, and --init.
 */

/** Sysctls that live in a namespace of the container's own (docker CLI's ValidateSysctl list). */
const IPC_SYSCTLS = new Set(['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced']);

function checkSysctls(hc: HostConfig): void {
  const netHost = hc.NetworkMode === 'host';
  for (const key of Object.keys(hc.Sysctls ?? {})) {
    if (IPC_SYSCTLS.has(key) || key.startsWith('fs.mqueue.')) {
      if (hc.IpcMode === 'host') throw invalidParameter(`sysctl '${key}' is not allowed in host IPC namespace`);
      continue;
    }
    if (key.startsWith('net.')) {
      if (netHost) throw invalidParameter(`sysctl '${key}' not allowed in host network namespace`);
      continue;
    }
    if ((key === 'kernel.domainname' || key === 'kernel.hostname') && hc.UTSMode !== 'host') continue;
    throw invalidParameter(`sysctl '${key}' is not allowed`);
  }
}

function checkModes(hc: HostConfig): void {
  const ipc = hc.IpcMode ?? '';
  if (!['', 'private', 'shareable', 'host', 'none'].includes(ipc) && !/^container:.+/.test(ipc)) throw invalidParameter(`invalid IPC mode: ${ipc}`);
  const pid = hc.PidMode ?? '';
  if (!['', 'host'].includes(pid) && !/^container:.+/.test(pid)) throw invalidParameter(`invalid PID mode: ${pid}`);
  const uts = hc.UTSMode ?? '';
  if (!['', 'host'].includes(uts)) throw invalidParameter(`invalid UTS mode: ${uts}`);
  if (uts === 'host' && hc.NetworkMode?.startsWith('container:')) throw invalidParameter('conflicting options: hostname and the network mode');
  const cgroupns = hc.CgroupnsMode ?? '';
  if (!['', 'host', 'private'].includes(cgroupns)) throw invalidParameter(`invalid cgroup namespace mode: ${cgroupns}`);
  const userns = hc.UsernsMode ?? '';
  if (!['', 'host'].includes(userns)) throw invalidParameter(`invalid USER mode: ${userns}`);
}

function checkHealthcheck(cfg: ContainerConfig): void {
  const h = cfg.Healthcheck;
  if (!h) return;
  const ms = 1_000_000;
  if (h.Interval && h.Interval < ms) throw invalidParameter('Interval in Healthcheck cannot be less than 1ms');
  if (h.Timeout && h.Timeout < ms) throw invalidParameter('Timeout in Healthcheck cannot be less than 1ms');
  if (h.Retries && h.Retries < 0) throw invalidParameter('Retries in Healthcheck cannot be negative');
  if (h.StartPeriod && h.StartPeriod < ms) throw invalidParameter('StartPeriod in Healthcheck cannot be less than 1ms');
  if (h.StartInterval && h.StartInterval < ms) throw invalidParameter('StartInterval in Healthcheck cannot be less than 1ms');
}

/** Create-time checks; fills in dockerd's defaults (MemorySwap, ShmSize) and returns its warnings. */
export function validateIsolation(config: ContainerConfig, hc: HostConfig): string[] {
  checkModes(hc);
  checkUsernsConflicts(hc);
  checkSysctls(hc);
  checkHealthcheck(config);
  const sec = parseSecurityOpts(hc.SecurityOpt);
  resolveCaps({ privileged: !!hc.Privileged, capAdd: hc.CapAdd ?? undefined, capDrop: hc.CapDrop ?? undefined, available: boundingCaps() });
  if (typeof sec.seccomp === 'object') containerSeccomp(sec, [], false); // a malformed profile fails now, not at start
  for (const d of hc.Devices ?? []) {
    devicesFor(d.PathOnHost ?? '', d.PathInContainer || d.PathOnHost || '');
    if (d.CgroupPermissions && !/^[rwm]{1,3}$/.test(d.CgroupPermissions)) throw invalidParameter(`invalid device mode: ${d.CgroupPermissions}`);
  }
  for (const r of hc.DeviceCgroupRules ?? []) parseDeviceRule(r);
  if (hc.Init) initBinary();
  const warnings = validateResources(hc as ResourceInput);
  if (!hc.ShmSize) hc.ShmSize = 64 * 1024 * 1024;
  // What the runtime applies, as dockerd records it at create (null for privileged containers).
  if (!hc.Privileged) {
    hc.MaskedPaths = hc.MaskedPaths ?? [...DOCKER_MASKED_PATHS];
    hc.ReadonlyPaths = hc.ReadonlyPaths ?? [...DOCKER_READONLY_PATHS];
  }
  return warnings;
}

function rdevOf(st: fs.Stats): { major: number; minor: number } {
  const rdev = BigInt(st.rdev);
  return { major: Number((rdev >> 8n) & 0xfffn), minor: Number((rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n)) };
}

/** `--device /dev/x[:/dev/y]`: one node, or every node under a directory. */
export function devicesFor(hostPath: string, ctrPath: string): OciDevice[] {
  const err = () => invalidParameter(`error gathering device information while adding custom device "${hostPath}": no such file or directory`);
  let st: fs.Stats;
  try { st = fs.statSync(hostPath); } catch { throw err(); }
  if (st.isDirectory()) {
    const out: OciDevice[] = [];
    for (const e of fs.readdirSync(hostPath)) {
      try { out.push(...devicesFor(path.join(hostPath, e), path.join(ctrPath, e))); } catch { /* not a device */ }
    }
    return out;
  }
  if (!st.isCharacterDevice() && !st.isBlockDevice()) throw invalidParameter(`error gathering device information while adding custom device "${hostPath}": not a device node`);
  return [{ path: ctrPath, type: st.isCharacterDevice() ? 'c' : 'b', ...rdevOf(st), fileMode: st.mode & 0o777, uid: st.uid, gid: st.gid }];
}

/** The static tini that `--init` bind-mounts as /sbin/docker-init (a dynamic tini would not run in busybox). */
export function initBinary(configured?: string): string {
  for (const p of [configured, '/usr/bin/docker-init', '/usr/bin/tini-static', '/usr/libexec/docker/docker-init', '/usr/bin/tini']) {
    if (p && fs.existsSync(p)) return fs.realpathSync(p);
  }
  throw invalidParameter('exec: "docker-init": executable file not found in $PATH');
}

export interface IsolationSpec {
  namespaces: { pid?: NamespaceMode; ipc?: NamespaceMode; uts?: 'new' | 'host' };
  mounts: SpecMount[];
  devices: OciDevice[];
  resources: Record<string, unknown>;
  seccomp?: Record<string, unknown>;
  noNewPrivileges: boolean;
  /** argv prefix for --init. */
  initArgs: string[];
}

/** SpecInput pieces for a start. `joinPid` gives the pid of a running container (0 when not running). */
export function isolationSpec(hc: HostConfig, joinPid: (ref: string) => number, hostNet: boolean): IsolationSpec {
  const mounts: SpecMount[] = [];
  const join = (mode: string, what: string): NamespaceMode => {
    const ref = mode.slice('container:'.length);
    const pid = joinPid(ref);
    if (!pid) throw invalidParameter(`cannot join ${what} of a non running container: ${ref}`);
    return { path: `/proc/${pid}/ns/${what === 'PID' ? 'pid' : 'ipc'}` };
  };
  let ipc: NamespaceMode = 'new';
  if (hc.IpcMode === 'host') ipc = 'host';
  else if (hc.IpcMode?.startsWith('container:')) ipc = join(hc.IpcMode, 'IPC'); // its /dev/shm comes from spec-ipc.ts
  let pid: NamespaceMode = 'new';
  if (hc.PidMode === 'host') pid = 'host';
  else if (hc.PidMode?.startsWith('container:')) pid = join(hc.PidMode, 'PID');
  const devices = (hc.Devices ?? []).flatMap((d) => devicesFor(d.PathOnHost ?? '', d.PathInContainer || d.PathOnHost || ''));
  const sec = parseSecurityOpts(hc.SecurityOpt);
  const caps = resolveCaps({ privileged: !!hc.Privileged, capAdd: hc.CapAdd ?? undefined, capDrop: hc.CapDrop ?? undefined, available: boundingCaps() });
  const seccomp = containerSeccomp(sec, caps, !!hc.Privileged) as Record<string, unknown> | undefined;
  let initArgs: string[] = [];
  if (hc.Init) {
    mounts.push({ destination: '/sbin/docker-init', type: 'bind', source: initBinary(), readonly: true });
    initArgs = ['/sbin/docker-init', '--'];
  }
  return {
    namespaces: { ipc, pid, uts: hostNet || hc.UTSMode === 'host' ? 'host' : 'new' },
    mounts, devices, resources: ociResources(hc as ResourceInput), seccomp, noNewPrivileges: sec.noNewPrivileges, initArgs,
  };
}

/** `--device-cgroup-rule "c 1:3 mr"` as an OCI device rule (dockerd's regexp and message). */
export function parseDeviceRule(rule: string): { allow: boolean; type: string; major?: number; minor?: number; access: string } {
  const m = /^([acb]) ([0-9]+|\*):([0-9]+|\*) ([rwm]{1,3})$/.exec(rule);
  if (!m) throw invalidParameter(`invalid device cgroup rule format: '${rule}'`);
  return {
    allow: true, type: m[1], ...(m[2] !== '*' ? { major: Number(m[2]) } : {}), ...(m[3] !== '*' ? { minor: Number(m[3]) } : {}), access: m[4],
  };
}

type DeviceRule = { allow: boolean; type?: string; major?: number; minor?: number; access: string };

/**
 * After buildSpec: `--ipc none` has no /dev/shm; `--cgroupns private` adds a cgroup namespace; `--device X:Y:r` narrows the rwm rule the runtime added for that node, and
 * --device-cgroup-rule entries are appended. Privileged containers already allow everything.
 */
export function finishSpec(spec: { mounts?: { destination: string }[]; linux?: { resources?: { devices?: DeviceRule[] }; namespaces?: { type: string }[] } }, hc: HostConfig): void {
  if (hc.IpcMode === 'none' && Array.isArray(spec.mounts)) spec.mounts = spec.mounts.filter((m) => m.destination !== '/dev/shm');
  // --cgroupns private: a cgroup namespace of its own (buildSpec only knows host mode, v1's default)
  if (hc.CgroupnsMode === 'private' && Array.isArray(spec.linux?.namespaces) && !spec.linux!.namespaces!.some((n) => n.type === 'cgroup')) {
    spec.linux!.namespaces!.push({ type: 'cgroup' });
  }
  const rules = spec.linux?.resources?.devices;
  if (hc.Privileged || !Array.isArray(rules)) return;
  for (const m of hc.Devices ?? []) {
    const perms = m.CgroupPermissions || 'rwm';
    if (perms === 'rwm') continue;
    for (const d of devicesFor(m.PathOnHost ?? '', m.PathInContainer || m.PathOnHost || '')) {
      for (let i = rules.length - 1; i >= 0; i--) {
        const r = rules[i];
        if (r.allow && r.type === d.type && r.major === d.major && r.minor === d.minor && r.access === 'rwm') { r.access = perms; break; }
      }
    }
  }
  for (const r of hc.DeviceCgroupRules ?? []) rules.push(parseDeviceRule(r));
}
