import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DaemonConfig } from '../config/daemon';
import { ContainerStore } from '../containers/store';
import { ContainerService } from '../containers/service';
import { ExecService } from '../containers/exec';
import { selectContainers } from '../containers/filters';
import { inspectView, listView, type ViewContext } from '../containers/view';
import { parseTime, statusOf, type ContainerRecord } from '../containers/record';
import { LocalImageService } from '../images/service';
import { openDatabase, type DB } from '../metadata/db';
import { RuncConmonRuntime } from '../runtime/runc';
import { logFiles, readLogs } from '../runtime/logs';
import { Router } from '../server/router';
import { registerSystemRoutes } from '../server/router/system/routes';
import { registerContainerRoutes } from '../server/router/containers/routes';
import { registerContainerExtraRoutes } from '../server/router/containers/extra';
import { ContainerExtras } from '../containers/extras';
import { registerExecRoutes } from '../server/router/exec/routes';
import { registerImageRoutes } from '../server/router/images/routes';
import { registerNetworkRoutes } from '../server/router/networks/routes';
import { NetworkService } from '../network/service';
import { registerEmptyLookups, registerUnimplemented } from '../server/unimplemented';
import { matchLabels } from '../containers/filters';
import { invalidParameter } from '../errdefs';
import type { Logger } from '../util/log';
import { EventBus } from './events';
import { systemInfo, systemVersion } from './system';
import type { ContainerBackend } from '../server/router/containers/backend';
import { VolumeService } from '../volumes/service';
import { VolumeMounts } from '../volumes/containers';
import { registerVolumeRoutes } from '../server/router/volumes/routes';
import { registerArchiveRoutes } from '../server/router/archive/routes';
import { ContainerArchive } from '../containers/archive';
import { registerDfRoutes } from '../server/router/df/routes';
import { dfBackend } from './df';
import { API_VERSION } from '../api/version';
import { BuilderService } from '../builder/service';
import { BuildCache } from '../builder/cache';
import { registerBuildRoutes } from '../server/router/build/routes';
import { DistributionService } from '../distribution/service';
import { distributionBackend } from '../distribution/backend';
import { pullHandler, registerDistributionRoutes } from '../server/router/distribution/routes';

/**
 * The composition root: builds every service from the daemon config, wires them together
 * and registers the API routes. Nothing else constructs services.
 */
export class Engine {
  readonly events = new EventBus();
  readonly db: DB;
  readonly images: LocalImageService;
  readonly distribution: DistributionService;
  readonly runtime: RuncConmonRuntime;
  readonly containers: ContainerService;
  readonly networks: NetworkService;
  readonly execs: ExecService;
  readonly extras: ContainerExtras;
  readonly volumes: VolumeService;
  readonly volumeMounts: VolumeMounts;
  readonly router = new Router();
  readonly startedAt = new Date();

  private constructor(readonly config: DaemonConfig, readonly log: Logger) {
    this.db = openDatabase(path.join(config.dataRoot, 'berth.db'));
    this.images = new LocalImageService({ root: config.dataRoot, db: this.db, events: this.events, log });
    this.distribution = new DistributionService({
      images: this.images, db: this.db, certsDir: config.certsDir, insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors,
      maxConcurrentDownloads: config.maxConcurrentDownloads, maxConcurrentUploads: config.maxConcurrentUploads,
    });
    this.runtime = new RuncConmonRuntime({ stateDir: path.join(config.execRoot, 'runtime'), log: (m) => log.debug(m) });
    const store = new ContainerStore(this.db);
    this.networks = new NetworkService(this.db, {
      execRoot: config.execRoot, bridge: config.bridge, bip: config.bip, pools: config.defaultAddressPools,
      icc: config.icc ?? true, iptables: config.iptables ?? true, ipForward: config.ipForward ?? true, ipMasq: config.ipMasq ?? true, mtu: config.mtu,
    }, log, (t, a, id, attrs) => { this.events.publish(t, a, id, attrs); }, { get: (r) => this.containers.get(r), find: (id) => store.find(id), all: () => store.all() });
    this.containers = new ContainerService(store, this.images, this.runtime, this.events, {
      containersDir: path.join(config.dataRoot, 'containers'),
      bundlesDir: path.join(config.execRoot, 'containers'),
    }, log, { defaultNetworkMode: this.networks.defaultMode });
    this.containers.addHooks(this.networks.hooks());
    this.execs = new ExecService(this.containers, path.join(config.execRoot, 'exec'));
    this.extras = new ContainerExtras(this.containers, this.runtime, async (id) => {
      const g = await this.images.containerGraphDriver(id);
      return { upper: g.Data?.UpperDir ?? this.images.containerLayerDiffDir(id), lowers: (g.Data?.LowerDir ?? '').split(':').filter(Boolean) };
    });
    this.volumes = new VolumeService(this.db, path.join(config.dataRoot, 'volumes'), this.events, log);
    this.volumeMounts = new VolumeMounts(this.volumes, store, log);
    this.containers.addHooks(this.volumeMounts);
    this.registerRoutes();
  }

  /** Creates the directories, opens the state, and reconciles it with what the runtime reports. */
  static async start(config: DaemonConfig, log: Logger): Promise<Engine> {
    await fs.mkdir(config.dataRoot, { recursive: true, mode: 0o701 });
    await fs.chmod(config.dataRoot, 0o701);
    await fs.mkdir(config.execRoot, { recursive: true, mode: 0o700 });
    for (const d of ['containers']) await fs.mkdir(path.join(config.dataRoot, d), { recursive: true, mode: 0o710 });
    for (const d of ['containers', 'exec']) await fs.mkdir(path.join(config.execRoot, d), { recursive: true, mode: 0o700 });
    const engine = new Engine(config, log);
    await engine.images.reconcile();
    // Exec dirs belong to processes of a previous daemon life; their exits are not tracked across restarts.
    await fs.rm(path.join(config.execRoot, 'exec'), { recursive: true, force: true });
    await fs.mkdir(path.join(config.execRoot, 'exec'), { recursive: true, mode: 0o700 });
    await engine.runtime.init();
    await engine.networks.init();
    await engine.containers.reconcile();
    engine.extras.restore();
    await engine.networks.reconcile();
    return engine;
  }

  private viewContext(): ViewContext {
    return {
      defaultNetworkMode: this.networks.defaultMode,
      networkSettings: (c) => this.networks.containerSettings(c),
      ports: (c) => this.networks.containerPorts(c),
      graphDriver: (id) => this.images.containerGraphDriver(id),
      mounts: (id) => this.volumeMounts.view(id),
    };
  }

  private imageMatches(c: ContainerRecord, ref: string): boolean {
    try { return this.images.get(ref).id === c.image; } catch { return c.imageRef === ref; }
  }

  private containerBackend(): ContainerBackend {
    const ctx = () => this.viewContext();
    return {
      containers: this.containers,
      execs: this.execs,
      inspect: async (ref, size) => {
        const c = this.containers.get(ref);
        return inspectView(c, ctx(), size ? await this.images.containerLayerSize(c.id) : undefined);
      },
      list: async (o) => {
        const picked = selectContainers(this.containers.store.all(), {
          ...o, resolve: (r) => this.containers.get(r), imageMatches: (c, r) => this.imageMatches(c, r),
        });
        return Promise.all(picked.map(async (c) => listView(c, ctx(), o.size ? await this.images.containerLayerSize(c.id).catch(() => ({ sizeRw: 0, sizeRootFs: 0 })) : undefined)));
      },
      prune: async (filters) => {
        for (const k of filters.keys()) if (k !== 'until' && k !== 'label' && k !== 'label!') throw invalidParameter(`invalid filter '${k}'`);
        const until = filters.get('until')?.map((u) => (/^\d+(\.\d+)?$/.test(u) ? Number(u) * 1000 : Date.parse(u)));
        const deleted: string[] = [];
        let reclaimed = 0;
        for (const c of this.containers.store.all()) {
          const st = statusOf(c.state);
          if (st !== 'exited' && st !== 'created' && st !== 'dead') continue;
          if (until && !until.every((t) => parseTime(c.created) < t)) continue;
          if (!matchLabels(c.config.Labels, filters.get('label'))) continue;
          const neg = filters.get('label!');
          if (neg && neg.some((l) => matchLabels(c.config.Labels, [l]))) continue;
          const size = await this.images.containerLayerSize(c.id).catch(() => ({ sizeRw: 0, sizeRootFs: 0 }));
          try {
            await this.containers.remove(c.id, {});
            this.execs.forgetContainer(c.id);
            deleted.push(c.id);
            reclaimed += size.sizeRw;
          } catch (e) {
            this.log.warn(`prune ${c.id}: ${String(e)}`);
          }
        }
        this.events.publish('container', 'prune', '', { reclaimed: String(reclaimed) });
        return { ContainersDeleted: deleted, SpaceReclaimed: reclaimed };
      },
      logs: (c, o) => {
        const maxFiles = Number(c.hostConfig.LogConfig?.Config?.['max-file'] ?? 1) || 1;
        const running = c.state.Running;
        return readLogs(logFiles(c.logPath, maxFiles), {
          ...o,
          finished: running ? this.containers.wait(c.id, 'next-exit').result : Promise.resolve(),
        });
      },
    };
  }

  private registerRoutes(): void {
    registerSystemRoutes(this.router, {
      events: this.events,
      info: () => systemInfo(this),
      version: () => systemVersion(this),
    });
    const cb = this.containerBackend();
    registerContainerRoutes(this.router, cb);
    registerContainerExtraRoutes(this.router, this.extras);
    registerExecRoutes(this.router, cb);
    const dist = distributionBackend(this.distribution);
    registerDistributionRoutes(this.router, dist);
    registerImageRoutes(this.router, this.images, this.events, pullHandler(dist));
    registerNetworkRoutes(this.router, this.networks as never);
    const builder = new BuilderService({
      images: this.images, containers: this.containers, cache: new BuildCache(this.db), tmpDir: path.join(this.config.dataRoot, 'builder', 'tmp'), log: this.log,
      pull: (ref, out, platform) => dist.pull({ name: ref, platform }, out),
    });
    registerDfRoutes(this.router, { ...dfBackend({
      images: this.images, volumes: this.volumes, containers: () => this.containers.store.all(), apiVersion: API_VERSION,
      listContainers: () => cb.list({ all: true, size: true, filters: new Map() }),
    }), buildCache: () => builder.records() as unknown as Record<string, unknown>[] });
    registerArchiveRoutes(this.router, new ContainerArchive({
      get: (ref) => this.containers.get(ref),
      rootfs: (id) => this.images.mountContainerLayer(id),
      mounts: (id) => this.volumeMounts.archiveMounts(id),
    }));
    registerVolumeRoutes(this.router, {
      list: (f) => this.volumes.list(f).map((v) => this.volumes.view(v)),
      inspect: (name) => this.volumes.view(this.volumes.get(name)),
      create: async (b) => this.volumes.view(await this.volumes.create(b)),
      remove: (name, o) => this.volumes.remove(name, o),
      prune: (f) => this.volumes.prune(f),
    });
    registerBuildRoutes(this.router, builder);
    registerEmptyLookups(this.router);
    registerUnimplemented(this.router);
  }

  /** Shuts down without touching running containers (they stay under conmon). */
  async close(): Promise<void> {
    (this.runtime as unknown as { close?: () => void }).close?.();
    this.extras.close();
    this.networks.close();
    this.db.close();
  }
}
