import { promises as fs, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { ContainerCreateBody } from '../api/types';
import type { EventPublisher } from '../api/events';
import type { ImageService } from '../images/types';
import type { OciRuntime } from '../runtime/types';
import type { Logger } from '../util/log';
import { BerthError, conflict, invalidParameter, notModified, system } from '../errdefs';
import { newId } from '../util/ids';
import { parseSignal } from '../util/signal';
import { AttachHub } from './attach';
import { pathAndArgs, prepareConfig } from './create';
import { generateName, normalizeName } from './names';
import { type ContainerRecord, initialState, nowRfc3339Nano, parseTime, statusOf } from './record';
import { buildContainerSpec } from './spec';
import type { ContainerStore } from './store';
import { validateCreateBody } from './validate';
import { type ContainerHooks, mergeExtras } from './hooks';
import { PhaseTimer, exitCodeForStartError, parseSize, toRfc3339Nano } from './lifecycle-util';
import { validateIsolation } from './spec-isolation';

export interface ContainerPaths {
  /** <data-root>/containers: one dir per container (etc files, log). */
  containersDir: string;
  /** <exec-root>/containers: one OCI bundle per container. */
  bundlesDir: string;
}

export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

/** How long a runtime made at create (prepareEarly) waits for its start before it is torn down. */
const EARLY_TTL_MS = 10_000;

/** A runtime container made and waiting to be released; `ready` is what must finish before (StartExtras.ready). */
interface CreatedRuntime { pid: number; monitorPid: number; ready?: Promise<void> }

interface EarlyRuntime { result: Promise<CreatedRuntime>; timer: NodeJS.Timeout }

interface Waiter { condition: WaitCondition; resolve: (r: { StatusCode: number; Error: null | { Message: string } }) => void }

/** Per-container mutual exclusion for state transitions. */
class Locks {
  private tails = new Map<string, Promise<unknown>>();
  run<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(id, tail);
    void tail.then(() => { if (this.tails.get(id) === tail) this.tails.delete(id); });
    return next;
  }
}

/**
 * The container lifecycle on the OCI runtime: create, start, stop, kill, restart, remove,
 * rename, wait, and the handling of exits that conmon reports (also those that happened
 * while the daemon was down, found at start-up).
 */
export class ContainerService {
  private locks = new Locks();
  private hubs = new Map<string, AttachHub>();
  private waiters = new Map<string, Waiter[]>();
  private exitWaits = new Map<string, Array<() => void>>();
  private early = new Map<string, EarlyRuntime>();
  /** Clean-ups still running after their requests were answered (drain() waits for them). */
  private pending = new Set<Promise<void>>();
  private hooks: ContainerHooks[] = [];

  constructor(
    readonly store: ContainerStore,
    readonly images: ImageService,
    readonly runtime: OciRuntime,
    readonly events: EventPublisher,
    readonly paths: ContainerPaths,
    readonly log: Logger,
    readonly opts: { defaultNetworkMode: 'none' | 'bridge' },
  ) {
    runtime.onExit((id, code, at) => { void this.handleExit(id, code, at); });
    images.setUsageCheck(
      (imageId) => store.all().filter((c) => c.image === imageId).map((c) => c.id),
      (imageId) => store.all().filter((c) => c.image === imageId && c.state.Running).map((c) => c.id),
    );
  }

  /** Networking, volumes and policies plug in here (see hooks.ts). */
  addHooks(h: ContainerHooks): void { this.hooks.push(h); }

  private async runHooks<K extends keyof ContainerHooks>(name: K, ...args: Parameters<NonNullable<ContainerHooks[K]>>): Promise<unknown[]> {
    const out: unknown[] = [];
    for (const h of this.hooks) {
      const fn = h[name] as ((...a: unknown[]) => Promise<unknown>) | undefined;
      if (fn) out.push(await fn.apply(h, args));
    }
    return out;
  }

  get(ref: string): ContainerRecord { return this.store.get(ref); }
  bundleDir(id: string): string { return path.join(this.paths.bundlesDir, id); }
  containerDir(id: string): string { return path.join(this.paths.containersDir, id); }

  /** Event attributes Docker attaches to every container event. */
  attrs(c: ContainerRecord, extra: Record<string, string> = {}): Record<string, string> {
    return { ...(c.config.Labels ?? {}), image: c.imageRef, name: c.name.slice(1), ...extra };
  }

  emit(c: ContainerRecord, action: string, extra: Record<string, string> = {}): void {
    this.events.publish('container', action, c.id, this.attrs(c, extra));
  }

  async create(body: unknown, name: string | null): Promise<{ Id: string; Warnings: string[] }> {
    const phases = new PhaseTimer();
    validateCreateBody(body);
    const req = body as ContainerCreateBody;
    if (!req.Image) throw invalidParameter('Config cannot be empty in order to create a container');
    const image = this.images.get(req.Image);
    const { config, hostConfig } = prepareConfig(req, image.config);
    const warnings = validateIsolation(config, hostConfig);
    const id = newId();
    if (!config.Hostname) config.Hostname = id.slice(0, 12);
    const fullName = name ? normalizeName(name) : this.freeName();
    const { path: p, args } = pathAndArgs(config);
    const dir = this.containerDir(id);
    const record: ContainerRecord = {
      id, name: fullName, created: nowRfc3339Nano(), path: p, args, config: { ...config, Image: req.Image }, hostConfig,
      networkingConfig: req.NetworkingConfig, image: image.id, imageRef: req.Image, state: initialState(), restartCount: 0,
      hostnamePath: path.join(dir, 'hostname'), hostsPath: path.join(dir, 'hosts'), resolvConfPath: path.join(dir, 'resolv.conf'),
      logPath: path.join(dir, `${id}-json.log`), monitorPid: 0, hasBeenManuallyStopped: false, execIds: [],
    };
    phases.mark('config');
    await fs.mkdir(dir, { recursive: true, mode: 0o710 });
    try {
      await this.images.createContainerLayer(id, image.id);
      phases.mark('layer');
      this.store.insert(record);
      phases.mark('record');
      await this.runHooks('created', record);
      phases.mark('hooks');
    } catch (e) {
      if (this.store.find(id)) {
        await this.runHooks('removing', record, { volumes: true }).catch(() => undefined);
        this.store.delete(id);
      }
      await this.images.removeContainerLayer(id).catch(() => undefined);
      await fs.rm(dir, { recursive: true, force: true });
      throw e;
    }
    this.emit(record, 'create');
    if (this.log.level === 'debug') this.log.debug(`create ${id.slice(0, 12)}: ${phases.summary()}`);
    // `docker run` starts right after create: use the client's attach and wait round trips.
    if (hostConfig.AutoRemove && (config.AttachStdout || config.AttachStderr || config.AttachStdin)) this.prepareEarly(record);
    else void this.images.mountContainerLayer(id).catch(() => undefined); // start awaits the same, idempotent mount
    return { Id: id, Warnings: warnings };
  }

  /**
   * A foreground `docker run --rm` (AutoRemove and attached) is created and started back to
   * back: the runtime container (conmon + `runc create`, which does not run the process yet)
   * is made right after create, and start only releases it. Anything that would change it
   * before the start (update, network connect/disconnect, removal) discards it first
   * (discardEarly), and so does a start that does not come within EARLY_TTL_MS.
   */
  private prepareEarly(c: ContainerRecord): void {
    const entry: EarlyRuntime = {
      result: this.locks.run(c.id, async () => {
        const st = { prepared: false };
        const phases = new PhaseTimer();
        try {
          const created = await this.createRuntime(c, phases, st);
          if (this.log.level === 'debug') this.log.debug(`runtime of ${c.id.slice(0, 12)} made at create: ${phases.summary()}`);
          return created;
        } catch (e) {
          await this.undoRuntime(c, st.prepared);
          throw e;
        }
      }),
      timer: setTimeout(() => void this.discardEarly(c.id), EARLY_TTL_MS),
    };
    entry.result.catch(() => undefined);
    entry.timer.unref();
    this.early.set(c.id, entry);
  }

  /** Tears down a runtime made by prepareEarly that no start has taken (no-op otherwise). */
  async discardEarly(id: string): Promise<void> {
    if (!this.early.has(id)) return;
    await this.locks.run(id, async () => {
      const entry = this.early.get(id);
      if (!entry) return;
      this.early.delete(id);
      clearTimeout(entry.timer);
      const ok = await entry.result.then(() => true, () => false);
      const c = this.store.find(id);
      if (ok && c && !c.state.Running) await this.undoRuntime(c, true);
    });
  }

  /** Undoes createRuntime: the runtime container and what the prepare hooks set up. */
  private async undoRuntime(c: ContainerRecord, prepared: boolean): Promise<void> {
    await this.runtime.delete(c.id, true).catch(() => undefined);
    if (prepared) await this.runHooks('stopped', c, { exitCode: 0, manual: true }).catch((err) => this.log.warn(`stop hooks ${c.id}: ${String(err)}`));
  }

  private freeName(): string {
    for (let i = 0; i < 10; i++) {
      const n = `/${generateName(i > 3 ? i : 0)}`;
      if (!this.store.find(n)) return n;
    }
    return `/${generateName(1)}${Date.now() % 1000}`;
  }

  hub(c: ContainerRecord): AttachHub {
    let h = this.hubs.get(c.id);
    if (!h) {
      h = new AttachHub({ stdinOnce: !!c.config.StdinOnce });
      this.hubs.set(c.id, h);
    }
    return h;
  }

  async start(ref: string): Promise<void> {
    const c = this.store.get(ref);
    await this.locks.run(c.id, async () => {
      if (c.state.Paused) throw conflict('cannot start a paused container, try unpause instead');
      if (c.state.Running) throw notModified('container is already running');
      if (c.state.RemovalInProgress || c.state.Dead) throw conflict('container is marked for removal and cannot be started');
      c.restartCount = 0; // an explicit start resets the restart policy's count, as dockerd does
      await this.startLocked(c);
    });
  }

  /**
   * A start up to the created runtime container: root mounted, the prepare hooks run (network,
   * mounts), the spec written, conmon + `runc create` done; the process waits to be released.
   * `st.prepared` tells the caller whether the stop hooks must undo the prepare hooks.
   */
  private async createRuntime(c: ContainerRecord, phases: PhaseTimer, st: { prepared: boolean }): Promise<CreatedRuntime> {
    const bundle = this.bundleDir(c.id);
    mkdirSync(bundle, { recursive: true, mode: 0o700 });
    const rootfs = await this.images.mountContainerLayer(c.id);
    phases.mark('mount');
    st.prepared = true;
    const extras = mergeExtras((await this.runHooks('prepare', c, rootfs)) as never[]);
    phases.mark('hooks');
    const spec = await buildContainerSpec(c, rootfs, this.opts.defaultNetworkMode, (ref) => {
      const other = this.store.find(ref);
      return other?.state.Running ? other.state.Pid : 0;
    }, extras);
    phases.mark('spec');
    await this.runtime.delete(c.id, true).catch(() => undefined);
    const logOpts = c.hostConfig.LogConfig?.Config ?? {};
    const created = await this.runtime.create({
      id: c.id, bundleDir: bundle, spec, tty: !!c.config.Tty, openStdin: !!c.config.OpenStdin,
      stdinOnce: !!c.config.StdinOnce, logPath: c.logPath,
      logMaxSize: parseSize(logOpts['max-size']), logMaxFiles: logOpts['max-file'] ? Number(logOpts['max-file']) : undefined,
    });
    phases.mark('create');
    return { ...created, ready: extras.ready };
  }

  /** The runtime prepareEarly made for this container, if it succeeded (taken once). */
  private async takeEarly(id: string): Promise<CreatedRuntime | null> {
    const entry = this.early.get(id);
    if (!entry) return null;
    this.early.delete(id);
    clearTimeout(entry.timer);
    // A failed early create was undone; the start then tries again and reports its own error.
    return entry.result.catch(() => null);
  }

  private async startLocked(c: ContainerRecord): Promise<void> {
    const bundle = this.bundleDir(c.id);
    const st = { prepared: false };
    const phases = new PhaseTimer();
    try {
      let created = await this.takeEarly(c.id);
      if (created) { st.prepared = true; phases.mark('made at create'); } else created = await this.createRuntime(c, phases, st);
      const { pid, monitorPid } = created;
      const hub = this.hubs.get(c.id);
      if (hub?.hasClients) hub.bind(await this.runtime.attach(c.id, bundle));
      await created.ready;
      await this.runtime.start(c.id);
      phases.mark('start');
      Object.assign(c.state, { Running: true, Paused: false, Restarting: false, OOMKilled: false, Dead: false, Pid: pid, ExitCode: 0, Error: '', StartedAt: nowRfc3339Nano() });
      c.monitorPid = monitorPid;
      c.hasBeenManuallyStopped = false;
      this.store.save(c);
      await this.runHooks('started', c, pid);
      if (this.log.level === 'debug') this.log.debug(`start ${c.id.slice(0, 12)}: ${phases.summary()}`);
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      c.state.ExitCode = exitCodeForStartError(msg);
      c.state.Error = msg;
      this.store.save(c);
      await this.runtime.delete(c.id, true).catch(() => undefined);
      await this.images.unmountContainerLayer(c.id).catch(() => undefined);
      if (st.prepared) await this.runHooks('stopped', c, { exitCode: c.state.ExitCode, manual: true }).catch((err) => this.log.warn(`stop hooks ${c.id}: ${String(err)}`));
      this.hubs.get(c.id)?.finish();
      // dockerd removes an AutoRemove container whose start failed; `run --rm` waits for that.
      if (c.hostConfig.AutoRemove) setImmediate(() => void this.remove(c.id, { force: true }).catch(() => undefined));
      if (e instanceof BerthError && e.kind !== 'System') throw e;
      throw c.state.ExitCode === 128 ? system(msg) : invalidParameter(msg);
    }
    this.emit(c, 'start');
  }

  /** Resolves once the container is not running (after the exit was recorded). */
  private async waitStopped(c: ContainerRecord, timeoutMs: number): Promise<boolean> {
    // An exit being handled right now (Running is already false) has not sent `die` yet: wait
    // for its handling, under the container's lock, so that what the caller sends next (stop's
    // `stop`, rm -f's `destroy`) comes after `die`, as dockerd orders them.
    if (!c.state.Running) { await this.locks.run(c.id, async () => undefined); return true; }
    return new Promise((resolve) => {
      const list = this.exitWaits.get(c.id) ?? [];
      let done = false;
      const timer = timeoutMs >= 0 ? setTimeout(() => { done = true; resolve(false); }, timeoutMs) : null;
      list.push(() => { if (!done) { if (timer) clearTimeout(timer); resolve(true); } });
      this.exitWaits.set(c.id, list);
    });
  }

  async kill(ref: string, signal?: string): Promise<void> {
    const sig = signal ? parseSignal(signal) : 9;
    const c = this.store.get(ref);
    if (!c.state.Running) throw conflict(`cannot kill container: ${ref}: container ${c.id} is not running`);
    if (c.state.Restarting) throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
    if (sig === 9 || (c.config.StopSignal ? parseSignal(c.config.StopSignal) === sig : sig === 15)) c.hasBeenManuallyStopped = true;
    await this.runtime.kill(c.id, sig);
    // A frozen process never dies: thaw a paused container after SIGKILL, as dockerd does.
    if (sig === 9 && c.state.Paused) await this.runtime.resume(c.id).catch(() => undefined);
    this.emit(c, 'kill', { signal: String(sig) });
    if (sig === 9) await this.waitStopped(c, 10_000);
  }

  /** Docker's stop: StopSignal, wait `timeout` seconds (-1 = forever), then SIGKILL. */
  async stop(ref: string, opts: { signal?: string; timeout?: number } = {}): Promise<void> {
    const c = this.store.get(ref);
    // An exit being handled right now may be about to schedule a policy restart: let it finish
    // first, so that this stop sees (and cancels) the restart instead of "already stopped".
    await this.locks.run(c.id, async () => undefined);
    if (!c.state.Running) throw notModified('container is already stopped');
    await this.stopRunning(c, opts);
    this.emit(c, 'stop');
  }

  private async stopRunning(c: ContainerRecord, opts: { signal?: string; timeout?: number }): Promise<void> {
    const sig = parseSignal(opts.signal || c.config.StopSignal || 'SIGTERM');
    const timeout = opts.timeout ?? c.config.StopTimeout ?? 10;
    if (c.state.Restarting) {
      // Waiting for its restart back-off: nothing runs, cancelling the restart is the stop. Under
      // the lock, so that a policy start already under way finishes first (then it is stopped below).
      const cancelled = await this.locks.run(c.id, async () => {
        if (!c.state.Restarting) return false;
        c.hasBeenManuallyStopped = true;
        Object.assign(c.state, { Running: false, Restarting: false });
        this.store.save(c);
        return true;
      });
      if (cancelled || !c.state.Running) return;
    }
    c.hasBeenManuallyStopped = true;
    this.store.save(c);
    if (c.state.Paused) await this.runtime.resume(c.id).catch(() => undefined);
    try {
      await this.runtime.kill(c.id, sig);
      this.emit(c, 'kill', { signal: String(sig) });
    } catch (e) {
      this.log.debug(`stop ${c.id}: signal ${sig} failed: ${String(e)}`);
    }
    if (await this.waitStopped(c, timeout < 0 ? -1 : timeout * 1000)) return;
    await this.runtime.kill(c.id, 9).catch(() => undefined);
    this.emit(c, 'kill', { signal: '9' });
    if (!(await this.waitStopped(c, 30_000))) throw system(`cannot stop container: ${c.name.slice(1)}: tried to kill container, but did not receive an exit event`);
  }

  async restart(ref: string, opts: { signal?: string; timeout?: number } = {}): Promise<void> {
    const c = this.store.get(ref);
    if (c.state.Running) await this.stopRunning(c, opts);
    await this.locks.run(c.id, () => this.startLocked(c));
    this.emit(c, 'restart');
  }

  /** Called for every exit conmon records: marks the container exited and cleans up its runtime state. */
  async handleExit(id: string, exitCode: number, at: Date): Promise<void> {
    const c = this.store.find(id);
    if (!c) { await this.runtime.delete(id, true).catch(() => undefined); return; }
    const handled = await this.locks.run(id, async () => {
      if (!c.state.Running) return false; // e.g. the runtime of a discarded early create going away
      const oom = (await this.runtime.oomKilled?.(id).catch(() => false)) ?? false;
      Object.assign(c.state, { Running: false, Paused: false, Restarting: false, Pid: 0, ExitCode: exitCode, OOMKilled: oom, FinishedAt: toRfc3339Nano(at) });
      c.monitorPid = 0;
      this.store.save(c);
      const phases = new PhaseTimer();
      const stopHooks = this.runHooks('stopped', c, { exitCode, manual: c.hasBeenManuallyStopped }).catch((e) => this.log.warn(`stop hooks ${id}: ${String(e)}`));
      if (c.hostConfig.AutoRemove) {
        // Removal follows at once and tears the runtime state and the root down itself.
        await stopHooks;
      } else {
        // Independent clean-ups, each a process spawn or two: run them side by side.
        await Promise.all([
          this.runtime.delete(id, true).catch((e) => this.log.warn(`runtime delete ${id}: ${String(e)}`)),
          this.images.unmountContainerLayer(id).catch((e) => this.log.warn(`unmount ${id}: ${String(e)}`)),
          stopHooks,
        ]);
      }
      phases.mark('exit clean-up');
      if (this.log.level === 'debug') this.log.debug(`exit ${id.slice(0, 12)}: ${phases.summary()}`);
      this.hubs.get(id)?.finish();
      this.hubs.delete(id);
      if (oom) this.emit(c, 'oom');
      const started = parseTime(c.state.StartedAt);
      this.emit(c, 'die', { exitCode: String(exitCode), execDuration: String(Math.max(0, Math.round((at.getTime() - started) / 1000))) });
      await this.runHooks('died', c).catch((e) => this.log.warn(`died hooks ${id}: ${String(e)}`));
      for (const f of this.exitWaits.get(id) ?? []) f();
      this.exitWaits.delete(id);
      this.resolveWaiters(c, ['not-running', 'next-exit']);
      return true;
    });
    if (handled && c.hostConfig.AutoRemove) await this.remove(c.id, { force: true, volumes: true }).catch((e) => this.log.warn(`auto-remove ${id}: ${String(e)}`));
  }

  private resolveWaiters(c: ContainerRecord, conditions: WaitCondition[]): void {
    const list = this.waiters.get(c.id) ?? [];
    const keep: Waiter[] = [];
    for (const w of list) {
      if (conditions.includes(w.condition)) w.resolve({ StatusCode: c.state.ExitCode, Error: null });
      else keep.push(w);
    }
    if (keep.length) this.waiters.set(c.id, keep); else this.waiters.delete(c.id);
  }

  /** Docker's wait conditions. The promise settles when the condition is met. */
  wait(ref: string, condition: WaitCondition): { container: ContainerRecord; result: Promise<{ StatusCode: number; Error: null | { Message: string } }> } {
    const c = this.store.get(ref);
    if (condition === 'not-running' && !c.state.Running) {
      return { container: c, result: Promise.resolve({ StatusCode: c.state.ExitCode, Error: null }) };
    }
    const result = new Promise<{ StatusCode: number; Error: null | { Message: string } }>((resolve) => {
      const list = this.waiters.get(c.id) ?? [];
      list.push({ condition, resolve });
      this.waiters.set(c.id, list);
    });
    return { container: c, result };
  }

  async remove(ref: string, opts: { force?: boolean; volumes?: boolean; link?: boolean }): Promise<void> {
    if (opts.link) throw invalidParameter('Conflict, cannot remove the default link name of the container');
    const c = this.store.get(ref);
    if (c.state.RemovalInProgress) throw conflict(`removal of container ${ref} is already in progress`);
    if (c.state.Running && c.state.Restarting && opts.force) {
      c.hasBeenManuallyStopped = true;
      Object.assign(c.state, { Running: false, Restarting: false });
    }
    if (c.state.Running) {
      if (!opts.force) {
        if (c.state.Paused) throw conflict('cannot remove container "' + c.name + '": container is paused and must be unpaused first');
        throw conflict(`cannot remove container "${c.name}": container is ${statusOf(c.state)}: stop the container before removing or force remove`);
      }
      await this.runtime.kill(c.id, 9).catch(() => undefined);
      this.emit(c, 'kill', { signal: '9' }); // as dockerd's rm -f
      if (c.state.Paused) await this.runtime.resume(c.id).catch(() => undefined);
      await this.waitStopped(c, 10_000);
    }
    await this.discardEarly(c.id);
    await this.locks.run(c.id, async () => {
      if (!this.store.find(c.id)) return;
      const phases = new PhaseTimer();
      c.state.RemovalInProgress = true;
      this.store.save(c);
      await this.runHooks('removing', c, { volumes: !!opts.volumes });
      phases.mark('hooks');
      const removeLayer = await this.images.detachContainerLayer(c.id);
      this.store.delete(c.id);
      phases.mark('records');
      if (this.log.level === 'debug') this.log.debug(`remove ${c.id.slice(0, 12)}: ${phases.summary()}`);
      this.hubs.get(c.id)?.finish();
      this.hubs.delete(c.id);
      this.background(`removal of ${c.id}`, () => this.removeFiles(c.id, removeLayer));
    });
    this.emit(c, 'destroy');
    this.resolveWaiters(c, ['not-running', 'next-exit', 'removed']);
  }

  /**
   * What is left of a removed container once its records are gone: runtime state, the root's
   * mount and layer, its dirs. Runs after the removal has been answered (`run --rm` waits for
   * the removal); a crash before it ends is cleaned up by reconcile() and the layer store's
   * own start-up clean-up.
   */
  private async removeFiles(id: string, removeLayer: (() => Promise<void>) | null): Promise<void> {
    const phases = new PhaseTimer();
    await Promise.all([
      this.runtime.delete(id, true).catch((e) => this.log.warn(`runtime delete ${id}: ${String(e)}`)),
      removeLayer?.(),
    ]);
    await Promise.all([
      fs.rm(this.containerDir(id), { recursive: true, force: true }),
      fs.rm(this.bundleDir(id), { recursive: true, force: true }),
    ]);
    phases.mark('files');
    if (this.log.level === 'debug') this.log.debug(`removed ${id.slice(0, 12)}: ${phases.summary()}`);
  }

  private background(what: string, fn: () => Promise<void>): void {
    const p: Promise<void> = fn().catch((e) => this.log.warn(`${what}: ${String(e)}`)).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Waits (at most `ms`) for clean-ups still running after their requests were answered. */
  async drain(ms = 5000): Promise<void> {
    if (!this.pending.size) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.pending]),
      new Promise((r) => { timer = setTimeout(r, ms); }),
    ]);
    clearTimeout(timer);
  }

  rename(ref: string, newName: string): void {
    if (!ref || !newName) throw invalidParameter('Neither old nor new names may be empty');
    const c = this.store.get(ref);
    const target = normalizeName(newName);
    if (target === c.name) throw invalidParameter('Renaming a container with the same name as its current name');
    const oldName = c.name;
    this.store.rename(c, target);
    this.emit(c, 'rename', { oldName });
  }

  async pause(ref: string): Promise<void> {
    const c = this.store.get(ref);
    await this.locks.run(c.id, async () => {
      if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
      if (c.state.Paused) throw conflict(`container ${c.id} is already paused`);
      if (c.state.Restarting) throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
      await this.runtime.pause(c.id);
      c.state.Paused = true;
      this.store.save(c);
    });
    this.emit(c, 'pause');
  }

  async unpause(ref: string): Promise<void> {
    const c = this.store.get(ref);
    await this.locks.run(c.id, async () => {
      if (!c.state.Running || !c.state.Paused) throw system(`Container ${c.id} is not paused`); // a 500 in dockerd too
      await this.runtime.resume(c.id);
      c.state.Paused = false;
      this.store.save(c);
    });
    this.emit(c, 'unpause');
  }

  /**
   * Start by a restart policy (policies.ts) once its back-off has passed: only if the container
   * is still waiting to restart (a stop or removal meanwhile cancels it). A failed start leaves
   * it exited, as dockerd does.
   */
  async startByPolicy(id: string): Promise<boolean> {
    const c = this.store.find(id);
    if (!c) return false;
    return this.locks.run(c.id, async () => {
      if (!c.state.Restarting || c.state.RemovalInProgress || !this.store.find(c.id)) return false;
      if (c.hasBeenManuallyStopped) {
        // stopped while its exit was being handled: it stays down, and the stop waiting for it returns
        Object.assign(c.state, { Running: false, Restarting: false });
        this.store.save(c);
        for (const f of this.exitWaits.get(c.id) ?? []) f();
        this.exitWaits.delete(c.id);
        return false;
      }
      try {
        await this.startLocked(c);
        return true;
      } catch (e) {
        Object.assign(c.state, { Running: false, Restarting: false });
        this.store.save(c);
        this.log.warn(`restart of ${c.id} failed: ${String(e)}`);
        return false;
      }
    });
  }

  async resize(ref: string, height: number, width: number): Promise<void> {
    const c = this.store.get(ref);
    if (!c.state.Running) throw conflict(`Container ${c.id} is not running`);
    await this.runtime.resize(c.id, this.bundleDir(c.id), height, width);
    this.emit(c, 'resize', { height: String(height), width: String(width) });
  }

  /** Start-up reconciliation: running containers whose monitor died are marked exited. */
  async reconcile(): Promise<void> {
    for (const c of this.store.all()) {
      if (c.state.RemovalInProgress) {
        c.state.RemovalInProgress = false;
        this.store.save(c);
        await this.remove(c.id, { force: true }).catch((e) => this.log.warn(`finishing removal of ${c.id}: ${String(e)}`));
        continue;
      }
      if (!c.state.Running) {
        // a runtime made at create (prepareEarly) for a start that never came
        if (c.hostConfig.AutoRemove) await this.runtime.delete(c.id, true).catch(() => undefined);
        continue;
      }
      if (c.state.Restarting) continue; // waiting out a restart back-off: the restart policy manager resumes it
      const st = await this.runtime.state(c.id).catch(() => null);
      if (st && (st.status === 'running' || st.status === 'paused')) {
        c.state.Paused = st.status === 'paused';
        this.store.save(c);
        continue;
      }
      const code = await this.runtime.exitCode(c.id).catch(() => null);
      await this.handleExit(c.id, code ?? 255, new Date());
    }
    // Dirs of containers whose removal was answered but whose clean-up a crash cut short.
    const dirs = [this.paths.containersDir, this.paths.bundlesDir];
    const gone = new Set<string>();
    for (const dir of dirs) {
      for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
        if (/^[0-9a-f]{64}$/.test(name) && !this.store.find(name)) gone.add(name);
      }
    }
    for (const id of gone) await this.removeFiles(id, null);
  }
}
