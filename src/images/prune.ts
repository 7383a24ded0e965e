import { invalidParameter } from '../errdefs';
import { familiarString } from '../util/reference';
import type { DeleteItem } from './remove';
import { parseStored, type LocalImageService } from './service';
import { matchLabels, parseTimestamp } from './view';

/**
 * `docker image prune` (daemon/images/image_prune.go): dangling images by default; with
 * dangling=false every image no container uses (by deleting each of its references).
 * Filters: dangling, label, label!, until. SpaceReclaimed counts the layers freed.
 */
const PRUNE_FILTERS = new Set(['dangling', 'label', 'label!', 'until']);

export async function pruneImages(s: LocalImageService, filters: Map<string, string[]>): Promise<{ ImagesDeleted: DeleteItem[] | null; SpaceReclaimed: number }> {
  for (const k of filters.keys()) if (!PRUNE_FILTERS.has(k)) throw invalidParameter(`invalid filter '${k}'`);
  let danglingOnly = true;
  const d = filters.get('dangling');
  if (d) {
    if (d.includes('false') || d.includes('0')) danglingOnly = false;
    else if (!d.every((x) => x === 'true' || x === '1')) throw invalidParameter(`invalid filter 'dangling=${d.join(',')}'`);
  }
  const until = (filters.get('until') ?? []).map((x) => parseTimestamp(x));
  const labels = filters.get('label') ?? [];
  const notLabels = filters.get('label!') ?? [];

  const layerSizes = new Map(s.records.layers().map((l) => [l.chain_id, l.size]));
  const deleted: DeleteItem[] = [];
  for (const row of s.records.images()) {
    if (!s.records.image(row.id)) continue; // went with an earlier one
    const refs = s.records.refsOf(row.id);
    if (danglingOnly && (refs.length > 0 || s.records.children(row.id).length > 0)) continue;
    if (s.usersOf(row.id).length > 0) continue;
    const cfg = s.config(row.id);
    const created = Date.parse(cfg.created ?? row.created);
    if (until.some((u) => created >= u)) continue;
    if (labels.length && !matchLabels(cfg.config?.Labels, labels)) continue;
    if (notLabels.length && !matchLabels(cfg.config?.Labels, notLabels, true)) continue;
    try {
      if (refs.length === 0) deleted.push(...s.remove(row.id, { force: false }));
      else for (const r of refs) if (s.records.refTarget(r.ref)) deleted.push(...s.remove(familiarString(parseStored(r.ref)), { force: false }));
    } catch (e) {
      s.log?.warn(`prune: ${row.id}: ${(e as Error).message}`);
    }
  }
  await s.pendingCleanup;
  let space = 0;
  for (const item of deleted) if (item.Deleted && layerSizes.has(item.Deleted)) space += layerSizes.get(item.Deleted) ?? 0;
  return { ImagesDeleted: deleted.length ? deleted : null, SpaceReclaimed: space };
}
