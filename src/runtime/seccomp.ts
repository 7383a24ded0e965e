import * as fs from 'node:fs';
import * as os from 'node:os';
import { gunzipSync } from 'node:zlib';
import { invalidParameter } from '../errdefs';
import { DOCKER_DEFAULT_SECCOMP } from './seccomp-default';
import type { SeccompFilter, SeccompProfile, SeccompRule } from './seccomp-types';

/**
 * Turns a Docker seccomp profile into the OCI `linux.seccomp` section for one container, the
 * way dockerd does: rules whose `includes` the container does not meet (capabilities it lacks,
 * another architecture, an older kernel) are left out, as are rules whose `excludes` it meets.
 * The capabilities are the container's final set, so `--cap-add SYS_ADMIN` also opens mount,
 * unshare, setns ...; privileged containers and `seccomp=unconfined` get no filter.
 */

export interface OciSeccomp {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures: string[];
  flags?: string[];
  listenerPath?: string;
  syscalls: { names: string[]; action: string; errnoRet?: number; args?: { index: number; value: number; valueTwo: number; op: string }[] }[];
}

/** Go's GOARCH for this process, which the profile's `arches` use. */
export function goArch(nodeArch: string = process.arch): string {
  const m: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', s390x: 's390x', ppc64: 'ppc64le', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };
  return m[nodeArch] ?? nodeArch;
}

/** libseccomp's name of the native arch. */
function nativeScmpArch(arch: string): string {
  const m: Record<string, string> = {
    amd64: 'SCMP_ARCH_X86_64', '386': 'SCMP_ARCH_X86', arm64: 'SCMP_ARCH_AARCH64', arm: 'SCMP_ARCH_ARM', s390x: 'SCMP_ARCH_S390X',
    ppc64le: 'SCMP_ARCH_PPC64LE', riscv64: 'SCMP_ARCH_RISCV64', loong64: 'SCMP_ARCH_LOONGARCH64', mips: 'SCMP_ARCH_MIPS', mipsle: 'SCMP_ARCH_MIPSEL',
  };
  return m[arch] ?? `SCMP_ARCH_${arch.toUpperCase()}`;
}

let x32: boolean | undefined;

/**
 * Whether the kernel runs x32 programs. A filter for an ABI the kernel lacks changes nothing a
 * container can observe, but libseccomp's x32 branch is the dearest part of compiling Docker's
 * profile (about 10 ms of every container start here). Unknown means yes, as Docker assumes.
 */
export function kernelHasX32(): boolean {
  if (x32 === undefined) {
    let config = '';
    try { config = gunzipSync(fs.readFileSync('/proc/config.gz')).toString('latin1'); } catch {
      try { config = fs.readFileSync(`/boot/config-${os.release()}`, 'latin1'); } catch { /* unknown */ }
    }
    x32 = !config || !/^# CONFIG_X86_X32_ABI is not set$/m.test(config);
  }
  return x32;
}

/** "6.1.0-13-amd64" -> [6, 1]; the profile compares major.minor only. */
function kernelVersion(release: string): [number, number] {
  const m = /^(\d+)\.(\d+)/.exec(release);
  return m ? [Number(m[1]), Number(m[2])] : [0, 0];
}

function kernelAtLeast(min: string, release: string): boolean {
  const [a, b] = kernelVersion(min);
  const [x, y] = kernelVersion(release);
  return x > a || (x === a && y >= b);
}

/** `x32`: whether the kernel runs x32 programs (default: read from its config). */
export interface SeccompContext { caps: readonly string[]; arch?: string; kernel?: string; x32?: boolean }

function meets(f: SeccompFilter | undefined, ctx: Required<SeccompContext>, mode: 'includes' | 'excludes'): boolean {
  if (!f) return mode === 'includes';
  if (mode === 'includes') {
    if (f.arches?.length && !f.arches.includes(ctx.arch)) return false;
    if (f.caps?.length && !f.caps.every((c) => ctx.caps.includes(c))) return false;
    if (f.minKernel && !kernelAtLeast(f.minKernel, ctx.kernel)) return false;
    return true;
  }
  // Excluded when the container matches any of the listed arches or holds any listed cap.
  if (f.arches?.length && f.arches.includes(ctx.arch)) return true;
  if (f.caps?.length && f.caps.some((c) => ctx.caps.includes(c))) return true;
  return false;
}

/** Converts a profile for a container holding `caps`. Throws InvalidParameter for a malformed profile. */
export function resolveSeccomp(profile: SeccompProfile, context: SeccompContext): OciSeccomp {
  const ctx: Required<SeccompContext> = { caps: context.caps, arch: context.arch ?? goArch(), kernel: context.kernel ?? os.release(), x32: context.x32 ?? kernelHasX32() };
  if (!profile || typeof profile.defaultAction !== 'string') throw invalidParameter('Decoding seccomp profile failed: defaultAction is missing');
  if (profile.archMap?.length && profile.architectures?.length) {
    throw invalidParameter("'architectures' and 'archMap' were specified in the seccomp profile, use either 'architectures' or 'archMap'");
  }
  let architectures: string[] = [...(profile.architectures ?? [])];
  if (profile.archMap?.length) {
    const native = nativeScmpArch(ctx.arch);
    const entry = profile.archMap.find((a) => a.architecture === native);
    architectures = entry ? [entry.architecture, ...(entry.subArchitectures ?? [])].filter((a) => a !== 'SCMP_ARCH_X32' || ctx.x32) : [];
  }
  const out: OciSeccomp = { defaultAction: profile.defaultAction, architectures, syscalls: [] };
  if (profile.defaultErrnoRet !== undefined) out.defaultErrnoRet = profile.defaultErrnoRet;
  if (profile.flags?.length) out.flags = [...profile.flags];
  if (profile.listenerPath) out.listenerPath = profile.listenerPath;
  for (const rule of profile.syscalls ?? []) {
    const names = ruleNames(rule);
    if (!meets(rule.includes, ctx, 'includes') || meets(rule.excludes, ctx, 'excludes')) continue;
    const s: OciSeccomp['syscalls'][number] = { names, action: rule.action };
    if (rule.errnoRet !== undefined) s.errnoRet = rule.errnoRet;
    if (rule.args?.length) s.args = rule.args.map((a) => ({ index: a.index, value: a.value, valueTwo: a.valueTwo ?? 0, op: a.op }));
    out.syscalls.push(s);
  }
  return out;
}

function ruleNames(rule: SeccompRule): string[] {
  if (rule.name && rule.names?.length) throw invalidParameter("'name' and 'names' were specified in the seccomp profile, use either 'name' or 'names'");
  const names = rule.names?.length ? rule.names : rule.name ? [rule.name] : [];
  if (!names.length) throw invalidParameter('Decoding seccomp profile failed: a syscall rule has no names');
  return [...names];
}

/** What the container's `--security-opt` list says about seccomp and no_new_privs (moby's parseSecurityOpt rules). */
export interface SecurityOpts { seccomp: 'default' | 'unconfined' | SeccompProfile; noNewPrivileges: boolean; apparmor?: string; labels: string[] }

export function parseSecurityOpts(opts: readonly string[] | null | undefined): SecurityOpts {
  const out: SecurityOpts = { seccomp: 'default', noNewPrivileges: false, labels: [] };
  for (const opt of opts ?? []) {
    if (opt === 'no-new-privileges') { out.noNewPrivileges = true; continue; }
    if (opt === 'disable') { out.labels.push('disable'); continue; }
    const sep = opt.includes('=') ? '=' : opt.includes(':') ? ':' : '';
    if (!sep) throw invalidParameter(`invalid --security-opt 1: "${opt}"`);
    const i = opt.indexOf(sep);
    const k = opt.slice(0, i);
    const v = opt.slice(i + 1);
    switch (k) {
      case 'label': out.labels.push(v); break;
      case 'apparmor': out.apparmor = v; break;
      case 'seccomp': out.seccomp = parseSeccompValue(v); break;
      case 'no-new-privileges': {
        const b = parseGoBool(v);
        if (b === null) throw invalidParameter(`invalid --security-opt 2: "${opt}"`);
        out.noNewPrivileges = b;
        break;
      }
      case 'writable-cgroups': if (parseGoBool(v) === null) throw invalidParameter(`invalid --security-opt 2: "${opt}"`); break;
      default: throw invalidParameter(`invalid --security-opt 2: "${opt}"`);
    }
  }
  return out;
}

function parseSeccompValue(v: string): SecurityOpts['seccomp'] {
  if (v === 'unconfined') return 'unconfined';
  if (v === '' || v === 'builtin') return 'default';
  try {
    return JSON.parse(v) as SeccompProfile;
  } catch (e) {
    throw invalidParameter(`Decoding seccomp profile failed: ${(e as Error).message}`);
  }
}

function parseGoBool(v: string): boolean | null {
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  return null;
}

/** The OCI seccomp section for a container, or undefined for none (privileged, unconfined). */
export function containerSeccomp(opts: SecurityOpts, caps: readonly string[], privileged: boolean): OciSeccomp | undefined {
  if (privileged || opts.seccomp === 'unconfined') return undefined;
  return resolveSeccomp(opts.seccomp === 'default' ? DOCKER_DEFAULT_SECCOMP : opts.seccomp, { caps });
}
