import { API_VERSION } from '../api/version';
import { ContainerArchive } from '../containers/archive';
import { matchLabels, selectContainers } from '../containers/filters';
import { parseTime, statusOf, type ContainerRecord } from '../containers/record';
import { inspectView, listView, type ViewContext } from '../containers/view';
import { distributionBackend } from '../distribution/backend';
import { dfBackend } from './df-backend';
import type { Engine } from '../engine/engine';
import { systemInfo, systemVersion } from '../engine/system';
import { invalidParameter } from '../errdefs';
import { logFiles, readLogs } from '../runtime/logs';
import { Router } from './router';
import { registerArchiveRoutes } from './router/archive/routes';
import { registerBuildRoutes } from './router/build/routes';
import type { ContainerBackend } from './router/containers/backend';
import { registerContainerExtraRoutes } from './router/containers/extra';
import { registerContainerRoutes } from './router/containers/routes';
import { registerDfRoutes } from './router/df/routes';
import { pullHandler, registerDistributionRoutes } from './router/distribution/routes';
import { registerExecRoutes } from './router/exec/routes';
import { registerImageRoutes } from './router/images/routes';
import { registerNetworkRoutes } from './router/networks/routes';
import { registerSystemRoutes } from './router/system/routes';
import { registerVolumeRoutes } from './router/volumes/routes';
import { registerEmptyLookups, registerUnimplemented } from './unimplemented';

/**
 * Turns an Engine (the composition root) into the Engine API's routes: each router gets the
 * narrow backend it declares, adapted here from the engine's services.
 */

function viewContext(engine: Engine): ViewContext {
  return {
    defaultNetworkMode: engine.networks.defaultMode,
    networkSettings: (c) => engine.networks.containerSettings(c),
    ports: (c) => engine.networks.containerPorts(c),
    graphDriver: (id) => engine.images.containerGraphDriver(id),
    mounts: (id) => engine.volumeMounts.view(id),
  };
}

function imageMatches(engine: Engine, c: ContainerRecord, ref: string): boolean {
  try { return engine.images.get(ref).id === c.image; } catch { return c.imageRef === ref; }
}

function containerBackend(engine: Engine): ContainerBackend {
  const ctx = () => viewContext(engine);
  return {
    containers: engine.containers,
    execs: engine.execs,
    inspect: async (ref, size) => {
      const c = engine.containers.get(ref);
      return inspectView(c, ctx(), size ? await engine.images.containerLayerSize(c.id) : undefined);
    },
    list: async (o) => {
      const picked = selectContainers(engine.containers.store.all(), {
        ...o, resolve: (r) => engine.containers.get(r), imageMatches: (c, r) => imageMatches(engine, c, r),
      });
      return Promise.all(picked.map(async (c) => listView(c, ctx(), o.size ? await engine.images.containerLayerSize(c.id).catch(() => ({ sizeRw: 0, sizeRootFs: 0 })) : undefined)));
    },
    prune: async (filters) => {
      for (const k of filters.keys()) if (k !== 'until' && k !== 'label' && k !== 'label!') throw invalidParameter(`invalid filter '${k}'`);
      const until = filters.get('until')?.map((u) => (/^\d+(\.\d+)?$/.test(u) ? Number(u) * 1000 : Date.parse(u)));
      const deleted: string[] = [];
      let reclaimed = 0;
      for (const c of engine.containers.store.all()) {
        const st = statusOf(c.state);
        if (st !== 'exited' && st !== 'created' && st !== 'dead') continue;
        if (until && !until.every((t) => parseTime(c.created) < t)) continue;
        if (!matchLabels(c.config.Labels, filters.get('label'))) continue;
        const neg = filters.get('label!');
        if (neg && neg.some((l) => matchLabels(c.config.Labels, [l]))) continue;
        const size = await engine.images.containerLayerSize(c.id).catch(() => ({ sizeRw: 0, sizeRootFs: 0 }));
        try {
          await engine.containers.remove(c.id, {});
          engine.execs.forgetContainer(c.id);
          deleted.push(c.id);
          reclaimed += size.sizeRw;
        } catch (e) {
          engine.log.warn(`prune ${c.id}: ${String(e)}`);
        }
      }
      engine.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
      return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
    },
    logs: (c, o) => {
      const maxFiles = Number(c.hostConfig.LogConfig?.Config?.['max-file'] ?? 1) || 1;
      const running = c.state.Running;
      return readLogs(logFiles(c.logPath, maxFiles), {
        ...o,
        finished: running ? engine.containers.wait(c.id, 'next-exit').result : Promise.resolve(),
      });
    },
  };
}

/** The Engine API's routes over an engine's services. */
export function buildRouter(engine: Engine): Router {
  const router = new Router();
  registerSystemRoutes(router, {
    events: engine.events,
    info: () => systemInfo(engine),
    version: () => systemVersion(engine),
  });
  const cb = containerBackend(engine);
  registerContainerRoutes(router, cb);
  registerContainerExtraRoutes(router, engine.extras);
  registerExecRoutes(router, cb);
  const dist = distributionBackend(engine.distribution);
  registerDistributionRoutes(router, dist);
  registerImageRoutes(router, engine.images, engine.events, pullHandler(dist));
  registerNetworkRoutes(router, engine.networks as never);
  const builder = engine.builder;
  registerDfRoutes(router, { ...dfBackend({
    images: engine.images, volumes: engine.volumes, containers: () => engine.containers.store.all(), apiVersion: API_VERSION,
    listContainers: () => cb.list({ all: true, size: true, filters: new Map() }),
  }), buildCache: () => builder.records() as unknown as Record<string, unknown>[] });
  registerArchiveRoutes(router, new ContainerArchive({
    get: (ref) => engine.containers.get(ref),
    rootfs: (id) => engine.images.mountContainerLayer(id),
    mounts: (id) => engine.volumeMounts.archiveMounts(id),
  }));
  registerVolumeRoutes(router, {
    list: (f) => engine.volumes.list(f).map((v) => engine.volumes.view(v)),
    inspect: (name) => engine.volumes.view(engine.volumes.get(name)),
    create: async (b) => engine.volumes.view(await engine.volumes.create(b)),
    remove: (name, o) => engine.volumes.remove(name, o),
    prune: (f) => engine.volumes.prune(f),
  });
  registerBuildRoutes(router, builder);
  registerEmptyLookups(router);
  registerUnimplemented(router);
  return router;
}
