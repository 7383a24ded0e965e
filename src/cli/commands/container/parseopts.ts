/**
 * Parsers for run/create flag values, following docker/cli's opts package and
 * docker/go-connections/nat: port specs, --mount CSV, env and label files, ulimits, devices.
 */
import { readFileSync } from 'node:fs';
import type { Mount, PortBinding, Ulimit, DeviceMapping } from '../../../api/types';
import { UsageError } from '../../flags';

/** opts.ParseEnvFile / ReadKVStrings: `NAME=value` lines; a bare NAME takes the local value (env files only). */
export function readKvFile(path: string, env: NodeJS.ProcessEnv, lookupBare: boolean): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UsageError(`open ${path}: no such file or directory`);
  }
  const out: string[] = [];
  text.split(/\r?\n/).forEach((raw) => {
    const line = raw.replace(/^\s+/, '');
    if (!line || line.startsWith('#')) return;
    const eq = line.indexOf('=');
    const name = eq >= 0 ? line.slice(0, eq) : line;
    if (/\s/.test(name) || name === '') throw new UsageError(`variable '${name}' contains whitespaces`);
    // a bare NAME takes our value for env files and is dropped from label files (as docker)
    if (eq >= 0) out.push(line);
    else if (lookupBare && env[name] !== undefined) out.push(`${name}=${env[name]}`);
  });
  return out;
}

/** opts.ValidateEnv: `-e NAME` takes NAME's value from our environment if it is set. */
export function expandEnv(values: string[], env: NodeJS.ProcessEnv): string[] {
  return values.map((v) => {
    if (v.includes('=')) return v;
    return env[v] !== undefined ? `${v}=${env[v]}` : v;
  });
}

export function labelsToMap(values: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq < 0) out[v] = '';
    else out[v.slice(0, eq)] = v.slice(eq + 1);
  }
  return out;
}

function parsePortRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new UsageError(`invalid ${what}: ${s}`);
  const a = parseInt(m[1], 10);
  const z = m[2] ? parseInt(m[2], 10) : a;
  if (a > 65535 || z > 65535 || z < a) throw new UsageError(`invalid ${what}: ${s}`);
  return [a, z];
}

/** nat.ParsePortSpecs for `-p [ip:][hostPort:]containerPort[/proto]`. */
export function parsePortSpecs(specs: string[], expose: string[]): {
  exposed: Record<string, object>; bindings: Record<string, PortBinding[]>;
} {
  const exposed: Record<string, object> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const spec of specs) {
    let rest = spec;
    let proto = 'tcp';
    const slash = rest.lastIndexOf('/');
    if (slash >= 0) {
      proto = rest.slice(slash + 1).toLowerCase();
      rest = rest.slice(0, slash);
      if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new UsageError(`invalid proto: ${proto}`);
    }
    let ip = '';
    let hostPart = '';
    let containerPart: string;
    const bracket = /^\[([^\]]+)\]:(.*)$/.exec(rest);
    if (bracket) {
      ip = bracket[1];
      const parts = bracket[2].split(':');
      hostPart = parts[0];
      containerPart = parts[1] ?? '';
    } else {
      const parts = rest.split(':');
      if (parts.length === 1) containerPart = parts[0];
      else if (parts.length === 2) [hostPart, containerPart] = parts;
      else {
        containerPart = parts[parts.length - 1];
        hostPart = parts[parts.length - 2];
        ip = parts.slice(0, parts.length - 2).join(':');
      }
    }
    if (!containerPart) throw new UsageError(`no port specified: ${spec}<empty>`);
    const [cStart, cEnd] = parsePortRange(containerPart, 'containerPort');
    let hStart = 0;
    let hEnd = 0;
    if (hostPart) [hStart, hEnd] = parsePortRange(hostPart, 'hostPort');
    const n = cEnd - cStart;
    if (hostPart && n > 0 && hEnd - hStart !== n) {
      throw new UsageError(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
    }
    for (let k = 0; k <= n; k++) {
      const port = `${cStart + k}/${proto}`;
      exposed[port] = {};
      let hostPort = '';
      if (hostPart) hostPort = n > 0 && hEnd - hStart === n ? String(hStart + k) : hostPart;
      (bindings[port] ??= []).push({ HostIp: ip, HostPort: hostPort });
    }
  }
  for (const e of expose) {
    let p = e;
    let proto = 'tcp';
    const slash = p.indexOf('/');
    if (slash >= 0) {
      proto = p.slice(slash + 1);
      p = p.slice(0, slash);
    }
    const [a, z] = parsePortRange(p, 'range format for --expose');
    for (let k = a; k <= z; k++) exposed[`${k}/${proto}`] = {};
  }
  return { exposed, bindings };
}

const truthy = (v: string | undefined) => v === undefined || ['1', 'true', 't', 'True', 'TRUE'].includes(v);

/** opts.MountOpt: `type=bind,source=/a,target=/b,readonly`. */
export function parseMount(spec: string): Mount {
  const m: Mount = { Type: 'volume', Target: '' };
  const pending: [string, string | undefined][] = [];
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq >= 0 ? field.slice(0, eq) : field).trim().toLowerCase();
    const val = eq >= 0 ? field.slice(eq + 1) : undefined;
    if (key === 'type') {
      if (!val) throw new UsageError(`invalid argument "${spec}" for "--mount" flag: invalid field '${field}' must be a key=value pair`);
      m.Type = val.toLowerCase() as Mount['Type'];
    } else pending.push([key, val]);
  }
  for (const [key, val] of pending) {
    switch (key) {
      case 'source': case 'src': m.Source = val ?? ''; break;
      case 'target': case 'dst': case 'destination': m.Target = val ?? ''; break;
      case 'readonly': case 'ro': m.ReadOnly = truthy(val); break;
      case 'consistency': m.Consistency = val; break;
      case 'bind-propagation': (m.BindOptions ??= {}).Propagation = val; break;
      case 'bind-nonrecursive': (m.BindOptions ??= {}).NonRecursive = truthy(val); break;
      case 'volume-nocopy': (m.VolumeOptions ??= {}).NoCopy = truthy(val); break;
      case 'volume-subpath': (m.VolumeOptions ??= {}).Subpath = val; break;
      case 'volume-driver': ((m.VolumeOptions ??= {}).DriverConfig ??= {}).Name = val; break;
      case 'volume-label': {
        const [k, v] = (val ?? '').split(/=(.*)/s);
        ((m.VolumeOptions ??= {}).Labels ??= {})[k] = v ?? '';
        break;
      }
      case 'volume-opt': {
        const [k, v] = (val ?? '').split(/=(.*)/s);
        (((m.VolumeOptions ??= {}).DriverConfig ??= {}).Options ??= {})[k] = v ?? '';
        break;
      }
      case 'tmpfs-size': (m.TmpfsOptions ??= {}).SizeBytes = ramBytes(val ?? ''); break;
      case 'tmpfs-mode': (m.TmpfsOptions ??= {}).Mode = parseInt(val ?? '', 8); break;
      default:
        throw new UsageError(`invalid argument "${spec}" for "--mount" flag: unexpected key '${key}' in '${key}${val === undefined ? '' : `=${val}`}'`);
    }
  }
  if (m.VolumeOptions) m.VolumeOptions.DriverConfig ??= {};
  if (!m.Target) throw new UsageError(`invalid argument "${spec}" for "--mount" flag: target is required`);
  return m;
}

function ramBytes(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT])?[iI]?[bB]?$/.exec(v);
  if (!m) throw new UsageError(`invalid size: '${v}'`);
  const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  return Math.trunc(parseFloat(m[1]) * (m[2] ? mult[m[2].toLowerCase()] : 1));
}

/** opts.UlimitOpt: `nofile=1024:2048` or `nofile=1024`. */
export function parseUlimit(spec: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`invalid argument "${spec}" for "--ulimit" flag: invalid ulimit argument: ${spec}`);
  const soft = parseInt(m[2], 10);
  const hard = m[3] !== undefined ? parseInt(m[3], 10) : soft;
  return { Name: m[1], Hard: hard, Soft: soft } as Ulimit;
}

/** `--device /dev/a[:/dev/b][:rwm]`. */
export function parseDevice(spec: string): DeviceMapping {
  const parts = spec.split(':');
  let perms = 'rwm';
  let inContainer = parts[0];
  if (parts.length === 3) [, inContainer, perms] = parts;
  else if (parts.length === 2) {
    if (/^[rwm]+$/.test(parts[1])) perms = parts[1];
    else inContainer = parts[1];
  } else if (parts.length > 3) throw new UsageError(`invalid argument "${spec}" for "--device" flag: bad format for path: ${spec}`);
  return { PathOnHost: parts[0], PathInContainer: inContainer, CgroupPermissions: perms };
}

/** `--restart no|always|unless-stopped|on-failure[:N]`. */
export function parseRestart(v: string): { Name: string; MaximumRetryCount: number } {
  if (!v) return { Name: 'no', MaximumRetryCount: 0 };
  const [name, count] = v.split(':');
  if (count !== undefined) {
    if (!/^\d+$/.test(count)) throw new UsageError(`invalid restart policy format: maximum retry count must be an integer`);
    return { Name: name, MaximumRetryCount: parseInt(count, 10) };
  }
  return { Name: name, MaximumRetryCount: 0 };
}

export function normalizeCaps(caps: string[]): string[] | null {
  if (!caps.length) return null;
  return caps.map((c) => {
    const u = c.trim().toUpperCase();
    return u === 'ALL' || u.startsWith('CAP_') ? u : `CAP_${u}`;
  });
}

/** `--blkio-weight-device /dev/sda:200`. */
export function parseWeightDevice(spec: string): { Path: string; Weight: number } {
  const i = spec.lastIndexOf(':');
  const w = i > 0 ? spec.slice(i + 1) : '';
  if (i <= 0 || !/^\d+$/.test(w)) throw new UsageError(`invalid argument "${spec}" for "--blkio-weight-device" flag: bad format: ${spec}`);
  const weight = parseInt(w, 10);
  if (weight > 0 && (weight < 10 || weight > 1000)) {
    throw new UsageError(`invalid argument "${spec}" for "--blkio-weight-device" flag: invalid weight for device: ${spec}`);
  }
  return { Path: spec.slice(0, i), Weight: weight };
}

/** `--device-read-bps /dev/sda:1mb` (bytes, with kb/mb/gb) and `--device-read-iops /dev/sda:100`. */
export function parseThrottleDevice(flag: string, spec: string, bytes: boolean): { Path: string; Rate: number } {
  const i = spec.lastIndexOf(':');
  const raw = i > 0 ? spec.slice(i + 1) : '';
  const bad = () => new UsageError(bytes
    ? `invalid argument "${spec}" for "--${flag}" flag: invalid rate for device: ${spec}. The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb`
    : `invalid argument "${spec}" for "--${flag}" flag: invalid rate for device: ${spec}. The correct format is <device-path>:<number>. Number must be a positive integer`);
  if (i <= 0) throw new UsageError(`invalid argument "${spec}" for "--${flag}" flag: bad format: ${spec}`);
  if (bytes) {
    const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtTpP])?[iI]?[bB]?$/.exec(raw);
    if (!m) throw bad();
    const mult: Record<string, number> = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };
    return { Path: spec.slice(0, i), Rate: Math.trunc(parseFloat(m[1]) * (m[2] ? mult[m[2].toLowerCase()] : 1)) };
  }
  if (!/^\d+$/.test(raw)) throw bad();
  return { Path: spec.slice(0, i), Rate: parseInt(raw, 10) };
}

/** `--gpus all`, `--gpus 2`, `--gpus '"device=1,2"'`, `--gpus count=2,capabilities=compute`. */
export function parseGpus(spec: string): Record<string, unknown> {
  const req = { Driver: '', Count: 0, DeviceIDs: null as string[] | null, Capabilities: [] as string[][], Options: {} as Record<string, string> };
  const caps = new Set<string>(['gpu']);
  const fields: string[] = [];
  // CSV with quotes: "device=1,2" stays one field
  let cur = '';
  let quoted = false;
  for (const ch of spec) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) { fields.push(cur); cur = ''; }
    else cur += ch;
  }
  fields.push(cur);
  for (const f of fields) {
    const eq = f.indexOf('=');
    const key = eq >= 0 ? f.slice(0, eq) : f;
    const val = eq >= 0 ? f.slice(eq + 1) : '';
    if (eq < 0) {
      if (key === 'all') req.Count = -1;
      else if (/^\d+$/.test(key)) req.Count = parseInt(key, 10);
      else throw new UsageError(`invalid argument "${spec}" for "--gpus" flag: unexpected key '${key}' in '${f}'`);
      continue;
    }
    if (key === 'driver') req.Driver = val;
    else if (key === 'count') req.Count = val === 'all' ? -1 : parseInt(val, 10);
    else if (key === 'device') req.DeviceIDs = val.split(',');
    else if (key === 'capabilities') for (const c of val.split(',')) caps.add(c);
    else if (key === 'options') for (const o of val.split(',')) { const [k, v] = o.split('='); req.Options[k] = v ?? ''; }
    else throw new UsageError(`invalid argument "${spec}" for "--gpus" flag: unexpected key '${key}' in '${f}'`);
  }
  req.Capabilities = [[...caps].sort()];
  return req;
}
