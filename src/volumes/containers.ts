import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { SpecMount } from '../runtime/spec';
import { invalidParameter, notFound, system } from '../errdefs';
import type { Logger } from '../util/log';
import { secureJoin } from '../util/securejoin';
import { runChecked } from '../util/spawn';
import { parseBind, parseMount, parseTmpfs, parseVolumesFrom, type MountRequest } from './mountspec';
import type { VolumeService } from './service';
import { ANONYMOUS_LABEL, type ContainerLike, type MountPoint } from './types';

export interface ContainerLookup {
  /** Resolves a name or id (NotFound "No such container: x"). */
  get(ref: string): ContainerLike;
  find(ref: string): ContainerLike | undefined;
}

const depth = (p: string) => p.split('/').filter(Boolean).length;

/**
 * Plugs volumes, binds and tmpfs into the container lifecycle (as ContainerHooks): mount
 * points are worked out and anonymous volumes made at create, volumes mounted and filled
 * from the image at start, device volumes unmounted when their last user stops, anonymous
 * volumes removed with `rm -v`.
 */
export class VolumeMounts {
  constructor(private readonly volumes: VolumeService, private readonly containers: ContainerLookup, private readonly log: Logger) {}

  /** The container's mounts as inspect and ps show them. */
  view(id: string): Record<string, unknown>[] {
    return this.volumes.store.mountsOf(id).filter((m) => !m.hidden).map((m) => {
      const out: Record<string, unknown> = { Type: m.Type };
      if (m.Type === 'volume') out.Name = m.Name;
      Object.assign(out, { Source: m.Source, Destination: m.Destination });
      if (m.Type === 'volume') out.Driver = m.Driver;
      Object.assign(out, { Mode: m.Mode, RW: m.RW, Propagation: m.Propagation });
      return out;
    });
  }

  mountsOf(id: string): MountPoint[] { return this.volumes.store.mountsOf(id); }

  /**
   * Volumes and binds by destination, for docker cp (tmpfs lives only inside the container).
   * Volumes with a device (local driver type/device/o) are mounted if no container holds
   * them, so that a stopped container's copy reaches their content, as dockerd does; the
   * next stop of a user (or the volume's removal) unmounts them.
   */
  async archiveMounts(id: string): Promise<{ destination: string; source: string; rw: boolean }[]> {
    const out: { destination: string; source: string; rw: boolean }[] = [];
    for (const m of this.mountsOf(id)) {
      if (m.Type === 'tmpfs') continue;
      const v = m.Type === 'volume' ? this.volumes.find(m.Name ?? '') : undefined;
      if (v?.options.type) await this.volumes.local.mount(v);
      out.push({ destination: m.Destination, rw: m.RW, source: m.Type === 'volume' && m.subpath ? secureJoin(m.Source, m.subpath) : m.Source });
    }
    return out;
  }

  private requests(c: ContainerLike): { reqs: MountRequest[]; from: MountPoint[] } {
    const hc = c.hostConfig;
    const from: MountPoint[] = [];
    for (const spec of hc.VolumesFrom ?? []) {
      const { container, mode } = parseVolumesFrom(spec);
      const src = this.containers.get(container);
      if (src.id === c.id) throw invalidParameter('cannot mount volumes from the container itself');
      for (const m of this.volumes.store.mountsOf(src.id)) {
        from.push({ ...m, RW: m.RW && mode !== 'ro', Mode: mode || m.Mode, copyData: false, anonymous: false });
      }
    }
    const reqs: MountRequest[] = [];
    const seen = new Set<string>();
    const add = (r: MountRequest) => {
      if (seen.has(r.destination)) throw invalidParameter(`Duplicate mount point: ${r.destination}`);
      seen.add(r.destination);
      reqs.push(r);
    };
    for (const b of hc.Binds ?? []) {
      const r = parseBind(b);
      // dockerd's setBindModeIfNull: a named volume given with -v and no mode shows mode "z"
      add(r.type === 'volume' && r.source && !r.mode ? { ...r, mode: 'z' } : r);
    }
    for (const m of hc.Mounts ?? []) add(parseMount(m));
    for (const t of parseTmpfs(hc.Tmpfs ?? {})) add(t);
    for (const dst of Object.keys(c.config.Volumes ?? {})) {
      const d = path.posix.normalize(dst).replace(/(.)\/+$/, '$1');
      if (seen.has(d) || from.some((m) => m.Destination === d)) continue;
      seen.add(d);
      reqs.push({ type: 'volume', source: '', destination: d, readonly: false, mode: '', propagation: '', noCopy: false, createHostPath: false });
    }
    return { reqs, from };
  }

  /** created hook: works out the mount points, creating named and anonymous volumes. */
  async created(c: ContainerLike): Promise<void> {
    const { reqs, from } = this.requests(c);
    const made: string[] = [];
    try {
      const points: MountPoint[] = from.filter((m) => !reqs.some((r) => r.destination === m.Destination));
      for (const r of reqs) {
        if (r.type === 'bind') {
          if (!r.createHostPath) await checkBindSource(r.source);
          points.push({ Type: 'bind', Source: r.source, Destination: r.destination, Mode: r.mode, RW: !r.readonly, Propagation: r.propagation });
          continue;
        }
        if (r.type === 'tmpfs') {
          points.push({ Type: 'tmpfs', Source: '', Destination: r.destination, Mode: r.mode, RW: !r.readonly, Propagation: '', tmpfsOptions: r.tmpfsOptions, hidden: r.hidden });
          continue;
        }
        const anonymous = r.source === '';
        const existed = !anonymous && !!this.volumes.find(r.source);
        const v = await this.volumes.create({
          Name: r.source || undefined, Driver: r.driver, DriverOpts: existed ? undefined : r.driverOpts,
          Labels: anonymous ? { [ANONYMOUS_LABEL]: '', ...(r.volumeLabels ?? {}) } : existed ? undefined : r.volumeLabels,
        });
        if (!existed) made.push(v.name);
        points.push({
          Type: 'volume', Name: v.name, Source: this.volumes.local.dataPath(v.name), Destination: r.destination, Driver: v.driver,
          Mode: r.mode, RW: !r.readonly, Propagation: '', copyData: !r.noCopy, anonymous, subpath: r.subpath,
        });
      }
      points.sort((a, b) => depth(a.Destination) - depth(b.Destination));
      this.volumes.store.setMounts(c.id, points);
    } catch (e) {
      for (const n of made) await this.volumes.remove(n).catch(() => undefined);
      throw e;
    }
  }

  /** prepare hook: mounts device volumes, fills new volumes from the image, returns the spec mounts. */
  async prepare(c: ContainerLike, rootfs: string): Promise<{ mounts: SpecMount[] }> {
    const points = this.volumes.store.mountsOf(c.id);
    const out: SpecMount[] = [];
    let changed = false;
    for (const m of points) {
      if (m.Type === 'tmpfs') {
        out.push({ destination: m.Destination, type: 'tmpfs', readonly: !m.RW, options: m.tmpfsOptions ?? [] });
        continue;
      }
      const propagation = m.Propagation ? [m.Propagation] : [];
      if (m.Type === 'bind') {
        await ensureBindSource(m.Source, this.bindCreatable(c, m));
        out.push({ destination: m.Destination, type: 'bind', source: m.Source, readonly: !m.RW, options: propagation });
        continue;
      }
      const v = this.volumes.find(m.Name ?? '');
      if (!v) throw notFound(`get ${m.Name}: no such volume`);
      const data = await this.volumes.local.mount(v);
      if (m.copyData) {
        await copyUp(rootfs, m.Destination, data).catch((e) => { throw system(`copying image content into volume ${v.name}: ${(e as Error).message}`); });
        m.copyData = false;
        changed = true;
      }
      let source = data;
      if (m.subpath) {
        source = secureJoin(data, m.subpath);
        await fs.stat(source).catch(() => { throw invalidParameter(`cannot access path ${source}: no such file or directory`); });
      }
      out.push({ destination: m.Destination, type: 'bind', source, readonly: !m.RW, options: propagation });
    }
    if (changed) this.volumes.store.setMounts(c.id, points);
    return { mounts: out };
  }

  private bindCreatable(c: ContainerLike, m: MountPoint): boolean {
    return (c.hostConfig.Binds ?? []).some((b) => { try { const r = parseBind(b); return r.destination === m.Destination; } catch { return false; } })
      || (c.hostConfig.Mounts ?? []).some((x) => x.Type === 'bind' && x.BindOptions?.CreateMountpoint && path.posix.normalize(x.Target) === m.Destination);
  }

  /** The container's named-volume mounts whose volume still exists, with it. */
  private *volumesOf(c: ContainerLike) {
    for (const m of this.volumes.store.mountsOf(c.id)) {
      const v = m.Type === 'volume' && m.Name ? this.volumes.find(m.Name) : undefined;
      if (v) yield { m, v };
    }
  }

  /** stopped hook: a device volume (tmpfs, bind) is unmounted once no running container uses it. */
  async stopped(c: ContainerLike): Promise<void> {
    for (const { v } of this.volumesOf(c)) {
      if (!v.options.type) continue;
      const busy = this.volumes.usersOf(v.name).some((id) => id !== c.id && this.containers.find(id)?.state.Running);
      if (!busy) await this.volumes.local.unmount(v).catch((e) => this.log.warn(`unmount volume ${v.name}: ${String(e)}`));
    }
  }

  /**
   * started hook: the `mount` events, sent once the start went through and after the
   * network's `connect`, as dockerd orders them (the volumes were mounted in prepare).
   */
  async started(c: ContainerLike): Promise<void> {
    for (const { m, v } of this.volumesOf(c)) {
      this.volumes.emit('mount', v.name, { container: c.id, destination: m.Destination, driver: v.driver, propagation: m.Propagation, 'read/write': String(m.RW) });
    }
  }

  /** died hook: the `unmount` events, after `die` as dockerd sends them. */
  async died(c: ContainerLike): Promise<void> {
    for (const { v } of this.volumesOf(c)) this.volumes.emit('unmount', v.name, { container: c.id, driver: v.driver });
  }

  /** removing hook: forgets the mounts; with rm -v removes the anonymous volumes no one else uses. */
  async removing(c: ContainerLike, opts: { volumes: boolean }): Promise<void> {
    const points = this.volumes.store.mountsOf(c.id);
    await this.stopped(c);
    this.volumes.store.deleteMounts(c.id);
    if (!opts.volumes) return;
    for (const m of points) {
      if (m.Type !== 'volume' || !m.anonymous || !m.Name) continue;
      await this.volumes.remove(m.Name).catch((e) => this.log.warn(`rm -v ${c.id}: ${String(e)}`));
    }
  }
}

async function checkBindSource(src: string): Promise<void> {
  try { await fs.stat(src); } catch {
    throw invalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${src}`);
  }
}

async function ensureBindSource(src: string, create: boolean): Promise<void> {
  try { await fs.stat(src); return; } catch { /* missing */ }
  if (!create) throw invalidParameter(`invalid mount config for type "bind": bind source path does not exist: ${src}`);
  await fs.mkdir(src, { recursive: true, mode: 0o755 });
}

/**
 * Docker's copy-up: a new, empty volume gets what the image holds at the mount path
 * (owner and mode of the directory too). The path is resolved inside the container root.
 */
export async function copyUp(rootfs: string, destination: string, data: string): Promise<void> {
  const src = secureJoin(rootfs, destination);
  let st;
  try { st = await fs.lstat(src); } catch { return; }
  if (!st.isDirectory()) return;
  if ((await fs.readdir(data)).length > 0) return;
  if ((await fs.readdir(src)).length > 0) {
    await runChecked('cp', ['-a', '--no-dereference', '--', `${src}/.`, `${data}/`]);
  }
  await fs.chown(data, st.uid, st.gid);
  await fs.chmod(data, st.mode & 0o7777);
}

