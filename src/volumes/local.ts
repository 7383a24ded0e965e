import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { invalidParameter, system } from '../errdefs';
import { runChecked } from '../util/spawn';
import type { VolumeRecord } from './types';

const VALID_OPTS = new Set(['type', 'device', 'o']);
const MANDATORY: Record<string, string[]> = { device: ['type'], type: ['device'], o: ['device', 'type'] };


/** Mount points from /proc/self/mountinfo (octal escapes decoded). */
export function mountPoints(): string[] {
  const text = readFileSync('/proc/self/mountinfo', 'utf8');
  return text.split('\n').filter(Boolean).map((l) => l.split(' ')[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))));
}

/**
 * Docker's "local" volume driver: a directory per volume, or (with the options type, device
 * and o) a file system mounted on that directory while containers use it, as `mount -t type
 * -o o device dir` does: tmpfs, a bind of a host directory (type=none, o=bind), nfs...
 */
export class LocalDriver {
  /** `dataOwner`: with --userns-remap, the remapped root's host ids own each new `_data` (as dockerd's local driver). */
  constructor(readonly root: string, private readonly dataOwner?: { uid: number; gid: number }) {}

  dataPath(name: string): string { return path.join(this.root, name, '_data'); }

  validate(opts: Record<string, string>): void {
    for (const k of Object.keys(opts)) if (!VALID_OPTS.has(k)) throw invalidParameter(`invalid option: "${k}"`);
    for (const [k, req] of Object.entries(MANDATORY)) {
      if (!(k in opts)) continue;
      for (const r of req) if (!(r in opts)) throw invalidParameter(`missing required option: "${r}"`);
    }
  }

  async create(v: VolumeRecord): Promise<void> {
    this.validate(v.options);
    await fs.mkdir(this.root, { recursive: true, mode: 0o701 });
    await fs.mkdir(path.join(this.root, v.name), { mode: 0o701 }).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
    await fs.mkdir(this.dataPath(v.name), { mode: 0o755 }).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'EEXIST') throw e; });
    if (this.dataOwner) await fs.chown(this.dataPath(v.name), this.dataOwner.uid, this.dataOwner.gid);
  }

  private hasDevice(v: VolumeRecord): boolean { return !!v.options.type; }

  isMounted(v: VolumeRecord): boolean {
    const p = this.dataPath(v.name);
    return mountPoints().includes(p);
  }

  /** Mounts the volume's device (if it has one) on its data dir; idempotent. */
  async mount(v: VolumeRecord): Promise<string> {
    const p = this.dataPath(v.name);
    if (!this.hasDevice(v) || this.isMounted(v)) return p;
    const o = v.options.o ?? '';
    const args = ['-t', v.options.type, ...(o ? ['-o', o] : []), v.options.device, p];
    try {
      await runChecked('mount', args);
    } catch (e) {
      throw system(`error while mounting volume '${p}': failed to mount local volume: mount ${v.options.device}:${p}, data: ${o}: ${(e as Error).message}`);
    }
    return p;
  }

  async unmount(v: VolumeRecord): Promise<void> {
    if (!this.hasDevice(v) || !this.isMounted(v)) return;
    await runChecked('umount', [this.dataPath(v.name)]).catch(async () => runChecked('umount', ['-l', this.dataPath(v.name)]));
  }

  /**
   * Deletes the volume's own directory. A volume with a device is unmounted first and its
   * data dir removed only when empty, so what it pointed to is never touched; a plain volume
   * refuses while anything is mounted inside it.
   */
  async remove(v: VolumeRecord): Promise<void> {
    const dir = path.join(this.root, v.name);
    const data = this.dataPath(v.name);
    await this.unmount(v);
    const inside = mountPoints().filter((m) => m === data || m.startsWith(`${data}/`) || m === dir);
    if (inside.length) throw system(`remove ${v.name}: volume data is still mounted at ${inside[0]}`);
    if (this.hasDevice(v)) {
      await fs.rmdir(data).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw system(`remove ${v.name}: ${e.message}`); });
      await fs.rmdir(dir).catch((e: NodeJS.ErrnoException) => { if (e.code !== 'ENOENT') throw system(`remove ${v.name}: ${e.message}`); });
      return;
    }
    await fs.rm(dir, { recursive: true, force: true });
  }

  /** Bytes used under the data dir (without following links or crossing into other mounts). */
  async size(v: VolumeRecord): Promise<number> {
    if (this.hasDevice(v) && !this.isMounted(v)) return 0;
    return duBytes(this.dataPath(v.name));
  }
}

/** Apparent size of a tree like Docker's directory.Size: regular files and links, each inode once. */
export async function duBytes(root: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  let rootDev: number | undefined;
  const walk = async (p: string): Promise<void> => {
    let st;
    try { st = await fs.lstat(p); } catch { return; }
    if (rootDev === undefined) rootDev = st.dev;
    if (st.dev !== rootDev) return;
    if (st.isDirectory()) {
      let names: string[] = [];
      try { names = await fs.readdir(p); } catch { return; }
      for (const n of names) await walk(path.join(p, n));
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1) { if (seen.has(key)) return; seen.add(key); }
    total += st.size;
  };
  await walk(root);
  return total;
}
