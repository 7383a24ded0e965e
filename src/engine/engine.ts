import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { DaemonConfig } from '../config/daemon';
import { ContainerStore } from '../containers/store';
import { ContainerService } from '../containers/service';
import { ExecService } from '../containers/exec';
import { LocalImageService } from '../images/service';
import { openDatabase, type DB } from '../metadata/db';
import { RuncConmonRuntime } from '../runtime/runc';
import { ContainerExtras } from '../containers/extras';
import { NetworkService } from '../network/service';
import type { Logger } from '../util/log';
import { EventBus } from './events';
import { VolumeService } from '../volumes/service';
import { VolumeMounts } from '../volumes/containers';
import { BuilderService } from '../builder/service';
import { BuildCache } from '../builder/cache';
import { DistributionService } from '../distribution/service';
import { distributionBackend } from '../distribution/backend';
import { type IdMapping, rootPair } from '../util/idmap';
import { setDaemonUserns } from '../containers/userns';
import { prepareRemappedRoot, remappedGroupDir } from './userns-root';

/**
 * The composition root: builds every service from the daemon config and wires them together.
 * Nothing else constructs services; src/server/api.ts turns an Engine into the API's routes.
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
  readonly builder: BuilderService;
  readonly startedAt = new Date();

  private constructor(readonly config: DaemonConfig, readonly log: Logger, readonly idMapping: IdMapping | null) {
    this.db = openDatabase(path.join(config.dataRoot, 'berth.db'));
    this.images = new LocalImageService({ root: config.dataRoot, db: this.db, events: this.events, log, idMapping });
    this.distribution = new DistributionService({
      images: this.images, db: this.db, certsDir: config.certsDir, insecureRegistries: config.insecureRegistries, mirrors: config.registryMirrors,
      maxConcurrentDownloads: config.maxConcurrentDownloads, maxConcurrentUploads: config.maxConcurrentUploads,
    });
    this.runtime = new RuncConmonRuntime({ stateDir: path.join(config.execRoot, 'runtime'), log: (m) => log.debug(m) });
    const store = new ContainerStore(this.db);
    this.networks = new NetworkService(this.db, {
      execRoot: config.execRoot, bridge: config.bridge, bip: config.bip, pools: config.defaultAddressPools,
      icc: config.icc ?? true, iptables: config.iptables ?? true, ipForward: config.ipForward ?? true, ipMasq: config.ipMasq ?? true, mtu: config.mtu,
    }, log, (t, a, id, attrs) => { this.events.publish(t, a, id, attrs); }, {
      get: (r) => this.containers.get(r), find: (id) => store.find(id), all: () => store.all(), changed: (id) => this.containers.discardEarly(id),
    });
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
    this.volumes = new VolumeService(this.db, path.join(config.dataRoot, 'volumes'), this.events, log, idMapping ? rootPair(idMapping) : undefined);
    this.volumeMounts = new VolumeMounts(this.volumes, store, log);
    this.containers.addHooks(this.volumeMounts);
    this.builder = new BuilderService({
      images: this.images, containers: this.containers, cache: new BuildCache(this.db), tmpDir: path.join(config.dataRoot, 'builder', 'tmp'), log,
      pull: (ref, out, platform) => distributionBackend(this.distribution).pull({ name: ref, platform }, out),
    });
  }

  /** Creates the directories, opens the state, and reconciles it with what the runtime reports. */
  static async start(config: DaemonConfig, log: Logger, idMapping: IdMapping | null = null): Promise<Engine> {
    await fs.mkdir(config.dataRoot, { recursive: true, mode: 0o701 });
    await fs.chmod(config.dataRoot, 0o701);
    // --userns-remap: state moves to <data-root>/<uid>.<gid>, as dockerd's config.Root does.
    if (idMapping) config = { ...config, dataRoot: await prepareRemappedRoot(config.dataRoot, idMapping) };
    await fs.mkdir(config.execRoot, { recursive: true, mode: 0o700 });
    for (const d of ['containers']) await fs.mkdir(path.join(config.dataRoot, d), { recursive: true, mode: 0o710 });
    for (const d of ['containers', 'exec']) await fs.mkdir(path.join(config.execRoot, d), { recursive: true, mode: 0o700 });
    if (idMapping) await remappedGroupDir(path.join(config.dataRoot, 'containers'), idMapping);
    setDaemonUserns(idMapping);
    const engine = new Engine(config, log, idMapping);
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

  /** Shuts down without touching running containers (they stay under conmon). */
  async close(): Promise<void> {
    await this.containers.drain();
    this.runtime.close?.();
    this.extras.close();
    this.networks.close();
    this.db.close();
  }
}
