import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { HealthConfig } from '../api/types';
import { buildExecProcess } from '../runtime/spec';
import { newId } from '../util/ids';
import type { ContainerHooks } from './hooks';
import { type ContainerRecord, nowRfc3339Nano } from './record';
import type { ContainerService } from './service';

/**
 * Healthchecks as dockerd runs them: the probe (Healthcheck.Test, CMD or CMD-SHELL) is exec'd
 * in the container every Interval (StartInterval during the start period); exit 0 is healthy,
 * anything else a failure; Retries failures in a row make it unhealthy, except that failures in
 * StartPeriod do not count. State.Health keeps Status, FailingStreak and the last 5 results;
 * every change of status is a `health_status: <status>` event.
 */
export interface HealthLogEntry { Start: string; End: string; ExitCode: number; Output: string }
export interface HealthState { Status: 'starting' | 'healthy' | 'unhealthy'; FailingStreak: number; Log: HealthLogEntry[] }

const NS = 1_000_000;
const DEFAULT_INTERVAL = 30_000;
const DEFAULT_TIMEOUT = 30_000;
const DEFAULT_START_INTERVAL = 5_000;
const DEFAULT_RETRIES = 3;
const MAX_LOG = 5;
const MAX_OUTPUT = 4096;

/** The probe argv, or null when there is no healthcheck (none set, or Test ["NONE"]). */
export function probeCommand(h: HealthConfig | undefined, shell: string[] = ['/bin/sh', '-c']): string[] | null {
  const test = h?.Test ?? [];
  if (!test.length || test[0] === 'NONE') return null;
  if (test[0] === 'CMD') return test.length > 1 ? test.slice(1) : null;
  if (test[0] === 'CMD-SHELL') return [...shell, test.slice(1).join(' ')];
  return null;
}

type StateWithHealth = ContainerRecord['state'] & { Health?: HealthState };
export const healthOf = (c: ContainerRecord): HealthState | undefined => (c.state as StateWithHealth).Health;

interface Monitor { timer: NodeJS.Timeout | null; stopped: boolean; startedAt: number }

export class HealthMonitor implements ContainerHooks {
  private monitors = new Map<string, Monitor>();

  constructor(private readonly svc: ContainerService) {}

  async started(c: ContainerRecord): Promise<void> {
    this.stop(c.id);
    const cmd = probeCommand(c.config.Healthcheck, c.config.Shell?.length ? c.config.Shell : undefined);
    if (!cmd) return;
    (c.state as StateWithHealth).Health = { Status: 'starting', FailingStreak: 0, Log: [] };
    this.svc.store.save(c);
    const m: Monitor = { timer: null, stopped: false, startedAt: Date.now() };
    this.monitors.set(c.id, m);
    this.next(c, m, cmd);
  }

  async stopped(c: ContainerRecord): Promise<void> { this.stop(c.id); }
  async removing(c: ContainerRecord): Promise<void> { this.stop(c.id); }

  /** After a daemon restart: running containers with a healthcheck are watched again. */
  restore(): void {
    for (const c of this.svc.store.all()) {
      if (c.state.Running && !c.state.Restarting && probeCommand(c.config.Healthcheck)) void this.started(c);
    }
  }

  close(): void { for (const id of [...this.monitors.keys()]) this.stop(id); }

  private stop(id: string): void {
    const m = this.monitors.get(id);
    if (!m) return;
    m.stopped = true;
    if (m.timer) clearTimeout(m.timer);
    this.monitors.delete(id);
  }

  private next(c: ContainerRecord, m: Monitor, cmd: string[]): void {
    const h = c.config.Healthcheck ?? {};
    const inStart = h.StartPeriod && Date.now() - m.startedAt < h.StartPeriod / NS && healthOf(c)?.Status === 'starting';
    const delay = inStart ? (h.StartInterval ? h.StartInterval / NS : DEFAULT_START_INTERVAL) : (h.Interval ? h.Interval / NS : DEFAULT_INTERVAL);
    m.timer = setTimeout(() => {
      m.timer = null;
      void this.probe(c, m, cmd).finally(() => { if (!m.stopped) this.next(c, m, cmd); });
    }, delay);
    m.timer.unref();
  }

  private async probe(c: ContainerRecord, m: Monitor, cmd: string[]): Promise<void> {
    if (!c.state.Running || c.state.Paused || c.state.Restarting) return;
    const h = c.config.Healthcheck ?? {};
    const timeoutMs = h.Timeout ? h.Timeout / NS : DEFAULT_TIMEOUT;
    const start = nowRfc3339Nano();
    const result = await this.run(c, cmd, timeoutMs).catch((e: Error) => ({ exitCode: -1, output: e.message }));
    if (m.stopped) return;
    const health = healthOf(c);
    if (!health) return;
    health.Log.push({ Start: start, End: nowRfc3339Nano(), ExitCode: result.exitCode, Output: result.output.slice(0, MAX_OUTPUT) });
    if (health.Log.length > MAX_LOG) health.Log.splice(0, health.Log.length - MAX_LOG);
    const old = health.Status;
    if (result.exitCode === 0) {
      health.FailingStreak = 0;
      health.Status = 'healthy';
    } else {
      const inStartPeriod = !!h.StartPeriod && Date.now() - m.startedAt < h.StartPeriod / NS && old === 'starting';
      if (!inStartPeriod) {
        health.FailingStreak += 1;
        if (health.FailingStreak >= (h.Retries || DEFAULT_RETRIES) && old !== 'unhealthy') health.Status = 'unhealthy';
      }
    }
    this.svc.store.save(c);
    if (health.Status !== old) this.svc.emit(c, `health_status: ${health.Status}`);
  }

  /** Execs the probe with the container's own process settings and collects its output. */
  private async run(c: ContainerRecord, cmd: string[], timeoutMs: number): Promise<{ exitCode: number; output: string }> {
    const bundle = this.svc.bundleDir(c.id);
    const spec = JSON.parse(await fs.readFile(path.join(bundle, 'config.json'), 'utf8'));
    const p = spec.process ?? {};
    const proc = buildExecProcess({
      args: cmd, env: p.env ?? [], cwd: p.cwd, terminal: false, containerSpec: spec,
      user: { uid: p.user?.uid ?? 0, gid: p.user?.gid ?? 0, additionalGids: p.user?.additionalGids },
    });
    const execId = newId();
    const execDir = path.join(bundle, `h-${execId.slice(0, 8)}`);
    await fs.mkdir(execDir, { recursive: true, mode: 0o700 });
    const label = cmd.join(' ');
    this.svc.emit(c, `exec_create: ${label}`, { execID: execId });
    try {
      const handle = await this.svc.runtime.exec(c.id, bundle, {
        execId, process: proc, tty: false, execDir, attachStdin: false, attachStdout: true, attachStderr: true,
      });
      this.svc.emit(c, `exec_start: ${label}`, { execID: execId });
      const chunks: Buffer[] = [];
      let size = 0;
      const done = new Promise<void>((resolve) => {
        if (!handle.attach) { resolve(); return; }
        handle.attach.onData((_s, d) => { if (size < MAX_OUTPUT) { chunks.push(d); size += d.length; } });
        handle.attach.onEnd(resolve);
      });
      let timedOut = false;
      const timer = setTimeout(() => { timedOut = true; if (handle.pid) try { process.kill(handle.pid, 'SIGKILL'); } catch { /* gone */ } }, timeoutMs);
      const code = await handle.wait();
      clearTimeout(timer);
      await Promise.race([done, new Promise((r) => setTimeout(r, 200))]);
      this.svc.emit(c, 'exec_die', { execID: execId, exitCode: String(code) });
      if (timedOut) return { exitCode: -1, output: `Health check exceeded timeout (${formatDuration(timeoutMs)})` };
      return { exitCode: code, output: Buffer.concat(chunks).toString('utf8') };
    } finally {
      await fs.rm(execDir, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

/** Go's time.Duration String() for whole milliseconds: 30s, 1.5s, 500ms. */
function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return `${ms / 1000}s`;
}
