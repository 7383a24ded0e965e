import { randomBytes } from 'node:crypto';
import * as fsSync from 'node:fs';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { invalidParameter, notFound, system } from '../errdefs';
import { TEMP_PREFIX, fsyncDir } from '../util/atomic';
import { type IdMapping, rootPair, shiftTree } from '../util/idmap';
import { isMountPoint, mountPoints, mountPointsSync, run, syncFs, unmount } from './mounts';

/**
 * Overlay layer store laid out like Docker's overlay2 driver under <root>
 * (normally <data-root>/overlay2):
 *
 *   <id>/diff     the layer's files (the upperdir of a read-write layer)
 *   <id>/link     its short name, 26 characters
 *   <id>/lower    the lower chain as short links, nearest first: "l/AAA:l/BBB" (absent for a base layer)
 *   <id>/work     overlay's workdir (layers with a parent, and read-write layers)
 *   <id>/merged   the mount point of a read-write layer
 *   l/<short>     -> ../<id>/diff, so that a lowerdir option of 128 layers fits in one page
 *
 * Layers are made in a temp dir (.tmp-*) and renamed into place; removals rename to a
 * temp name first. reconcile() deletes temp dirs and, given the ids the metadata knows,
 * layer dirs that a crash left unrecorded. This module keeps no metadata of its own
 * beyond those files: the caller records which ids exist (images module, SQLite).
 * Mounts are one `mount` spawn with cwd = <root> and relative paths.
 */
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LINK_DIR = 'l';
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function shortLinkName(): string {
  const bytes = randomBytes(17);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < 26) { out += BASE32[(value >>> (bits - 5)) & 31]; bits -= 5; }
  }
  return out;
}

let indexOption: Promise<boolean> | undefined;
function supportsIndexOption(): Promise<boolean> {
  return (indexOption ??= fs.access('/sys/module/overlay/parameters/index').then(() => true, () => false));
}

/** A small file's text, trimmed ('' when it does not exist): one synchronous read. */
function readSmall(file: string): string {
  try { return fsSync.readFileSync(file, 'utf8').trim(); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
}

export function checkLayerId(id: string): string {
  if (!ID_RE.test(id) || id === LINK_DIR) throw invalidParameter(`invalid layer id: ${JSON.stringify(id)}`);
  return id;
}

export interface PreparedLayer { tmp: string; link: string }

export interface GraphDriverData { LowerDir?: string; MergedDir: string; UpperDir: string; WorkDir: string }

export class OverlayStore {
  private rootDir: string;
  /** Mount, unmount and removal of one layer run one at a time (two starts must not stack two mounts). */
  private perLayer = new Map<string, Promise<unknown>>();

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.perLayer.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const settled = next.catch(() => undefined);
    this.perLayer.set(id, settled);
    void settled.then(() => { if (this.perLayer.get(id) === settled) this.perLayer.delete(id); });
    return next;
  }
  /**
   * With a user-namespace mapping (--userns-remap) layers hold host ids: unpacked files are
   * shifted into the range, and the dirs the container's root must reach are laid out as
   * dockerd's overlay2 does (store and layer dirs 0710 root:<its gid>; diff, work, merged its own).
   */
  constructor(root: string, private readonly idMapping: IdMapping | null = null) { this.rootDir = path.resolve(root); }

  /** The store's directory, symlinks resolved once init() ran (mountinfo shows real paths). */
  get root(): string { return this.rootDir; }

  async init(): Promise<void> {
    await fs.mkdir(path.join(this.rootDir, LINK_DIR), { recursive: true, mode: 0o700 });
    this.rootDir = await fs.realpath(this.rootDir);
    if (this.idMapping) this.ownRemapped(this.rootDir, 0o710, true);
  }

  dir(id: string): string { return path.join(this.root, checkLayerId(id)); }
  diffDir(id: string): string { return path.join(this.dir(id), 'diff'); }
  mergedDir(id: string): string { return path.join(this.dir(id), 'merged'); }
  workDir(id: string): string { return path.join(this.dir(id), 'work'); }

  async exists(id: string): Promise<boolean> { return this.hasLayer(id); }

  /** Whether layer <id> exists: one stat (docker run's path calls it too). */
  private hasLayer(id: string): boolean {
    return fsSync.statSync(this.diffDir(id), { throwIfNoEntry: false })?.isDirectory() ?? false;
  }

  async link(id: string): Promise<string> { return this.linkOf(id); }

  private linkOf(id: string): string {
    const l = readSmall(path.join(this.dir(id), 'link'));
    if (!l) throw notFound(`layer ${id}: not found`);
    return l;
  }

  /** The lowerdir chain for something stacked on top of `id`: its own link, then its lowers. */
  lowerFor(id: string): string {
    const own = `${LINK_DIR}/${this.linkOf(id)}`;
    const lower = readSmall(path.join(this.dir(id), 'lower'));
    return lower ? `${own}:${lower}` : own;
  }

  /**
   * Step one of making an image layer: a temp dir whose diff/ `fill` writes into, flushed to
   * disk (one syncfs). The parent is named only at commit, so
   * the layers of one image can be unpacked in parallel. Nothing is visible until commitLayer().
   */
  async prepareLayer(fill: (diffDir: string) => Promise<void>, opts: {
    /** false: the caller flushes (one syncfs for several layers) before committing */
    sync?: boolean;
    /** true: `fill` writes host ids already (a container's upper dir); otherwise the tar's (container) ids, shifted here when remapped */
    hostIds?: boolean;
  } = {}): Promise<PreparedLayer> {
    const tmp = path.join(this.root, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    await fs.mkdir(path.join(tmp, 'diff'), { recursive: true, mode: 0o700 });
    try {
      await fs.chmod(path.join(tmp, 'diff'), 0o755);
      await fill(path.join(tmp, 'diff'));
      if (this.idMapping) {
        if (!opts.hostIds) await shiftTree(path.join(tmp, 'diff'), this.idMapping);
        else this.ownRemapped(path.join(tmp, 'diff'), 0o755, false);
        this.ownRemapped(tmp, 0o710, true);
      }
      const link = shortLinkName();
      await fs.writeFile(path.join(tmp, 'link'), link);
      // Image layers are flushed (one syncfs) before their row is committed.
      if (opts.sync !== false) await syncFs(tmp);
      return { tmp, link };
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true });
      throw e;
    }
  }

  /**
   * Step two: writes the lower chain of `parent` (which must exist), renames the prepared
   * dir to <id> and makes its short link. Returns false (and discards the new copy) when a
   * layer <id> already exists: layers are shared.
   */
  async commitLayer(p: PreparedLayer, id: string, parent: string | null, durable = true): Promise<boolean> {
    checkLayerId(id);
    try {
      if (this.hasLayer(id)) return false;
      if (parent) {
        const lower = path.join(p.tmp, 'lower');
        const fh = await fs.open(lower, 'w', 0o644);
        try { await fh.writeFile(this.lowerFor(parent)); if (durable) await fh.sync(); } finally { await fh.close(); }
        await fs.mkdir(path.join(p.tmp, 'work'), { mode: 0o700 }).catch((e) => { if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e; });
        if (this.idMapping) this.ownRemapped(path.join(p.tmp, 'work'), 0o700, false);
      }
      try {
        await fs.rename(p.tmp, this.dir(id));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
        throw e;
      }
      this.placeLink(id, p.link);
      if (durable) await fsyncDir(path.join(this.root, LINK_DIR));
      if (durable) await fsyncDir(this.root);
      return true;
    } finally {
      await fs.rm(p.tmp, { recursive: true, force: true });
    }
  }

  /** Owner root:<remapped gid> (`groupOnly`) or the remapped root itself, and `mode`. */
  private ownRemapped(dir: string, mode: number, groupOnly: boolean): void {
    const { uid, gid } = rootPair(this.idMapping);
    fsSync.chownSync(dir, groupOnly ? 0 : uid, gid);
    fsSync.chmodSync(dir, mode);
  }

  async discard(p: PreparedLayer): Promise<void> {
    await fs.rm(p.tmp, { recursive: true, force: true });
  }

  /** The short link l/<link> -> ../<id>/diff, put in place by a rename (not flushed). */
  private placeLink(id: string, link: string): void {
    const ldir = path.join(this.root, LINK_DIR);
    const tmpLink = path.join(ldir, `${TEMP_PREFIX}${link}`);
    fsSync.rmSync(tmpLink, { force: true });
    fsSync.symlinkSync(`../${id}/diff`, tmpLink);
    fsSync.renameSync(tmpLink, path.join(ldir, link));
  }

  /**
   * A read-write layer (a container's root) on top of `parent`: the steps of prepareLayer and
   * commitLayer for an empty layer, as a dozen small synchronous calls (on `docker run`'s path,
   * where each thread-pool round trip costs more than the call itself and queues behind other
   * file work under load). It starts empty, so nothing is flushed: a crash loses nothing of
   * value, and reconcile drops a row whose dir did not survive.
   */
  async createRW(id: string, parent: string | null): Promise<boolean> {
    if (parent && !this.hasLayer(parent)) throw notFound(`layer ${parent}: not found`);
    checkLayerId(id);
    const tmp = path.join(this.root, `${TEMP_PREFIX}${randomBytes(8).toString('hex')}`);
    const link = shortLinkName();
    try {
      fsSync.mkdirSync(tmp, { mode: 0o700 });
      const dirs: [string, number][] = [['diff', 0o755], ['work', 0o700], ['merged', 0o700], ['empty', 0o755]];
      for (const [d, mode] of dirs) {
        fsSync.mkdirSync(path.join(tmp, d), { mode });
        fsSync.chmodSync(path.join(tmp, d), mode); // whatever the umask
        if (this.idMapping) this.ownRemapped(path.join(tmp, d), mode, false);
      }
      if (this.idMapping) this.ownRemapped(tmp, 0o710, true);
      fsSync.writeFileSync(path.join(tmp, 'link'), link);
      if (parent) fsSync.writeFileSync(path.join(tmp, 'lower'), this.lowerFor(parent), { mode: 0o644 });
      if (this.hasLayer(id)) return false;
      try {
        fsSync.renameSync(tmp, this.dir(id));
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOTEMPTY' || code === 'EEXIST') return false;
        throw e;
      }
      this.placeLink(id, link);
      return true;
    } finally {
      fsSync.rmSync(tmp, { recursive: true, force: true });
    }
  }

  /** Mounts a read-write layer at <id>/merged (idempotent) and returns that path. */
  mount(id: string): Promise<string> {
    return this.serial(id, () => this.doMount(id));
  }

  private async doMount(id: string): Promise<string> {
    const merged = this.mergedDir(id);
    // Small synchronous steps (docker run's path), then one `mount` spawn.
    if (!this.hasLayer(id)) throw notFound(`layer ${id}: not found`);
    if (mountPointsSync().has(merged)) return merged;
    const lowerFile = readSmall(path.join(this.dir(id), 'lower'));
    const lower = lowerFile || `${id}/empty`;
    fsSync.mkdirSync(merged, { recursive: true, mode: 0o700 });
    if (!lowerFile) fsSync.mkdirSync(path.join(this.dir(id), 'empty'), { recursive: true });
    // As dockerd: index=off where the kernel knows the option, so that layer dirs can be
    // reused by any mount regardless of the kernel's default.
    const indexOff = (await supportsIndexOption()) ? 'index=off,' : '';
    const opts = `${indexOff}lowerdir=${lower},upperdir=${id}/diff,workdir=${id}/work`;
    if (opts.length > 4000) throw system(`layer ${id}: too many lower layers for one mount`);
    await run('mount', ['-t', 'overlay', 'overlay', '-o', opts, merged], { cwd: this.root });
    return merged;
  }

  unmount(id: string): Promise<void> {
    const merged = this.mergedDir(id);
    return this.serial(id, () => unmount(merged));
  }

  async isMounted(id: string): Promise<boolean> { return isMountPoint(this.mergedDir(id)); }

  /** Removes a layer (unmounting it first); removing a missing layer is not an error. */
  remove(id: string): Promise<void> {
    const dir = this.dir(id);
    return this.serial(id, () => this.doRemove(id, dir));
  }

  private async doRemove(id: string, dir: string): Promise<void> {
    await unmount(path.join(dir, 'merged'));
    const link = readSmall(path.join(dir, 'link'));
    const trash = path.join(this.root, `${TEMP_PREFIX}rm-${randomBytes(8).toString('hex')}`);
    try { await fs.rename(dir, trash); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    if (link && /^[A-Z2-7]{26}$/.test(link)) await fs.rm(path.join(this.root, LINK_DIR, link), { force: true });
    await fs.rm(trash, { recursive: true, force: true });
  }

  /** Bytes of regular files in the layer's diff dir, each inode once (as Docker's du). */
  async diffSize(id: string): Promise<number> {
    const seen = new Set<string>();
    let total = 0;
    const walk = async (d: string): Promise<void> => {
      let entries;
      try { entries = await fs.readdir(d, { withFileTypes: true }); } catch { return; }
      for (const e of entries) {
        const p = path.join(d, e.name);
        const st = await fs.lstat(p).catch(() => null);
        if (!st) continue;
        if (st.isDirectory()) { await walk(p); continue; }
        const key = `${st.dev}:${st.ino}`;
        if (seen.has(key)) continue;
        seen.add(key);
        total += st.size;
      }
    };
    await walk(this.diffDir(id));
    return total;
  }

  /** GraphDriver.Data as `docker inspect` shows it for a layer stacked on its lowers. */
  graphDriverData(id: string, lowerIds: string[]): GraphDriverData {
    const data: GraphDriverData = { MergedDir: this.mergedDir(id), UpperDir: this.diffDir(id), WorkDir: this.workDir(id) };
    if (lowerIds.length) data.LowerDir = lowerIds.map((l) => this.diffDir(l)).join(':');
    return data;
  }

  /**
   * Start-up clean-up: temp dirs go; layer dirs whose id is not in `known` are unmounted and
   * removed (a crash between the rename and the metadata commit); dangling short links go.
   */
  async reconcile(known: Set<string>): Promise<string[]> {
    await this.init();
    const removed: string[] = [];
    const mounts = await mountPoints();
    for (const name of await fs.readdir(this.root)) {
      if (name === LINK_DIR) continue;
      const p = path.join(this.root, name);
      if (name.startsWith(TEMP_PREFIX) || !known.has(name)) {
        if (mounts.has(path.join(p, 'merged'))) await unmount(path.join(p, 'merged'));
        if (name.startsWith(TEMP_PREFIX) || !ID_RE.test(name)) await fs.rm(p, { recursive: true, force: true });
        else await this.remove(name);
        removed.push(name);
      }
    }
    const ldir = path.join(this.root, LINK_DIR);
    for (const name of await fs.readdir(ldir)) {
      const p = path.join(ldir, name);
      const ok = await fs.stat(p).then(() => true, () => false);
      if (!ok || name.startsWith(TEMP_PREFIX)) await fs.rm(p, { force: true });
    }
    return removed;
  }
}
