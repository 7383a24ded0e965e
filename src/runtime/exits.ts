import * as fs from 'node:fs';
import * as path from 'node:path';

export type ExitCallback = (id: string, exitCode: number, at: Date) => void;

/**
 * Watches conmon's --exit-dir. conmon writes `<dir>/<id>` holding the exit status once the
 * container exited and its output was drained (g_file_set_contents: a temp file `<id>.XXXXXX`
 * renamed into place, so a file that exists is complete). Exits already on disk when the
 * watcher starts (they happened while berthd was down) are reported too; every exit is
 * reported once per watcher until forget(id) (called when the container's state is deleted).
 */
export class ExitWatcher {
  private subscribers: ExitCallback[] = [];
  private known = new Map<string, { code: number; at: Date }>();
  private watcher: fs.FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly dir: string, private readonly log?: (msg: string) => void) {}

  start(): void {
    if (this.watcher) return;
    fs.mkdirSync(this.dir, { recursive: true });
    this.watcher = fs.watch(this.dir, { persistent: false }, (_event, name) => {
      if (name) this.check(String(name)); else this.scan();
    });
    this.watcher.on('error', (e) => this.log?.(`exit dir watch failed: ${String(e)}`));
    // inotify cannot lose events for a directory we watch, but a rescan now and then costs
    // little and covers a watcher that died.
    this.timer = setInterval(() => this.scan(), 5000);
    this.timer.unref();
    this.scan();
  }

  stop(): void {
    this.watcher?.close();
    this.watcher = null;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  subscribe(cb: ExitCallback): void {
    this.subscribers.push(cb);
    const known = [...this.known.entries()];
    if (known.length) setImmediate(() => { for (const [id, e] of known) if (this.known.get(id) === e) cb(id, e.code, e.at); });
  }

  /** Exit code of a container from its exit file, or null. */
  read(id: string): { code: number; at: Date } | null {
    const file = path.join(this.dir, id);
    try {
      const text = fs.readFileSync(file, 'utf8').trim();
      if (!/^-?\d+$/.test(text)) return null;
      return { code: Number(text), at: fs.statSync(file).mtime };
    } catch {
      return null;
    }
  }

  forget(id: string): void {
    this.known.delete(id);
    try { fs.unlinkSync(path.join(this.dir, id)); } catch { /* not there */ }
  }

  private scan(): void {
    let names: string[];
    try { names = fs.readdirSync(this.dir); } catch { return; }
    for (const n of names) this.check(n);
  }

  private check(name: string): void {
    if (name.includes('.') || this.known.has(name)) return; // temp files of g_file_set_contents
    const e = this.read(name);
    if (!e) return;
    this.known.set(name, e);
    for (const cb of this.subscribers) {
      try { cb(name, e.code, e.at); } catch (err) { this.log?.(`exit subscriber failed: ${String(err)}`); }
    }
  }
}
