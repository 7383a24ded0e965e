import { invalidParameter, system } from '../errdefs';
import { sha256Digest } from '../util/ids';
import type { Reference } from '../util/reference';
import { chainIds, discardLayers, type UnpackedLayer } from './commit';
import type { LocalImageService } from './service';

/**
 * Commits an image that stands on a parent image already in the store: the parent's layers
 * plus at most one new one (a build step, a container commit). With `layer` undefined the
 * image shares the parent's layers (a metadata-only step). The config's rootfs.diff_ids
 * must be the parent's followed by the new layer's. The unpacked dir is consumed either way.
 */
export interface ChildCommit {
  config: Buffer;
  /** image id of the parent, or '' for an image on no parent (FROM scratch) */
  parent: string;
  layer?: UnpackedLayer;
  /** instead of `layer`: the diffID of a layer already in the store on top of the parent's (cache restored from another image) */
  existingDiffId?: string;
  tags?: Reference[];
}

export async function commitChildImage(s: LocalImageService, o: ChildCommit): Promise<string> {
  try {
    const id = sha256Digest(o.config);
    const parsed = JSON.parse(o.config.toString('utf8')) as { created?: string; rootfs?: { diff_ids?: string[] } };
    const diffIds = parsed.rootfs?.diff_ids ?? [];
    const parentRow = o.parent ? s.records.image(o.parent) : undefined;
    if (o.parent && !parentRow) throw invalidParameter(`parent image ${o.parent} not found`);
    const parentChain = parentRow ? s.layerChain(parentRow.top_layer) : [];
    const adds = o.layer ? o.layer.diffId : o.existingDiffId;
    const expect = parentChain.length + (adds ? 1 : 0);
    if (diffIds.length !== expect || (adds && diffIds[diffIds.length - 1] !== adds)) {
      throw invalidParameter('layers do not match the image config (rootfs.diff_ids)');
    }
    const chains = chainIds(diffIds);
    if (o.existingDiffId && !s.records.layer(chains[chains.length - 1])) throw invalidParameter(`layer ${chains[chains.length - 1]} is not in the store`);
    await s.lock.run(async () => {
      await s.content.writeBuffer(o.config, id);
      let top = o.existingDiffId ? chains[chains.length - 1] : parentRow?.top_layer ?? null;
      let fresh: { chain: string; diffId: string; parent: string | null; size: number } | null = null;
      if (o.layer) {
        const chain = chains[chains.length - 1];
        const parent = chains.length > 1 ? chains[chains.length - 2] : null;
        const had = s.records.layer(chain);
        const created = await s.layers.commitLayer(o.layer.prepared, chain.slice(7), parent ? s.records.layer(parent)?.dir ?? parent.slice(7) : null);
        if (!created && !(await s.layers.exists(chain.slice(7)))) throw system(`layer ${chain} vanished while committing`);
        if (!had) fresh = { chain, diffId: o.layer.diffId, parent, size: o.layer.size };
        top = chain;
      }
      const size = (parentRow?.size ?? 0) + (o.layer?.size ?? (o.existingDiffId ? s.records.layer(top!)?.size ?? 0 : 0));
      s.records.tx(() => {
        if (fresh) s.records.insertLayer({ chain_id: fresh.chain, diff_id: fresh.diffId, parent: fresh.parent, dir: fresh.chain.slice(7), size: fresh.size });
        if (!s.records.image(id)) s.records.insertImage({ id, created: parsed.created ?? new Date().toISOString(), size, parent: o.parent, top_layer: top });
        for (const t of o.tags ?? []) s.tagResolved(id, t);
      });
    });
    return id;
  } finally {
    if (o.layer) await discardLayers(s, [o.layer]);
  }
}

/**
 * Makes a read-write layer's upper dir (overlay2 format already: whiteouts as 0/0 char
 * devices, opaque dirs by xattr) an unpacked image layer by renaming its entries, instead
 * of packing and unpacking them again. `diffId` and `size` are the caller's (the digest of
 * the layer's tar and its file bytes). The upper dir must not be mounted and must be on the
 * store's file system; it is left empty.
 */
export async function adoptUpperDir(s: LocalImageService, upper: string, diffId: string, size: number): Promise<UnpackedLayer> {
  const { promises: fs } = await import('node:fs');
  const path = await import('node:path');
  const prepared = await s.layers.prepareLayer(async (diffDir) => {
    for (const n of await fs.readdir(upper)) await fs.rename(path.join(upper, n), path.join(diffDir, n));
  }, { hostIds: true });
  return { prepared, diffId, size };
}
