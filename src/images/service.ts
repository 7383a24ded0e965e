import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ImageConfigFile } from '../api/types';
import { ContentStore } from '../content/store';
import { invalidParameter, notFound } from '../errdefs';
import type { DB } from '../metadata/db';
import { OverlayStore, type GraphDriverData } from '../snapshots/overlay';
import type { IdMapping } from '../util/idmap';
import type { Logger } from '../util/log';
import {
  familiarString, parseAnyReference, parseRepoTag, referenceString, tagNameOnly, type Reference,
} from '../util/reference';
import { commitImage, unpackLayer, type CommitOptions, type UnpackedLayer } from './commit';
import { importImage } from './import';
import { ImageRecords, type ImageRow } from './records';
import { pruneImages } from './prune';
import { removeImage } from './remove';
import { inspectImage, listImages, type ListOptions } from './view';
import type { ImageRecord, ImageService, ImportOptions } from './types';

/** Where image events go: the engine's EventBus fits (images sits below engine, so no import of it). */
export interface ImageEventSink {
  publish(type: string, action: string, id: string, attributes?: Record<string, string>): unknown;
}

export interface LocalImageServiceOptions {
  /** the daemon's data root; the service uses <root>/content and <root>/overlay2 */
  root: string;
  db: DB;
  events?: ImageEventSink;
  log?: Logger;
  /** --userns-remap: layers are stored with host ids in the remapped range (see src/util/idmap.ts). */
  idMapping?: IdMapping | null;
}

/** The image config as stored: the OCI config plus Docker's top-level `comment`. */
export type StoredConfig = ImageConfigFile & { comment?: string };

/** Serializes the store's mutations (commit of an import, tag, rmi, layer GC). */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}

const NO_USERS = (): string[] => [];

/**
 * The local image store: configs in the content store, layers on overlay2, records in
 * SQLite. See ./types.ts for the contract. Call `await reconcile()` once before use.
 */
export class LocalImageService implements ImageService {
  readonly records: ImageRecords;
  readonly content: ContentStore;
  readonly layers: OverlayStore;
  readonly events?: ImageEventSink;
  readonly log?: Logger;
  readonly lock = new Mutex();
  usersOf: (imageId: string) => string[] = NO_USERS;
  /**
   * Content blobs to keep besides image configs (the registry client's layer blobs and
   * those of pulls in flight); reconcile() and layer collection delete all others.
   */
  keepBlobs?: () => Set<string>;
  runningUsersOf: (imageId: string) => string[] = NO_USERS;
  private configs = new Map<string, StoredConfig>();
  /** The clean-up that the last remove() started (rmi answers before layers are gone). */
  pendingCleanup: Promise<unknown> = Promise.resolve();

  constructor(opts: LocalImageServiceOptions) {
    this.records = new ImageRecords(opts.db);
    this.content = new ContentStore(path.join(opts.root, 'content'));
    this.layers = new OverlayStore(path.join(opts.root, 'overlay2'), opts.idMapping ?? null);
    this.events = opts.events;
    this.log = opts.log;
  }

  // ---- lookups -------------------------------------------------------------------------

  config(id: string): StoredConfig {
    let c = this.configs.get(id);
    if (!c) {
      c = JSON.parse(readFileSync(this.content.blobPath(id), 'utf8')) as StoredConfig;
      this.configs.set(id, c);
    }
    return c;
  }

  /** Docker's GetImage: full id, `sha256:` id, name[:tag][@digest], then short-id prefix. */
  resolve(ref: string): ImageRow {
    const any = parseAnyReference(ref);
    const missing = () => notFound(`No such image: ${any.kind === 'digest' ? any.digest : familiarString(tagNameOnly(any.ref))}`);
    if (any.kind === 'digest') {
      const row = this.records.image(any.digest);
      if (!row) throw missing();
      return row;
    }
    const target = this.records.refTarget(referenceString(tagNameOnly(any.ref)));
    const row = target ? this.records.image(target) : undefined;
    if (row) return row;
    const byId = this.searchId(ref);
    if (byId) return byId;
    throw missing();
  }

  /** Unique image whose id starts with the given hex (with or without `sha256:`). */
  searchId(term: string): ImageRow | undefined {
    const hex = term.startsWith('sha256:') ? term.slice(7) : term;
    if (!/^[a-f0-9]{1,64}$/.test(hex)) return undefined;
    const rows = this.records.imagesByPrefix(hex);
    return rows.length === 1 ? rows[0] : undefined;
  }

  toRecord(row: ImageRow): ImageRecord {
    const refs = this.records.refsOf(row.id);
    const config = this.config(row.id);
    return {
      id: row.id,
      repoTags: refs.filter((r) => !r.is_digest).map((r) => familiarString(parseStored(r.ref))),
      repoDigests: refs.filter((r) => r.is_digest).map((r) => familiarString(parseStored(r.ref))),
      created: config.created ?? row.created,
      size: row.size,
      config: structuredClone(config), // callers may change their copy; the cache stays true
      parent: row.parent,
    };
  }

  get(ref: string): ImageRecord {
    return this.toRecord(this.resolve(ref));
  }

  list(opts: { all?: boolean } = {}): ImageRecord[] {
    const rows = this.records.images();
    return rows
      .filter((r) => opts.all || this.records.refsOf(r.id).length > 0 || this.records.children(r.id).length === 0)
      .map((r) => this.toRecord(r));
  }

  /** Chain ids of an image's layers, bottom first. */
  layerChain(top: string | null): string[] {
    const out: string[] = [];
    for (let c = top; c; c = this.records.layer(c)?.parent ?? null) out.unshift(c);
    return out;
  }

  lastTagTime(id: string): string {
    return this.records.image(id)?.last_tag_time || '0001-01-01T00:00:00Z';
  }

  /** GraphDriver of an image as `docker image inspect` shows it (top layer, lowers nearest first). */
  imageGraphDriver(id: string): { Name: string; Data: GraphDriverData | null } {
    const row = this.records.image(id);
    if (!row?.top_layer) return { Name: 'overlay2', Data: null };
    const dirs = this.layerChain(row.top_layer).map((c) => this.records.layer(c)!.dir).reverse();
    return { Name: 'overlay2', Data: this.layers.graphDriverData(dirs[0], dirs.slice(1)) };
  }

  /** `docker image inspect` shape for the API version. */
  inspectImage(ref: string, apiVersion: string): Promise<Record<string, unknown>> {
    return inspectImage(this, ref, apiVersion);
  }

  /** `GET /images/json` summaries, filtered. */
  listImages(opts: ListOptions): Record<string, unknown>[] {
    return listImages(this, opts);
  }

  pruneImages(filters: Map<string, string[]>): Promise<{ ImagesDeleted: { Untagged?: string; Deleted?: string }[] | null; SpaceReclaimed: number }> {
    return pruneImages(this, filters);
  }

  // ---- mutations -----------------------------------------------------------------------

  import(opts: ImportOptions, progress?: (line: object) => void): Promise<ImageRecord> {
    return importImage(this, opts, progress);
  }

  /** Unpacks one layer tar into a temp dir (step one of making an image; see ./commit.ts). */
  unpackLayer(source: import('node:stream').Readable, opts?: { keepTar?: boolean; sync?: boolean }): Promise<UnpackedLayer> {
    return unpackLayer(this, source, opts);
  }

  /** Commits unpacked layers, config and tags as one image (step two); returns its id. */
  commitImage(o: CommitOptions): Promise<string> {
    return commitImage(this, o);
  }

  /** Points repo:tag at an image (moving it from any other image) and logs a `tag` event. */
  tagResolved(imageId: string, ref: Reference): void {
    if (familiarString({ domain: ref.domain, path: ref.path }) === 'sha256') {
      throw invalidParameter('refusing to create an ambiguous tag using digest algorithm as name');
    }
    this.records.tx(() => {
      this.records.setRef(referenceString(ref), imageId, false);
      this.records.touchTagTime(imageId, new Date().toISOString());
    });
    this.emit('tag', imageId, familiarString(ref));
  }

  tag(source: string, repo: string, tag?: string): void {
    const ref = parseRepoTag(repo, tag);
    const img = this.resolve(source);
    this.tagResolved(img.id, ref);
  }

  remove(ref: string, opts: { force?: boolean; noprune?: boolean }): { Untagged?: string; Deleted?: string }[] {
    const out = removeImage(this, ref, opts);
    const deleted = out.map((r) => r.Deleted).filter((d): d is string => !!d && !this.records.image(d));
    this.pendingCleanup = this.lock.run(async () => {
      for (const d of deleted) {
        this.configs.delete(d);
        if (!this.records.image(d)) await this.content.delete(d);
      }
      await this.collectLayers();
    }).catch((e) => this.log?.warn(`image clean-up: ${String(e)}`));
    return out;
  }

  history(ref: string): { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[] {
    const row = this.resolve(ref);
    const cfg = this.config(row.id);
    const chain = this.layerChain(row.top_layer);
    const items: { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }[] = [];
    let layerIdx = 0;
    for (const h of cfg.history ?? []) {
      let size = 0;
      if (!h.empty_layer) {
        const l = chain[layerIdx++];
        size = l ? this.records.layer(l)?.size ?? 0 : 0;
      }
      items.unshift({
        Id: '<missing>',
        Created: h.created ? Math.floor(Date.parse(h.created) / 1000) : 0,
        CreatedBy: h.created_by ?? '',
        Tags: null,
        Size: size,
        Comment: h.comment ?? '',
      });
    }
    let id: string = row.id;
    for (const item of items) {
      item.Id = id;
      const tags = this.records.refsOf(id).filter((r) => !r.is_digest).map((r) => familiarString(parseStored(r.ref)));
      item.Tags = tags.length ? tags : null;
      const parent = this.records.image(id)?.parent;
      if (!parent || !this.records.image(parent)) break;
      id = parent;
    }
    return items;
  }

  setUsageCheck(fn: (imageId: string) => string[], running?: (imageId: string) => string[]): void {
    this.usersOf = fn;
    if (running) this.runningUsersOf = running;
  }

  emit(action: 'import' | 'tag' | 'untag' | 'delete' | 'save', id: string, name: string): void {
    const attrs: Record<string, string> = { name };
    try { Object.assign(attrs, this.config(id).config?.Labels ?? {}); } catch { /* config gone */ }
    this.events?.publish('image', action, id, attrs);
  }

  /** Layers a pull or load in progress counts on ("Already exists"): kept by collectLayers until released. */
  private pinned = new Map<string, number>();

  pinLayers(chainIds: string[]): () => void {
    for (const c of chainIds) this.pinned.set(c, (this.pinned.get(c) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      for (const c of chainIds) {
        const n = (this.pinned.get(c) ?? 1) - 1;
        if (n <= 0) this.pinned.delete(c); else this.pinned.set(c, n);
      }
    };
  }

  /** Removes layers that no image or container stands on (dirs first renamed away, then rows). */
  async collectLayers(): Promise<string[]> {
    const gone: string[] = [];
    for (const l of this.records.unreferencedLayers()) {
      if (this.pinned.has(l.chain_id)) continue;
      await this.layers.remove(l.dir);
      this.records.deleteLayer(l.chain_id);
      gone.push(l.chain_id);
    }
    await this.collectBlobs();
    return gone;
  }

  /** Deletes content blobs that are neither an image config nor kept by keepBlobs (call under the lock). */
  async collectBlobs(): Promise<void> {
    const keep = this.keepBlobs?.() ?? new Set<string>();
    for (const l of this.records.layers()) keep.add(l.diff_id); // uncompressed layer tars (see commit.ts unpackLayer)
    const images = new Set(this.records.images().map((i) => i.id));
    for (const d of await this.content.list()) if (!images.has(d) && !keep.has(d)) await this.content.delete(d);
  }

  // ---- container layers ------------------------------------------------------------------

  async createContainerLayer(containerId: string, imageId: string): Promise<void> {
    await this.lock.run(async () => {
      if (this.records.containerLayer(containerId)) throw invalidParameter(`container layer ${containerId} already exists`);
      const img = this.resolve(imageId);
      const parentDir = img.top_layer ? this.records.layer(img.top_layer)!.dir : null;
      await this.layers.createRW(containerId, parentDir);
      this.records.insertContainerLayer({ container_id: containerId, image_id: img.id, parent_layer: img.top_layer, dir: containerId });
    });
  }

  private containerDir(containerId: string): string {
    const row = this.records.containerLayer(containerId);
    if (!row) throw notFound(`No such container layer: ${containerId}`);
    return row.dir;
  }

  async mountContainerLayer(containerId: string): Promise<string> {
    return this.layers.mount(this.containerDir(containerId));
  }

  async unmountContainerLayer(containerId: string): Promise<void> {
    await this.layers.unmount(this.containerDir(containerId));
  }

  async removeContainerLayer(containerId: string): Promise<void> {
    await this.lock.run(async () => {
      const row = this.records.containerLayer(containerId);
      if (!row) return;
      await this.layers.remove(row.dir);
      this.records.deleteContainerLayer(containerId);
      // Layers lose their last user here only if their image went while the container
      // lived (rmi -f): skip the blob sweep on the common path of `run --rm`.
      if (this.records.unreferencedLayers().length) await this.collectLayers();
    });
  }

  /**
   * Forgets a container's layer at once (its record goes, so the container can be forgotten
   * too) and returns the removal of its files, for the caller to run later: start-up
   * reconciliation removes the files of any layer whose record is gone, so a crash in
   * between leaves nothing behind. Null when the container has no layer.
   */
  async detachContainerLayer(containerId: string): Promise<(() => Promise<void>) | null> {
    return this.lock.run(async () => {
      const row = this.records.containerLayer(containerId);
      if (!row) return null;
      this.records.deleteContainerLayer(containerId);
      const collect = this.records.unreferencedLayers().length > 0;
      return async () => {
        await this.layers.remove(row.dir);
        if (collect) await this.lock.run(() => this.collectLayers());
      };
    });
  }

  async containerLayerSize(containerId: string): Promise<{ sizeRw: number; sizeRootFs: number }> {
    const row = this.records.containerLayer(containerId);
    if (!row) throw notFound(`No such container layer: ${containerId}`);
    const sizeRw = await this.layers.diffSize(row.dir);
    const image = this.layerChain(row.parent_layer).reduce((n, c) => n + (this.records.layer(c)?.size ?? 0), 0);
    return { sizeRw, sizeRootFs: sizeRw + image };
  }

  containerLayerDiffDir(containerId: string): string {
    return this.layers.diffDir(this.containerDir(containerId));
  }

  /** GraphDriver of a container as `docker inspect` shows it; Data is null without a layer. */
  containerGraphDriver(containerId: string): { Name: string; Data: GraphDriverData | null } {
    const row = this.records.containerLayer(containerId);
    if (!row) return { Name: 'overlay2', Data: null };
    const lowers = this.layerChain(row.parent_layer).map((c) => this.records.layer(c)!.dir).reverse();
    return { Name: 'overlay2', Data: this.layers.graphDriverData(row.dir, lowers) };
  }

  // ---- start-up --------------------------------------------------------------------------

  /**
   * Start-up clean-up after a crash: interrupted ingests and layer unpacks go, layer dirs
   * without a row go, layer rows whose dir is missing go, config blobs of no image go.
   */
  async reconcile(): Promise<void> {
    await this.lock.run(async () => {
      await this.content.reconcile();
      await this.layers.init();
      for (const l of this.records.layers()) {
        if (!(await this.layers.exists(l.dir))) {
          this.log?.warn(`layer ${l.chain_id}: directory missing, forgetting it`);
          this.records.deleteLayer(l.chain_id);
        }
      }
      for (const c of this.records.containerLayers()) {
        if (!(await this.layers.exists(c.dir))) {
          this.log?.warn(`container layer ${c.container_id}: directory missing, forgetting it`);
          this.records.deleteContainerLayer(c.container_id);
        }
      }
      const known = new Set<string>([
        ...this.records.layers().map((l) => l.dir),
        ...this.records.containerLayers().map((c) => c.dir),
      ]);
      const removed = await this.layers.reconcile(known);
      if (removed.length) this.log?.info(`removed ${removed.length} leftover layer dir(s)`);
      await this.collectLayers();
      await this.collectBlobs();
    });
  }
}

/** Stored refs are canonical strings written by this module; parse without normalization. */
export function parseStored(ref: string): Reference {
  const at = ref.indexOf('@');
  const namePart = at >= 0 ? ref.slice(0, at) : ref;
  const digest = at >= 0 ? ref.slice(at + 1) : undefined;
  const slash = namePart.indexOf('/');
  const colon = namePart.lastIndexOf(':');
  const hasTag = colon > slash;
  const name = hasTag ? namePart.slice(0, colon) : namePart;
  const r: Reference = { domain: name.slice(0, name.indexOf('/')), path: name.slice(name.indexOf('/') + 1) };
  if (hasTag) r.tag = namePart.slice(colon + 1);
  if (digest) r.digest = digest;
  return r;
}

