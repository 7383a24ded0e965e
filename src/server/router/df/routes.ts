import { compareVersions } from '../../../api/version';
import { invalidParameter } from '../../../errdefs';
import type { Router } from '../../router';

export type DfType = 'image' | 'container' | 'volume' | 'build-cache';

/** What GET /system/df needs: each part computed only when asked for. */
export interface DfRoutesBackend {
  layersSize(): number;
  images(): Record<string, unknown>[];
  containers(): Promise<Record<string, unknown>[]>;
  volumes(): Promise<Record<string, unknown>[]>;
  /** Build cache records; Berth has no build cache yet, so this is an empty list. */
  buildCache(): Record<string, unknown>[];
}

const TYPES: DfType[] = ['image', 'container', 'volume', 'build-cache'];

/**
 * GET /system/df (moby api/server/router/system): LayersSize, Images (with Containers
 * counts and SharedSize), Containers (with SizeRw/SizeRootFs), Volumes (with UsageData) and
 * BuildCache; `type=` (API 1.42+) limits the answer to some of them.
 */
export function registerDfRoutes(router: Router, backend: DfRoutesBackend): void {
  router.get('/system/df', async (ctx) => {
    const asked = ctx.query.getAll('type');
    for (const t of asked) if (!TYPES.includes(t as DfType)) throw invalidParameter(`unknown object type: ${t}`);
    const want = (t: DfType) => asked.length === 0 || asked.includes(t);
    const out: Record<string, unknown> = {};
    if (want('image')) {
      out.LayersSize = backend.layersSize();
      const images = backend.images();
      // moby still sets VirtualSize (= Size) for API < 1.44
      out.Images = compareVersions(ctx.apiVersion, '1.44') < 0 ? images.map((i) => ({ ...i, VirtualSize: i.Size })) : images;
    }
    if (want('container')) out.Containers = await backend.containers();
    if (want('volume')) out.Volumes = await backend.volumes();
    if (want('build-cache')) out.BuildCache = backend.buildCache();
    ctx.send(200, out);
  });
}
