import { randomBytes } from 'node:crypto';
import type { DB } from '../metadata/db';
import type { EventPublisher } from '../api/events';
import { conflict, invalidParameter, notFound } from '../errdefs';
import type { Logger } from '../util/log';
import { LocalDriver } from './local';
import { VolumeStore } from './store';
import { ANONYMOUS_LABEL, VOLUME_NAME_RE, type VolumeRecord } from './types';

export interface CreateVolumeOptions {
  Name?: string;
  Driver?: string;
  DriverOpts?: Record<string, string> | null;
  Labels?: Record<string, string> | null;
}

/** RFC 3339 with seconds and the local offset, as Docker's CreatedAt. */
function rfc3339Seconds(d: Date): string {
  const off = -d.getTimezoneOffset();
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const sign = off > 0 ? '+' : '-';
  const a = Math.abs(off);
  return `${local}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

const bool = (v: string) => {
  if (['1', 'true', 'True', 'TRUE'].includes(v)) return true;
  if (['0', 'false', 'False', 'FALSE'].includes(v)) return false;
  return undefined;
};

/**
 * The volume service: create, get, list, remove and prune volumes of the local driver;
 * which containers use a volume comes from the mount table kept beside the volumes.
 */
export class VolumeService {
  readonly store: VolumeStore;
  readonly local: LocalDriver;
  /** Serializes create/remove of the same name. */
  private busy = new Map<string, Promise<unknown>>();

  constructor(db: DB, root: string, private readonly events: EventPublisher, private readonly log: Logger, dataOwner?: { uid: number; gid: number }) {
    this.store = new VolumeStore(db);
    this.local = new LocalDriver(root, dataOwner);
  }

  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.busy.get(name) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.busy.set(name, tail);
    void tail.then(() => { if (this.busy.get(name) === tail) this.busy.delete(name); });
    return next;
  }

  get(name: string): VolumeRecord {
    const v = this.store.findVolume(name);
    if (!v) throw notFound(`get ${name}: no such volume`);
    return v;
  }

  find(name: string): VolumeRecord | undefined { return this.store.findVolume(name); }

  /** Creates a volume; an existing one of the same name is returned as is (Docker does too). */
  async create(o: CreateVolumeOptions): Promise<VolumeRecord> {
    const name = o.Name || randomBytes(32).toString('hex');
    const driver = o.Driver || 'local';
    if (driver !== 'local') throw notFound(`error looking up volume plugin ${driver}: plugin "${driver}" not found`);
    if (!VOLUME_NAME_RE.test(name)) {
      throw invalidParameter(`create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`);
    }
    return this.locked(name, async () => {
      const existing = this.store.findVolume(name);
      // dockerd's volume service sends `create` for an existing volume too (docker volume
      // create again, or a container that names it)
      if (existing) { this.events.publish('volume', 'create', name, { driver: existing.driver }); return existing; }
      const options = { ...(o.DriverOpts ?? {}) };
      try { this.local.validate(options); } catch (e) { throw invalidParameter(`create ${name}: ${(e as Error).message}`); }
      const v: VolumeRecord = { name, driver, createdAt: rfc3339Seconds(new Date()), labels: { ...(o.Labels ?? {}) }, options };
      await this.local.create(v);
      this.store.putVolume(v);
      this.events.publish('volume', 'create', name, { driver });
      return v;
    });
  }

  /** Docker's Volume object. */
  view(v: VolumeRecord, usage?: { Size: number; RefCount: number }): Record<string, unknown> {
    const out: Record<string, unknown> = {
      CreatedAt: v.createdAt,
      Driver: v.driver,
      Labels: Object.keys(v.labels).length ? v.labels : null,
      Mountpoint: this.local.dataPath(v.name),
      Name: v.name,
      Options: Object.keys(v.options).length ? v.options : null,
      Scope: 'local',
    };
    if (usage) out.UsageData = usage;
    return out;
  }

  usersOf(name: string): string[] { return this.store.usersOf(name); }

  /** Volume events as dockerd sends them (mount, unmount with the container's id). */
  emit(action: string, name: string, attrs: Record<string, string>): void {
    this.events.publish('volume', action, name, attrs);
  }

  list(filters: Map<string, string[]> = new Map()): VolumeRecord[] {
    for (const k of filters.keys()) if (!['dangling', 'name', 'label', 'driver'].includes(k)) throw invalidParameter(`invalid filter '${k}'`);
    return this.store.allVolumes().filter((v) => this.matches(v, filters)).sort((a, b) => a.name.localeCompare(b.name));
  }

  private matches(v: VolumeRecord, filters: Map<string, string[]>): boolean {
    const dangling = filters.get('dangling');
    if (dangling?.length) {
      const want = dangling.map((d) => {
        const b = bool(d);
        if (b === undefined) throw invalidParameter(`invalid filter 'dangling=${d}'`);
        return b;
      });
      const isDangling = this.store.usersOf(v.name).length === 0;
      if (!want.includes(isDangling)) return false;
    }
    const names = filters.get('name');
    if (names?.length && !names.some((n) => v.name.includes(n) || safeRegex(n)?.test(v.name))) return false;
    const drivers = filters.get('driver');
    if (drivers?.length && !drivers.includes(v.driver)) return false;
    if (!labelsMatch(v.labels, filters.get('label'))) return false;
    return true;
  }

  /** docker volume rm: refuses while containers use it (force only skips not-found). */
  async remove(name: string, opts: { force?: boolean } = {}): Promise<void> {
    const v = this.store.findVolume(name);
    if (!v) {
      if (opts.force) return;
      throw notFound(`get ${name}: no such volume`);
    }
    await this.locked(name, async () => {
      const users = this.store.usersOf(name);
      if (users.length) throw conflict(`remove ${name}: volume is in use - [${users.join(', ')}]`);
      await this.local.remove(v);
      this.store.deleteVolume(name);
      this.events.publish('volume', 'destroy', name, { driver: v.driver });
    });
  }

  /** docker volume prune: unused volumes; only anonymous ones unless `all=true`. */
  async prune(filters: Map<string, string[]>): Promise<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }> {
    for (const k of filters.keys()) if (!['label', 'label!', 'all'].includes(k)) throw invalidParameter(`invalid filter '${k}'`);
    const all = (filters.get('all') ?? []).some((a) => bool(a) === true);
    for (const a of filters.get('all') ?? []) if (bool(a) === undefined) throw invalidParameter(`invalid filter 'all=${a}'`);
    const deleted: string[] = [];
    let reclaimed = 0;
    for (const v of this.store.allVolumes()) {
      if (!all && !(ANONYMOUS_LABEL in v.labels)) continue;
      if (!labelsMatch(v.labels, filters.get('label'))) continue;
      const neg = filters.get('label!');
      if (neg?.length && neg.some((l) => labelsMatch(v.labels, [l]))) continue;
      if (this.store.usersOf(v.name).length) continue;
      const size = await this.local.size(v).catch(() => 0);
      try {
        await this.remove(v.name);
        deleted.push(v.name);
        reclaimed += size;
      } catch (e) {
        this.log.warn(`volume prune ${v.name}: ${String(e)}`);
      }
    }
    this.events.publish('volume', 'prune', '', { reclaimed: String(reclaimed) });
    return { VolumesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}

function safeRegex(s: string): RegExp | undefined {
  try { return new RegExp(s); } catch { return undefined; }
}

/** `label=k` or `label=k=v` filters: every one must match. */
export function labelsMatch(labels: Record<string, string>, wanted: string[] | undefined): boolean {
  if (!wanted?.length) return true;
  return wanted.every((w) => {
    const eq = w.indexOf('=');
    if (eq < 0) return w in labels;
    return labels[w.slice(0, eq)] === w.slice(eq + 1);
  });
}
