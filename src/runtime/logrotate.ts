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
 * So the daemon rotates: when `<log>` reaches max-size it renames it aside, asks conmon to reopen
 * and waits until the new `<log>` appears (conmon has closed the old file by then), then files the
 * old one as log.1, shifting log.1 -> log.2 ... and dropping what passes max-file. No line is lost
 * in the hand-over. The check runs on inotify events for the log's directory (throttled), so a
 * burst can push the live file past max-size before the check runs; such a file is cut at record
 * boundaries into max-size pieces while it is filed, so the files on disk end up as json-file's
 * would: at most max-file files of about max-size each. While berthd is down nothing rotates; the
 * rotation resumes when berthd starts again (RuncConmonRuntime.init).
 */
export interface RotationTarget { id: string; logPath: string; ctlPath: string; maxSize: number; maxFiles: number }

export class LogRotator {
  private targets = new Map<string, { t: RotationTarget; watcher: fs.FSWatcher | null; busy: boolean; again: boolean; timer: NodeJS.Timeout | null }>();
  /** Rotations under way, by container: a reader must not list the files in the middle of one. */
  private running = new Map<string, Promise<unknown>>();

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

  /**
   * The container exited: no rotation starts any more, and one under way is let finish
   * (its live file is renamed aside until it is filed as log.1). Null when none is under
   * way, so the caller can go on at once.
   */
  finish(id: string): Promise<void> | null {
    this.remove(id);
    const r = this.running.get(id);
    return r ? r.then(() => undefined, () => undefined) : null;
  }

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
      if (size < e.t.maxSize || this.targets.get(id) !== e) return false; // finished meanwhile: the container exited
      const r = rotate(e.t);
      this.running.set(id, r);
      try {
        if (!(await r)) this.remove(id); // conmon is gone: nothing writes this log any more
      } finally {
        if (this.running.get(id) === r) this.running.delete(id);
      }
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Hands the live file over to conmon's reopen, then files it (split if oversized) as log.1.
 * Returns false when conmon did not answer (it is gone).
 */
export async function rotate(t: RotationTarget): Promise<boolean> {
  const aside = `${t.logPath}.rotating`;
  await fs.promises.rename(t.logPath, aside);
  const alive = await writeCtl(t.ctlPath, '2 0 0\n');
  if (alive) {
    for (let i = 0; i < 200 && !fs.existsSync(t.logPath); i++) await sleep(5);
  }
  await fileRotated(t, aside);
  return alive;
}

async function fileRotated(t: RotationTarget, aside: string): Promise<void> {
  if (t.maxFiles <= 1) { await fs.promises.rm(aside, { force: true }); return; }
  const pieces = await splitRecords(aside, t.maxSize);
  const keep = pieces.slice(-(t.maxFiles - 1));
  await shiftRotated(t.logPath, t.maxFiles, keep.length);
  if (pieces.length === 1) {
    await fs.promises.rename(aside, `${t.logPath}.1`);
    return;
  }
  for (let i = 0; i < keep.length; i++) {
    const target = `${t.logPath}.${keep.length - i}`;
    await fs.promises.writeFile(`${target}.tmp`, keep[i], { mode: 0o600 });
    await fs.promises.rename(`${target}.tmp`, target);
  }
  await fs.promises.rm(aside, { force: true });
}

/** The file cut at line boundaries into pieces of at most maxSize bytes (a longer line stays whole). */
export async function splitRecords(file: string, maxSize: number): Promise<Buffer[]> {
  const st = await fs.promises.stat(file);
  if (st.size <= maxSize) return [Buffer.alloc(0)]; // one piece: filed by rename, not rewritten
  const data = await fs.promises.readFile(file);
  const pieces: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(start + maxSize, data.length);
    if (end < data.length) {
      const nl = data.lastIndexOf(0x0a, end - 1);
      end = nl >= start ? nl + 1 : data.indexOf(0x0a, end) + 1 || data.length;
    }
    pieces.push(data.subarray(start, end));
    start = end;
  }
  return pieces;
}

/** log.i -> log.(i+by) for the files that still fit under max-file; the rest are removed. */
export async function shiftRotated(logPath: string, maxFiles: number, by: number): Promise<void> {
  for (let i = maxFiles - 1; i >= 1; i--) {
    const from = `${logPath}.${i}`;
    const to = i + by <= maxFiles - 1 ? `${logPath}.${i + by}` : null;
    const op = to ? fs.promises.rename(from, to) : fs.promises.rm(from, { force: true });
    await op.catch((err: NodeJS.ErrnoException) => { if (err.code !== 'ENOENT') throw err; });
  }
}
