import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeCtl } from './conmon-io';

/**
 * Docker's json-file max-size/max-file, on top of conmon's k8s-file log.
 *
 * What conmon 2.1.6 offers (ctr_logging.c, ctrl.c):
 * - `--log-size-max N` does not rotate: when the next write would pass N bytes, conmon opens
 *   `<log>.tmp` with O_TRUNC and renames it over `<log>`, so everything written so far is gone.
 *   Its byte counter is never reset by a reopen requested from outside, so it cannot be combined
 *   with rotation done by someone else without losing data. We do not pass it.
 * - The `ctl` FIFO accepts "2 0 0\n" (REOPEN_LOGS_EVENT; the parser wants three integers, so a
 *   bare "2\n" is rejected with "Failed to sscanf message"): conmon fsyncs, closes and reopens the
 *   log the same way (new empty file renamed into place).
 *
 * So the daemon rotates: when `<log>` reaches max-size it renames log.(n-1) -> log.n ... and
 * log -> log.1, then asks conmon to reopen. conmon keeps writing into the renamed file until it
 * reopens, so no line is lost, and each file stays a sequence of whole records. The check runs on
 * inotify events for the directory (throttled), so a file can pass max-size by what the container
 * writes between two checks (milliseconds of output). While berthd is down nothing rotates; the
 * rotation resumes when berthd starts again (RuncConmonRuntime.init).
 */
export interface RotationTarget { id: string; logPath: string; ctlPath: string; maxSize: number; maxFiles: number }

export class LogRotator {
  private targets = new Map<string, { t: RotationTarget; watcher: fs.FSWatcher | null; busy: boolean; again: boolean; timer: NodeJS.Timeout | null }>();

  constructor(private readonly log?: (msg: string) => void, private readonly throttleMs = 50) {}

  add(t: RotationTarget): void {
    if (t.maxSize <= 0) return;
    this.remove(t.id);
    const entry = { t, watcher: null as fs.FSWatcher | null, busy: false, again: false, timer: null as NodeJS.Timeout | null };
    const base = path.basename(t.logPath);
    try {
      entry.watcher = fs.watch(path.dirname(t.logPath), { persistent: false }, (_e, name) => {
        if (name === null || String(name) === base) this.schedule(t.id);
      });
      entry.watcher.on('error', () => undefined);
    } catch (e) {
      this.log?.(`log rotation for ${t.id}: cannot watch ${t.logPath}: ${String(e)}`);
    }
    this.targets.set(t.id, entry);
    this.schedule(t.id);
  }

  remove(id: string): void {
    const e = this.targets.get(id);
    if (!e) return;
    e.watcher?.close();
    if (e.timer) clearTimeout(e.timer);
    this.targets.delete(id);
  }

  stop(): void { for (const id of [...this.targets.keys()]) this.remove(id); }

  private schedule(id: string): void {
    const e = this.targets.get(id);
    if (!e || e.timer) return;
    e.timer = setTimeout(() => { e.timer = null; void this.check(id); }, this.throttleMs);
    e.timer.unref();
  }

  /** Rotates if the live file is at or past max-size. Exposed for tests. */
  async check(id: string): Promise<boolean> {
    const e = this.targets.get(id);
    if (!e) return false;
    if (e.busy) { e.again = true; return false; }
    e.busy = true;
    try {
      let size: number;
      try { size = (await fs.promises.stat(e.t.logPath)).size; } catch { return false; }
      if (size < e.t.maxSize) return false;
      await rotateFiles(e.t.logPath, e.t.maxFiles);
      const ok = await writeCtl(e.t.ctlPath, '2 0 0\n');
      if (!ok) this.remove(id); // conmon is gone: nothing writes this log any more
      return true;
    } catch (err) {
      this.log?.(`log rotation for ${id} failed: ${String(err)}`);
      return false;
    } finally {
      e.busy = false;
      if (e.again) { e.again = false; this.schedule(id); }
    }
  }
}

/** log.(n-1) -> log.n, ..., log -> log.1; with maxFiles <= 1 the live file is just dropped. */
export async function rotateFiles(logPath: string, maxFiles: number): Promise<void> {
  if (maxFiles <= 1) {
    await fs.promises.rm(logPath, { force: true });
    return;
  }
  await fs.promises.rm(`${logPath}.${maxFiles - 1}`, { force: true });
  for (let i = maxFiles - 2; i >= 1; i--) {
    await fs.promises.rename(`${logPath}.${i}`, `${logPath}.${i + 1}`).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
  }
  await fs.promises.rename(logPath, `${logPath}.1`);
}
