import type { DB } from '../metadata/db';
import { migrate } from '../metadata/db';

/**
 * What the registry client remembers (module "distribution"), like dockerd's v2 metadata:
 *
 *   layer_blobs   compressed blob as pulled or pushed -> the diff ID it unpacks to, with its
 *                 media type; the blob itself stays in the content store while a layer with
 *                 that diff ID exists, so push can re-send the exact bytes (the diff ID, hence
 *                 the image ID, is preserved) and skip or mount what a registry already has
 *   blob_sources  registry host + repository where a blob is known to exist (for mounts)
 *
 * Rows are written after the blob is committed in the content store.
 */
const STEPS = [
  `CREATE TABLE layer_blobs (
     digest TEXT PRIMARY KEY,
     diff_id TEXT NOT NULL,
     media_type TEXT NOT NULL,
     size INTEGER NOT NULL
   );
   CREATE INDEX layer_blobs_diff ON layer_blobs(diff_id);
   CREATE TABLE blob_sources (
     digest TEXT NOT NULL,
     host TEXT NOT NULL,
     repo TEXT NOT NULL,
     PRIMARY KEY (digest, host, repo)
   );`,
];

export interface LayerBlobRow { digest: string; diff_id: string; media_type: string; size: number }

export class DistributionMetadata {
  constructor(readonly db: DB) { migrate(db, 'distribution', STEPS); }

  addLayerBlob(r: LayerBlobRow): void {
    this.db.prepare('INSERT OR REPLACE INTO layer_blobs (digest, diff_id, media_type, size) VALUES (?, ?, ?, ?)').run(r.digest, r.diff_id, r.media_type, r.size);
  }
  blobsForDiff(diffId: string): LayerBlobRow[] {
    return this.db.prepare('SELECT * FROM layer_blobs WHERE diff_id = ?').all(diffId) as LayerBlobRow[];
  }
  layerBlob(digest: string): LayerBlobRow | undefined {
    return this.db.prepare('SELECT * FROM layer_blobs WHERE digest = ?').get(digest) as LayerBlobRow | undefined;
  }
  addSource(digest: string, host: string, repo: string): void {
    this.db.prepare('INSERT OR IGNORE INTO blob_sources (digest, host, repo) VALUES (?, ?, ?)').run(digest, host, repo);
  }
  sources(digest: string, host: string): string[] {
    return (this.db.prepare('SELECT repo FROM blob_sources WHERE digest = ? AND host = ?').all(digest, host) as { repo: string }[]).map((r) => r.repo);
  }
  /** Blobs to keep: those whose diff ID is a layer of the store. Rows of other blobs are dropped. */
  liveBlobs(): Set<string> {
    this.db.prepare('DELETE FROM layer_blobs WHERE diff_id NOT IN (SELECT diff_id FROM layers)').run();
    this.db.prepare('DELETE FROM blob_sources WHERE digest NOT IN (SELECT digest FROM layer_blobs)').run();
    return new Set((this.db.prepare('SELECT digest FROM layer_blobs').all() as { digest: string }[]).map((r) => r.digest));
  }
}
