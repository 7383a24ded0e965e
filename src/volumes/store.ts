import type { DB } from '../metadata/db';
import { migrate } from '../metadata/db';
import type { MountPoint, VolumeRecord } from './types';

/**
 * Volume records and each container's mount points in SQLite. The mount table is what
 * makes a volume "in use" and what `rm -v` and `--volumes-from` read.
 */
export class VolumeStore {
  private volumes = new Map<string, VolumeRecord>();
  private mounts = new Map<string, MountPoint[]>();

  constructor(private readonly db: DB) {
    migrate(db, 'volumes', [
      `CREATE TABLE volumes (name TEXT PRIMARY KEY, data TEXT NOT NULL)`,
      `CREATE TABLE container_mounts (container_id TEXT PRIMARY KEY, data TEXT NOT NULL)`,
    ]);
    for (const r of db.prepare('SELECT data FROM volumes').all() as { data: string }[]) {
      const v = JSON.parse(r.data) as VolumeRecord;
      this.volumes.set(v.name, v);
    }
    for (const r of db.prepare('SELECT container_id, data FROM container_mounts').all() as { container_id: string; data: string }[]) {
      this.mounts.set(r.container_id, JSON.parse(r.data) as MountPoint[]);
    }
  }

  allVolumes(): VolumeRecord[] { return [...this.volumes.values()]; }
  findVolume(name: string): VolumeRecord | undefined { return this.volumes.get(name); }

  putVolume(v: VolumeRecord): void {
    this.db.prepare('INSERT OR REPLACE INTO volumes (name, data) VALUES (?, ?)').run(v.name, JSON.stringify(v));
    this.volumes.set(v.name, v);
  }

  deleteVolume(name: string): void {
    this.db.prepare('DELETE FROM volumes WHERE name = ?').run(name);
    this.volumes.delete(name);
  }

  mountsOf(containerId: string): MountPoint[] { return this.mounts.get(containerId) ?? []; }

  setMounts(containerId: string, list: MountPoint[]): void {
    this.db.prepare('INSERT OR REPLACE INTO container_mounts (container_id, data) VALUES (?, ?)').run(containerId, JSON.stringify(list));
    this.mounts.set(containerId, list);
  }

  deleteMounts(containerId: string): void {
    this.db.prepare('DELETE FROM container_mounts WHERE container_id = ?').run(containerId);
    this.mounts.delete(containerId);
  }

  /** Ids of containers that mount the volume. */
  usersOf(name: string): string[] {
    const out: string[] = [];
    for (const [id, list] of this.mounts) if (list.some((m) => m.Type === 'volume' && m.Name === name)) out.push(id);
    return out;
  }
}
