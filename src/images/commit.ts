import { PassThrough, type Readable } from 'node:stream';
import { invalidParameter, system } from '../errdefs';
import type { PreparedLayer } from '../snapshots/overlay';
import { sha256Digest } from '../util/ids';
import { referenceString, type Reference } from '../util/reference';
import { decompressStream } from '../util/tar-decompress';
import { extractTar } from '../util/tar-extract';
import { syncFs } from '../snapshots/mounts';
import type { LocalImageService } from './service';

/**
 * The two steps every way of making an image goes through (import now; pull, load and
 * commit later):
 *
 * 1. unpackLayer(): one layer tar (plain, gzip, bzip2, xz, zstd) into a temp dir, with its
 *    diffID. Independent of any parent, so the layers of one image may unpack in parallel.
 * 2. commitImage(): under the store's lock, the layers are renamed into place in order
 *    (or dropped when already there), the config blob is stored, and one SQLite
 *    transaction records layers, image and references. Before it, nothing is visible;
 *    after a crash, reconcile() removes what step 1 or 2 left.
 */
export interface UnpackedLayer { prepared: PreparedLayer; diffId: string; size: number }

/** ChainID(L0) = DiffID(L0); ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). */
export function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256Digest(`${out[out.length - 1]} ${d}`));
  return out;
}

/**
 * With `keepTar` (the default) the uncompressed tar is also kept in the content store under
 * its digest, the diff ID, so that push and save can send the layer's exact bytes (the
 * image ID depends on them). A pull keeps the compressed blob instead (keepTar false).
 * Blobs named by a layer's diff ID are kept by collectBlobs() while the layer exists.
 */
export async function unpackLayer(s: LocalImageService, source: Readable, opts: { keepTar?: boolean; sync?: boolean } = {}): Promise<UnpackedLayer> {
  const { stream: plain } = await decompressStream(source);
  let stream: Readable = plain;
  let kept: Promise<unknown> = Promise.resolve();
  if (opts.keepTar !== false) {
    const copy = new PassThrough();
    const tee = new PassThrough();
    plain.on('error', (e) => { tee.destroy(e); copy.destroy(e); });
    plain.on('data', (c: Buffer) => {
      const a = tee.write(c);
      const b = copy.write(c);
      if (!a || !b) {
        plain.pause();
        let waiting = (a ? 0 : 1) + (b ? 0 : 1);
        const go = () => { if (--waiting === 0) plain.resume(); };
        if (!a) tee.once('drain', go);
        if (!b) copy.once('drain', go);
      }
    });
    plain.on('end', () => { tee.end(); copy.end(); });
    kept = s.content.ingest(copy);
    stream = tee;
  }
  let diffId = '';
  let size = 0;
  const prepared = await s.layers.prepareLayer(async (diffDir) => {
    try {
      const [r] = await Promise.all([extractTar(stream, diffDir), kept]);
      diffId = r.diffId;
      size = r.size;
    } catch (e) {
      stream.destroy();
      if (e instanceof Error && !('kind' in e)) throw invalidParameter(`failed to register layer: ${e.message}`);
      throw e;
    }
  }, { sync: opts.sync });
  return { prepared, diffId, size };
}

export async function discardLayers(s: LocalImageService, layers: UnpackedLayer[]): Promise<void> {
  for (const l of layers) await s.layers.discard(l.prepared);
}

export interface CommitOptions {
  /** the exact config bytes: the image id is their sha256 */
  config: Buffer;
  /** the image's layers bottom first; their diffIDs must match config.rootfs.diff_ids */
  layers: UnpackedLayer[];
  /** tags to point at the image (each logs a `tag` event) */
  tags?: Reference[];
  /** name@digest references (RepoDigests), e.g. the manifest digest of a pull */
  digests?: Reference[];
  parent?: string;
  /**
   * The layers were unpacked without a flush (unpackLayer's sync: false): they are renamed
   * into place without an fsync each, then one syncfs of the layer store's file system makes
   * their files, lower chains and links durable before `afterFlush` and the records. A layer
   * dir without its record is removed by reconcile after a crash, so none is ever used
   * before it is on disk.
   */
  syncfs?: boolean;
  /** Runs after that syncfs, before the records (a pull puts its verified blobs in the store). */
  afterFlush?: () => Promise<void>;
}

/** Returns the image id. The unpacked temp dirs are consumed (or removed) either way. */
export async function commitImage(s: LocalImageService, o: CommitOptions): Promise<string> {
  try {
    const id = sha256Digest(o.config);
    const parsed = JSON.parse(o.config.toString('utf8')) as { created?: string; rootfs?: { diff_ids?: string[] } };
    const diffIds = o.layers.map((l) => l.diffId);
    if (JSON.stringify(parsed.rootfs?.diff_ids ?? []) !== JSON.stringify(diffIds)) {
      throw invalidParameter('layers do not match the image config (rootfs.diff_ids)');
    }
    const chains = chainIds(diffIds);
    await s.lock.run(async () => {
      // inside the lock: the clean-up after an rmi of the same id cannot delete it in between
      await s.content.writeBuffer(o.config, id);
      const fresh: { chain: string; diffId: string; parent: string | null; size: number }[] = [];
      for (let i = 0; i < o.layers.length; i++) {
        const chain = chains[i];
        const parent = i > 0 ? chains[i - 1] : null;
        const dir = chain.slice('sha256:'.length);
        const had = s.records.layer(chain);
        const parentDir = parent ? parent.slice('sha256:'.length) : null;
        const created = await s.layers.commitLayer(o.layers[i].prepared, dir, parentDir, !o.syncfs);
        if (!created && !(await s.layers.exists(dir))) throw system(`layer ${chain} vanished while committing`);
        if (!had) fresh.push({ chain, diffId: diffIds[i], parent, size: o.layers[i].size });
      }
      if (o.syncfs) await syncFs(s.layers.root);
      await o.afterFlush?.();
      const size = o.layers.reduce((n, l) => n + l.size, 0);
      s.records.tx(() => {
        for (const l of fresh) s.records.insertLayer({ chain_id: l.chain, diff_id: l.diffId, parent: l.parent, dir: l.chain.slice(7), size: l.size });
        s.records.insertImage({ id, created: parsed.created ?? new Date().toISOString(), size, parent: o.parent ?? '', top_layer: chains[chains.length - 1] ?? null });
        for (const t of o.tags ?? []) s.tagResolved(id, t);
        for (const d of o.digests ?? []) {
          if (!d.digest) throw invalidParameter(`${referenceString(d)}: not a digest reference`);
          s.records.setRef(referenceString({ domain: d.domain, path: d.path, digest: d.digest }), id, true);
        }
      });
    });
    return id;
  } finally {
    await discardLayers(s, o.layers);
  }
}
