import { runcUpdate } from '../runtime/cgroups';
import type { RuncConmonRuntime } from '../runtime/runc';
import { conflict } from '../errdefs';
import { containerChanges, exportTar } from './commit-changes';
import { type CommitRequest, commitContainer } from './commit';
import type { LocalImageService } from '../images/service';
import { updateContainer } from './policies-update';
import { HealthMonitor } from './health';
import { RestartManager } from './policies';
import type { ContainerService } from './service';
import { StatsService } from './stats';
import { top } from './top';
import { IpcShm } from './spec-ipc';
import { mapTarOwners } from '../util/tar-owners';
import { storeIds } from './userns';

/**
 * The policies and the extra container operations (stats, top, changes, export, update,
 * pause, unpause) put together for the engine: one object, registered as container hooks and
 * served by server/router/containers/extra.ts.
 */
export class ContainerExtras {
  readonly restarts: RestartManager;
  readonly health: HealthMonitor;
  readonly statsService: StatsService;

  constructor(private readonly svc: ContainerService, private readonly runtime: RuncConmonRuntime, private readonly layerDirs: (id: string) => Promise<{ upper: string; lowers: string[] }>) {
    this.restarts = new RestartManager(svc);
    this.health = new HealthMonitor(svc);
    this.statsService = new StatsService(svc);
    svc.addHooks(this.restarts);
    svc.addHooks(this.health);
    svc.addHooks(new IpcShm(svc));
  }

  /** After the container service reconciled: pending restarts and healthchecks resume. */
  restore(): void {
    this.restarts.restore();
    this.health.restore();
  }

  close(): void {
    this.restarts.close();
    this.health.close();
  }

  stats(ref: string, opts: { stream: boolean; oneShot: boolean; signal: AbortSignal }) { return this.statsService.samples(ref, opts); }
  top(ref: string, psArgs?: string) { return top(this.svc, ref, psArgs); }

  async changes(ref: string) {
    const c = this.svc.get(ref);
    const { upper, lowers } = await this.layerDirs(c.id);
    return containerChanges(upper, lowers);
  }

  async export(ref: string) {
    const c = this.svc.get(ref);
    if (c.state.RemovalInProgress || c.state.Dead) throw conflict(`You cannot export container ${c.id} which is being removed`);
    const wasRunning = c.state.Running;
    const rootfs = await this.svc.images.mountContainerLayer(c.id);
    const out = await exportTar(rootfs);
    const done = out.done.finally(async () => {
      if (!wasRunning && !this.svc.store.find(c.id)?.state.Running) await this.svc.images.unmountContainerLayer(c.id).catch(() => undefined);
    });
    this.svc.emit(c, 'export');
    return { stream: mapTarOwners(out.stream, storeIds()?.toContainer), done };
  }

  update(ref: string, body: unknown) {
    return updateContainer(this.svc, ref, body, (id, resources) => runcUpdate(this.runtime.runtimePath, this.runtime.runcRoot, id, resources));
  }

  /** Commit needs the local image store's layer machinery (the engine always wires LocalImageService). */
  commit(req: CommitRequest) {
    return commitContainer(this.svc, this.svc.images as unknown as LocalImageService, this.layerDirs, req);
  }

  pause(ref: string) { return this.svc.pause(ref); }
  unpause(ref: string) { return this.svc.unpause(ref); }
}
