import type { DB } from '../metadata/db';
import { durableTransaction, migrate } from '../metadata/db';

/**
 * The images module's SQLite tables (module name "images"):
 *
 *   images            one row per image: id (= config digest), created, size, parent, top layer
 *   image_refs        normalized reference (docker.io/library/busybox:latest or name@digest) -> image
 *   layers            image layers by chain ID: diff ID, parent chain ID, dir in overlay2/, size
 *   container_layers  read-write layers by container id, on top of an image's top layer
 *
 * Rows are written only after the files they name exist (config blob, layer dirs).
 */
const STEPS = [
  `CREATE TABLE images (
     id TEXT PRIMARY KEY,
     created TEXT NOT NULL,
     size INTEGER NOT NULL,
     parent TEXT NOT NULL DEFAULT '',
     top_layer TEXT,
     seq INTEGER NOT NULL,
     last_tag_time TEXT NOT NULL DEFAULT ''
   );
   CREATE TABLE image_refs (
     ref TEXT PRIMARY KEY,
     image_id TEXT NOT NULL REFERENCES images(id) ON DELETE CASCADE,
     is_digest INTEGER NOT NULL DEFAULT 0
   );
   CREATE INDEX image_refs_image ON image_refs(image_id);
   CREATE TABLE layers (
     chain_id TEXT PRIMARY KEY,
     diff_id TEXT NOT NULL,
     parent TEXT,
     dir TEXT NOT NULL,
     size INTEGER NOT NULL
   );
   CREATE TABLE container_layers (
     container_id TEXT PRIMARY KEY,
     image_id TEXT NOT NULL,
     parent_layer TEXT,
     dir TEXT NOT NULL
   );`,
];

export interface ImageRow { id: string; created: string; size: number; parent: string; top_layer: string | null; seq: number; last_tag_time: string }
export interface LayerRow { chain_id: string; diff_id: string; parent: string | null; dir: string; size: number }
export interface ContainerLayerRow { container_id: string; image_id: string; parent_layer: string | null; dir: string }
export interface RefRow { ref: string; image_id: string; is_digest: number }

export class ImageRecords {
  constructor(readonly db: DB) {
    migrate(db, 'images', STEPS);
  }

  /** Image records are user data: their transactions are fsynced (see metadata/db.ts). */
  tx<T>(fn: () => T): T { return durableTransaction(this.db, fn); }

  image(id: string): ImageRow | undefined {
    return this.db.prepare('SELECT * FROM images WHERE id = ?').get(id) as ImageRow | undefined;
  }
  images(): ImageRow[] {
    return this.db.prepare('SELECT * FROM images ORDER BY seq').all() as ImageRow[];
  }
  /** Ids starting with a prefix of the hex (Docker's short-id search). */
  imagesByPrefix(hexPrefix: string): ImageRow[] {
    return this.db.prepare("SELECT * FROM images WHERE substr(id, 8, ?) = ?").all(hexPrefix.length, hexPrefix) as ImageRow[];
  }
  insertImage(r: Omit<ImageRow, 'seq' | 'last_tag_time'>): void {
    const seq = (this.db.prepare('SELECT COALESCE(MAX(seq), 0) + 1 AS n FROM images').get() as { n: number }).n;
    this.db.prepare('INSERT OR IGNORE INTO images (id, created, size, parent, top_layer, seq) VALUES (?, ?, ?, ?, ?, ?)')
      .run(r.id, r.created, r.size, r.parent, r.top_layer, seq);
  }
  touchTagTime(id: string, when: string): void {
    this.db.prepare('UPDATE images SET last_tag_time = ? WHERE id = ?').run(when, id);
  }
  deleteImage(id: string): void {
    this.db.prepare('DELETE FROM image_refs WHERE image_id = ?').run(id);
    this.db.prepare('DELETE FROM images WHERE id = ?').run(id);
  }
  children(id: string): ImageRow[] {
    return this.db.prepare('SELECT * FROM images WHERE parent = ?').all(id) as ImageRow[];
  }

  refTarget(ref: string): string | undefined {
    return (this.db.prepare('SELECT image_id FROM image_refs WHERE ref = ?').get(ref) as { image_id: string } | undefined)?.image_id;
  }
  refsOf(imageId: string): RefRow[] {
    return this.db.prepare('SELECT * FROM image_refs WHERE image_id = ? ORDER BY ref').all(imageId) as RefRow[];
  }
  allRefs(): RefRow[] {
    return this.db.prepare('SELECT * FROM image_refs ORDER BY ref').all() as RefRow[];
  }
  /** Points `ref` at an image; returns the image it pointed at before, if another. */
  setRef(ref: string, imageId: string, isDigest: boolean): string | undefined {
    const old = this.refTarget(ref);
    this.db.prepare('INSERT INTO image_refs (ref, image_id, is_digest) VALUES (?, ?, ?) ON CONFLICT(ref) DO UPDATE SET image_id = excluded.image_id')
      .run(ref, imageId, isDigest ? 1 : 0);
    return old !== imageId ? old : undefined;
  }
  deleteRef(ref: string): boolean {
    return this.db.prepare('DELETE FROM image_refs WHERE ref = ?').run(ref).changes > 0;
  }

  layer(chainId: string): LayerRow | undefined {
    return this.db.prepare('SELECT * FROM layers WHERE chain_id = ?').get(chainId) as LayerRow | undefined;
  }
  layers(): LayerRow[] {
    return this.db.prepare('SELECT * FROM layers').all() as LayerRow[];
  }
  insertLayer(r: LayerRow): void {
    this.db.prepare('INSERT OR IGNORE INTO layers (chain_id, diff_id, parent, dir, size) VALUES (?, ?, ?, ?, ?)')
      .run(r.chain_id, r.diff_id, r.parent, r.dir, r.size);
  }
  deleteLayer(chainId: string): void {
    this.db.prepare('DELETE FROM layers WHERE chain_id = ?').run(chainId);
  }

  containerLayer(containerId: string): ContainerLayerRow | undefined {
    return this.db.prepare('SELECT * FROM container_layers WHERE container_id = ?').get(containerId) as ContainerLayerRow | undefined;
  }
  containerLayers(): ContainerLayerRow[] {
    return this.db.prepare('SELECT * FROM container_layers').all() as ContainerLayerRow[];
  }
  insertContainerLayer(r: ContainerLayerRow): void {
    this.db.prepare('INSERT INTO container_layers (container_id, image_id, parent_layer, dir) VALUES (?, ?, ?, ?)')
      .run(r.container_id, r.image_id, r.parent_layer, r.dir);
  }
  deleteContainerLayer(containerId: string): void {
    this.db.prepare('DELETE FROM container_layers WHERE container_id = ?').run(containerId);
  }

  /** Chain ids of layers that no image, no container layer and no other layer stands on. */
  unreferencedLayers(): LayerRow[] {
    const used = new Set<string>();
    const mark = (chain: string | null) => {
      while (chain && !used.has(chain)) { used.add(chain); chain = this.layer(chain)?.parent ?? null; }
    };
    for (const i of this.images()) mark(i.top_layer);
    for (const c of this.containerLayers()) mark(c.parent_layer);
    return this.layers().filter((l) => !used.has(l.chain_id));
  }
}
