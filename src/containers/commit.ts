import type { ContainerConfig } from '../api/types';
import { ENGINE_VERSION } from '../api/version';
import { conflict, invalidParameter, system } from '../errdefs';
import { applyChanges } from '../images/changes';
import { chainIds, discardLayers } from '../images/commit';
import type { LocalImageService, StoredConfig } from '../images/service';
import { sha256Digest } from '../util/ids';
import { parseRepoTag, type Reference } from '../util/reference';
import { changesTar } from './commit-changes';
import type { ContainerService } from './service';
import { storeIds } from './userns';

/**
 * POST /commit: a new image whose layers are the container's image's layers plus one more,
 * the container's changes (whiteouts included). The running container is paused meanwhile
 * unless pause=false. The config is the container's, with the request's config merged over
 * it and --change instructions applied, as dockerd's commit does.
 */
export interface CommitRequest {
  container: string; repo?: string; tag?: string; comment?: string; author?: string; pause: boolean; changes: string[]; config: unknown;
}

export async function commitContainer(
  svc: ContainerService, images: LocalImageService, layerDirs: (id: string) => Promise<{ upper: string; lowers: string[] }>, req: CommitRequest,
): Promise<{ Id: string }> {
  const c = svc.get(req.container);
  if (c.state.RemovalInProgress || c.state.Dead) throw conflict(`You cannot commit container ${c.id} which is being removed`);
  const tags: Reference[] = req.repo ? [parseRepoTag(req.repo, req.tag)] : [];
  if (!req.repo && req.tag) throw invalidParameter('tag is specified without repository');
  const override = (req.config && typeof req.config === 'object' ? req.config : {}) as ContainerConfig;
  const base: ContainerConfig = { ...c.config, ...stripEmpty(override) };
  const config = applyChanges(base, req.changes);

  const pause = req.pause && c.state.Running && !c.state.Paused;
  if (pause) await svc.pause(c.id);
  let layer;
  try {
    const { upper, lowers } = await layerDirs(c.id);
    layer = await images.unpackLayer(await changesTar(upper, lowers, storeIds()?.toContainer));
  } finally {
    if (pause) await svc.unpause(c.id).catch(() => undefined);
  }

  const parent = images.get(c.image);
  const parentConfig = images.config(parent.id);
  const parentRow = images.resolve(parent.id);
  const parentChains = images.layerChain(parentRow.top_layer);
  const diffIds = [...(parentConfig.rootfs?.diff_ids ?? []), layer.diffId];
  const created = new Date().toISOString();
  const cmd = [...(c.config.Entrypoint ?? []), ...(c.config.Cmd ?? [])];
  const cfg = {
    ...(req.author ? { author: req.author } : {}),
    ...(req.comment ? { comment: req.comment } : {}),
    created,
    docker_version: ENGINE_VERSION,
    config,
    container: c.id,
    container_config: c.config,
    architecture: parentConfig.architecture,
    ...(parentConfig.variant ? { variant: parentConfig.variant } : {}),
    os: parentConfig.os,
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: [
      ...(parentConfig.history ?? []),
      { created, ...(req.author ? { author: req.author } : {}), created_by: cmd.join(' '), ...(req.comment ? { comment: req.comment } : {}) },
    ],
  } as unknown as StoredConfig;
  const bytes = Buffer.from(JSON.stringify(cfg));
  const id = sha256Digest(bytes);
  const chains = chainIds(diffIds);
  const chain = chains[chains.length - 1];
  const parentChain = parentChains.length ? parentChains[parentChains.length - 1] : null;
  try {
    await images.lock.run(async () => {
      await images.content.writeBuffer(bytes, id);
      const had = images.records.layer(chain);
      const dir = chain.slice('sha256:'.length);
      const parentDir = parentChain ? images.records.layer(parentChain)?.dir ?? null : null;
      const made = await images.layers.commitLayer(layer.prepared, dir, parentDir);
      if (!made && !(await images.layers.exists(dir))) throw system(`layer ${chain} vanished while committing`);
      const size = parentRow.size + layer.size;
      images.records.tx(() => {
        if (!had) images.records.insertLayer({ chain_id: chain, diff_id: layer.diffId, parent: parentChain, dir, size: layer.size });
        images.records.insertImage({ id, created, size, parent: parent.id, top_layer: chain });
        for (const t of tags) images.tagResolved(id, t);
      });
    });
  } finally {
    await discardLayers(images, [layer]);
  }
  svc.emit(c, 'commit', { comment: req.comment ?? '', imageID: id, imageRef: tags.length ? `${req.repo}${req.tag ? `:${req.tag}` : ''}` : '' });
  return { Id: id };
}

function stripEmpty(o: ContainerConfig): Partial<ContainerConfig> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && v !== '' && !(Array.isArray(v) && v.length === 0))) as Partial<ContainerConfig>;
}
