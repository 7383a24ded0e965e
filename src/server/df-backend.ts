import type { ContainerRecord } from '../containers/record';
import type { LocalImageService } from '../images/service';
import type { DfRoutesBackend } from './router/df/routes';
import type { VolumeService } from '../volumes/service';

/**
 * docker system df from the image store, the containers and the volumes. Sizes are those
 * dockerd reports: unique layer bytes, each container's read-write layer, each volume's
 * data dir; RefCount and Containers count the users.
 */
export function dfBackend(o: {
  images: LocalImageService;
  volumes: VolumeService;
  containers: () => ContainerRecord[];
  listContainers: () => Promise<Record<string, unknown>[]>;
  apiVersion: string;
}): DfRoutesBackend {
  return {
    layersSize: () => {
      const seen = new Set<string>();
      let total = 0;
      for (const r of o.images.records.images()) {
        for (const c of o.images.layerChain(r.top_layer)) {
          if (seen.has(c)) continue;
          seen.add(c);
          total += o.images.records.layer(c)?.size ?? 0;
        }
      }
      return total;
    },
    images: () => {
      const all = o.containers();
      return o.images.listImages({ all: false, apiVersion: o.apiVersion, sharedSize: true }).map((img) => ({
        ...img, Containers: all.filter((c) => c.image === img.Id).length,
      }));
    },
    containers: () => o.listContainers(),
    volumes: async () => Promise.all(o.volumes.list().map(async (v) => o.volumes.view(v, {
      Size: await o.volumes.local.size(v).catch(() => -1),
      RefCount: o.volumes.usersOf(v.name).length,
    }))),
    buildCache: () => [],
  };
}
