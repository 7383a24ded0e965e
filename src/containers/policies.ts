import type { ContainerRecord } from './record';
import { parseTime } from './record';
import type { ContainerService } from './service';
import type { ContainerHooks } from './hooks';

/**
 * Restart policies (no, always, on-failure[:N], unless-stopped) with dockerd's restart
 * manager rules: the delay starts at 100 ms and doubles on every restart up to one minute,
 * and goes back to 100 ms once the container ran for 10 s; on-failure counts restarts against
 * MaximumRetryCount; a manual stop (docker stop/kill) never restarts. While it waits the
 * container is "restarting" (Running and Restarting set, as in dockerd), so the state survives
 * a daemon restart and restore() picks it up.
 */
export const RESTART_INITIAL_MS = 100;
export const RESTART_MAX_MS = 60_000;
const RESET_AFTER_MS = 10_000;

export interface RestartDecision { restart: boolean; delayMs: number }

/** dockerd's restartmanager.ShouldRestart, as a pure function of the previous delay. */
export function shouldRestart(opts: {
  policy: string; maxRetries: number; restartCount: number; exitCode: number; manual: boolean; ranMs: number; prevDelayMs: number;
  /** At daemon start dockerd restarts `always` containers even when they were stopped by hand. */
  daemonStart?: boolean;
}): RestartDecision {
  let delay = opts.ranMs >= RESET_AFTER_MS ? 0 : opts.prevDelayMs;
  delay = delay === 0 ? RESTART_INITIAL_MS : Math.min(delay * 2, RESTART_MAX_MS);
  let restart = false;
  if (opts.daemonStart && opts.policy === 'always') restart = true;
  else if (!opts.manual) {
    if (opts.policy === 'always' || opts.policy === 'unless-stopped') restart = true;
    else if (opts.policy === 'on-failure') restart = opts.exitCode !== 0 && (opts.maxRetries === 0 || opts.restartCount < opts.maxRetries);
  }
  return { restart, delayMs: delay };
}

export class RestartManager implements ContainerHooks {
  private delays = new Map<string, number>();
  private timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly svc: ContainerService) {}

  async stopped(c: ContainerRecord, info: { exitCode: number; manual: boolean }): Promise<void> {
    const policy = c.hostConfig.RestartPolicy?.Name || 'no';
    if (policy === 'no' || this.closed) return;
    const ranMs = Date.now() - parseTime(c.state.StartedAt);
    const d = shouldRestart({
      policy, maxRetries: c.hostConfig.RestartPolicy?.MaximumRetryCount ?? 0, restartCount: c.restartCount,
      exitCode: info.exitCode, manual: info.manual, ranMs, prevDelayMs: this.delays.get(c.id) ?? 0,
    });
    this.delays.set(c.id, d.delayMs);
    if (!d.restart) return;
    c.restartCount += 1;
    Object.assign(c.state, { Running: true, Restarting: true });
    this.svc.store.save(c);
    this.schedule(c.id, d.delayMs);
  }

  async removing(c: ContainerRecord): Promise<void> { this.cancel(c.id); this.delays.delete(c.id); }

  private schedule(id: string, ms: number): void {
    this.cancel(id);
    const t = setTimeout(() => {
      this.timers.delete(id);
      void this.svc.startByPolicy(id);
    }, ms);
    t.unref();
    this.timers.set(id, t);
  }

  private cancel(id: string): void {
    const t = this.timers.get(id);
    if (t) clearTimeout(t);
    this.timers.delete(id);
  }

  /** At daemon start: containers that were waiting to restart when the daemon went down restart now. */
  restore(): void {
    for (const c of this.svc.store.all()) {
      if (this.timers.has(c.id)) continue;
      if (c.state.Running && c.state.Restarting) { this.schedule(c.id, RESTART_INITIAL_MS); continue; }
      const policy = c.hostConfig.RestartPolicy?.Name || 'no';
      if (c.state.Running || policy === 'no' || !parseTime(c.state.StartedAt) || c.state.RemovalInProgress || c.state.Dead) continue;
      const d = shouldRestart({
        policy, maxRetries: c.hostConfig.RestartPolicy?.MaximumRetryCount ?? 0, restartCount: c.restartCount, exitCode: c.state.ExitCode,
        manual: c.hasBeenManuallyStopped, ranMs: 0, prevDelayMs: 0, daemonStart: true,
      });
      if (!d.restart) continue;
      c.hasBeenManuallyStopped = false;
      Object.assign(c.state, { Running: true, Restarting: true });
      this.svc.store.save(c);
      this.schedule(c.id, 0);
    }
  }

  /** Daemon shutdown: pending restarts are dropped (the records keep "restarting" for restore()). */
  close(): void {
    this.closed = true;
    for (const id of [...this.timers.keys()]) this.cancel(id);
  }
}
