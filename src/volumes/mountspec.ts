import * as path from 'node:path';
import type { Mount } from '../api/types';
import { invalidParameter } from '../errdefs';
import { VOLUME_NAME_RE } from './types';

/**
 * A mount as the user asked for it (-v, --mount, --tmpfs, image VOLUME), before volumes
 * are looked up or created. Parsing follows moby's volume/mounts linux parser and its
 * messages.
 */
export interface MountRequest {
  type: 'volume' | 'bind' | 'tmpfs';
  /** Volume name ("" = anonymous) or host path. */
  source: string;
  destination: string;
  readonly: boolean;
  mode: string;
  propagation: string;
  noCopy: boolean;
  /** -v host paths that do not exist are created; --mount ones are refused. */
  createHostPath: boolean;
  tmpfsOptions?: string[];
  hidden?: boolean;
  volumeLabels?: Record<string, string>;
  driver?: string;
  driverOpts?: Record<string, string>;
  subpath?: string;
}

const PROPAGATION = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];
const CONSISTENCY = ['consistent', 'cached', 'delegated'];

const invalidSpec = (spec: string, why?: string) => invalidParameter(`invalid volume specification: '${spec}'${why ? `: ${why}` : ''}`);

function validMode(mode: string): boolean {
  if (!mode) return true;
  let rw = 0, label = 0, prop = 0, copy = 0, cons = 0;
  for (const o of mode.split(',')) {
    if (o === 'rw' || o === 'ro') rw++;
    else if (o === 'z' || o === 'Z') label++;
    else if (PROPAGATION.includes(o)) prop++;
    else if (o === 'nocopy') copy++;
    else if (CONSISTENCY.includes(o)) cons++;
    else return false;
  }
  return rw <= 1 && label <= 1 && prop <= 1 && copy <= 1 && cons <= 1;
}

function checkDestination(spec: string, type: string, dst: string): string {
  if (!dst.startsWith('/')) throw invalidSpec(spec, `invalid mount config for type "${type}": invalid mount path: '${dst}' mount path must be absolute`);
  const clean = path.posix.normalize(dst).replace(/(.)\/+$/, '$1');
  if (clean === '/') throw invalidParameter(`invalid specification: destination can't be '/'`);
  return clean;
}

/** One -v / Binds entry: `dst`, `src:dst`, `src:dst:mode`. */
export function parseBind(spec: string): MountRequest {
  const parts = spec.split(':');
  let src = '', dst = '', mode = '';
  if (parts.length === 1) dst = parts[0];
  else if (parts.length === 2) {
    if (validMode(parts[1]) && parts[1] !== '' && !parts[1].startsWith('/')) throw invalidSpec(spec);
    [src, dst] = parts;
  } else if (parts.length === 3) [src, dst, mode] = parts;
  else throw invalidSpec(spec);
  if (!dst) throw invalidSpec(spec);
  if (!validMode(mode)) throw invalidSpec(spec, `invalid mode: ${mode}`);
  const opts = mode.split(',').filter(Boolean);
  const isBind = src.startsWith('/');
  const type = isBind ? 'bind' : 'volume';
  const destination = checkDestination(spec, type, dst);
  if (!isBind && src && !VOLUME_NAME_RE.test(src)) {
    throw invalidParameter(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  const prop = opts.find((o) => PROPAGATION.includes(o));
  if (!isBind && prop) throw invalidSpec(spec, `invalid mode: ${mode}`);
  if (isBind && opts.includes('nocopy')) throw invalidSpec(spec, `invalid mode: ${mode}`);
  return {
    type, source: isBind ? path.posix.normalize(src).replace(/(.)\/+$/, '$1') : src, destination,
    readonly: opts.includes('ro'), mode, propagation: isBind ? prop ?? 'rprivate' : '',
    noCopy: opts.includes('nocopy'), createHostPath: true,
  };
}

function octal(n: number): string { return n.toString(8); }

/** One HostConfig.Mounts entry (`--mount`). */
export function parseMount(m: Mount): MountRequest {
  const type = m.Type;
  const bad = (why: string) => invalidParameter(`invalid mount config for type "${type}": ${why}`);
  if (type !== 'bind' && type !== 'volume' && type !== 'tmpfs') throw invalidParameter(`mount type unknown: "${String(type)}"`);
  if (!m.Target) throw bad('field Target must not be empty');
  if (!m.Target.startsWith('/')) throw bad(`invalid mount path: '${m.Target}' mount path must be absolute`);
  const destination = path.posix.normalize(m.Target).replace(/(.)\/+$/, '$1');
  if (destination === '/') throw invalidParameter(`invalid specification: destination can't be '/'`);
  if (type !== 'bind' && m.BindOptions) throw bad('field BindOptions must not be specified');
  if (type !== 'volume' && m.VolumeOptions) throw bad('field VolumeOptions must not be specified');
  if (type !== 'tmpfs' && m.TmpfsOptions) throw bad('field TmpfsOptions must not be specified');
  const base = { destination, readonly: !!m.ReadOnly, noCopy: false, createHostPath: false };
  if (type === 'bind') {
    if (!m.Source) throw bad('field Source must not be empty');
    if (!m.Source.startsWith('/')) throw bad(`invalid mount path: '${m.Source}' mount path must be absolute`);
    const prop = m.BindOptions?.Propagation || 'rprivate';
    if (!PROPAGATION.includes(prop)) throw bad(`invalid propagation mode: ${prop}`);
    return { ...base, type, source: path.posix.normalize(m.Source).replace(/(.)\/+$/, '$1'), mode: '', propagation: prop, createHostPath: !!m.BindOptions?.CreateMountpoint };
  }
  if (type === 'tmpfs') {
    if (m.Source) throw bad('field Source must not be specified');
    const opts: string[] = [];
    const t = m.TmpfsOptions ?? {};
    if (t.SizeBytes !== undefined && t.SizeBytes !== 0) {
      if (t.SizeBytes < 0) throw bad('invalid tmpfs size: must be a positive integer');
      opts.push(`size=${t.SizeBytes}`);
    }
    if (t.Mode) opts.push(`mode=${octal(t.Mode & 0o7777)}`);
    for (const o of t.Options ?? []) opts.push(o.length > 1 ? `${o[0]}=${o[1]}` : o[0]);
    return { ...base, type, source: '', mode: '', propagation: '', tmpfsOptions: opts };
  }
  const src = m.Source ?? '';
  if (src && !VOLUME_NAME_RE.test(src)) {
    throw invalidParameter(`create ${src}: "${src}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
  }
  const vo = m.VolumeOptions ?? {};
  const subpath = vo.Subpath ? path.posix.normalize(vo.Subpath) : undefined;
  if (subpath && (subpath.startsWith('/') || subpath === '..' || subpath.startsWith('../'))) throw bad('subpath must be a relative path within the volume');
  return {
    ...base, type, source: src, mode: 'z', propagation: '', noCopy: !!vo.NoCopy,
    volumeLabels: vo.Labels ?? undefined, driver: vo.DriverConfig?.Name || undefined, driverOpts: vo.DriverConfig?.Options ?? undefined,
    subpath,
  };
}

/** HostConfig.Tmpfs (`--tmpfs /run:rw,size=64m`): tmpfs mounts docker leaves out of Mounts. */
export function parseTmpfs(tmpfs: Record<string, string>): MountRequest[] {
  return Object.entries(tmpfs).map(([dst, opts]) => {
    if (!dst.startsWith('/')) throw invalidParameter(`invalid mount config for type "tmpfs": invalid mount path: '${dst}' mount path must be absolute`);
    const list = opts ? opts.split(',').filter(Boolean) : [];
    return {
      type: 'tmpfs' as const, source: '', destination: path.posix.normalize(dst).replace(/(.)\/+$/, '$1'), readonly: list.includes('ro'),
      mode: '', propagation: '', noCopy: false, createHostPath: false, tmpfsOptions: list.filter((o) => o !== 'ro' && o !== 'rw'), hidden: true,
    };
  });
}

/** `--volumes-from name[:ro|rw]`. */
export function parseVolumesFrom(spec: string): { container: string; mode: '' | 'ro' | 'rw' } {
  const i = spec.lastIndexOf(':');
  if (i < 0) return { container: spec, mode: '' };
  const mode = spec.slice(i + 1);
  if (mode !== 'ro' && mode !== 'rw' && mode !== 'z' && mode !== 'Z' && !/^(ro|rw),[zZ]$|^[zZ],(ro|rw)$/.test(mode)) {
    throw invalidParameter(`invalid mode for volumes-from: ${mode}`);
  }
  return { container: spec.slice(0, i), mode: mode.includes('ro') ? 'ro' : mode.includes('rw') ? 'rw' : '' };
}
