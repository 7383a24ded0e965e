import * as fs from 'node:fs';
import { invalidParameter } from '../errdefs';

/**
 * Reader for conmon's k8s-file logs: one record per line,
 * `<RFC3339Nano with offset> <stdout|stderr> <F|P> <text>`; P marks a partial line (conmon
 * splits at its 8 KiB read buffer and at the end of a chunk without a newline), F ends one.
 * Files are read oldest first (rotated `log.N` ... `log.1`, then `log`).
 */

export interface LogTime {
  /** Nanoseconds since the epoch. */
  unixNano: bigint;
  /** RFC3339 with nine fraction digits in UTC, the way `docker logs -t` prints it. */
  rfc3339: string;
  date: Date;
}

export interface LogEntry { stream: 'stdout' | 'stderr'; time: LogTime; data: Buffer }

export interface ReadLogsOptions {
  follow?: boolean;
  /** Unix seconds (fractions allowed); entries before are skipped. 0 = no bound. */
  since?: number;
  /** Unix seconds; entries after are skipped, and follow ends once the clock passes it. 0 = no bound. */
  until?: number;
  tail?: number | 'all';
  stdout?: boolean;
  stderr?: boolean;
  signal?: AbortSignal;
  /** When following: settles when the writer is done (container exited); the reader drains and ends. */
  finished?: Promise<unknown>;
  /** Polling interval used beside fs.watch (ms). */
  pollMs?: number;
}

/** Rotated files oldest first, then the live file: what readLogs wants for `docker logs`. */
export function logFiles(logPath: string, maxFiles = 1): string[] {
  const out: string[] = [];
  for (let i = Math.max(maxFiles - 1, 0); i >= 1; i--) if (fs.existsSync(`${logPath}.${i}`)) out.push(`${logPath}.${i}`);
  out.push(logPath);
  return out;
}

/** Parses conmon's timestamp ("2026-11-29T03:40:00.123456789+00:00"). */
export function parseLogTime(ts: string): LogTime | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(ts);
  if (!m) return null;
  const ms = Date.parse(`${m[1]}${m[3] === 'Z' ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3]}`);
  if (Number.isNaN(ms)) return null;
  const frac = (m[2] ?? '').padEnd(9, '0');
  const unixNano = BigInt(ms) * 1_000_000n + BigInt(frac);
  return timeFromNanos(unixNano);
}

export function timeFromNanos(unixNano: bigint): LogTime {
  const ms = Number(unixNano / 1_000_000n);
  const date = new Date(ms);
  const nanos = (unixNano % 1_000_000_000n).toString().padStart(9, '0');
  const rfc3339 = `${date.toISOString().slice(0, 19)}.${nanos}Z`;
  return { unixNano, rfc3339, date };
}

interface Record_ { stream: 'stdout' | 'stderr'; time: LogTime; partial: boolean; text: Buffer }

/** One line of a k8s-file log (without its trailing newline); null if malformed. */
export function parseLogLine(line: Buffer): Record_ | null {
  const s1 = line.indexOf(0x20);
  if (s1 < 0) return null;
  const s2 = line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return null;
  const time = parseLogTime(line.subarray(0, s1).toString('latin1'));
  const stream = line.subarray(s1 + 1, s2).toString('latin1');
  if (!time || (stream !== 'stdout' && stream !== 'stderr')) return null;
  const tag = line[s2 + 1];
  if (tag !== 0x46 && tag !== 0x50) return null; // F or P
  // conmon always writes "<tag> " even for an empty final fragment; tolerate a missing space.
  const text = line.length > s2 + 2 ? line.subarray(s2 + 3) : Buffer.alloc(0);
  return { stream, time, partial: tag === 0x50, text };
}

/** Joins partial records into entries; full lines get their newline back. */
class Joiner {
  private pending = new Map<string, { time: LogTime; parts: Buffer[] }>();
  push(r: Record_): LogEntry | null {
    const p = this.pending.get(r.stream);
    if (r.partial) {
      if (p) p.parts.push(r.text); else this.pending.set(r.stream, { time: r.time, parts: [r.text] });
      return null;
    }
    this.pending.delete(r.stream);
    const parts = p ? [...p.parts, r.text, Buffer.from('\n')] : [r.text, Buffer.from('\n')];
    return { stream: r.stream, time: p ? p.time : r.time, data: Buffer.concat(parts) };
  }
  /** Unfinished lines at the very end (the writer stopped mid-line). */
  flush(): LogEntry[] {
    const out = [...this.pending.entries()].map(([stream, p]) => ({ stream: stream as 'stdout' | 'stderr', time: p.time, data: Buffer.concat(p.parts) }));
    this.pending.clear();
    out.sort((a, b) => (a.time.unixNano < b.time.unixNano ? -1 : 1));
    return out;
  }
}

/** Reads complete lines from an fd from the current offset, remembering a trailing fragment. */
class LineReader {
  private rest: Buffer = Buffer.alloc(0);
  private pos = 0;
  constructor(readonly fd: number) {}
  read(): Buffer[] {
    const lines: Buffer[] = [];
    const buf = Buffer.allocUnsafe(64 * 1024);
    for (;;) {
      const n = fs.readSync(this.fd, buf, 0, buf.length, this.pos);
      if (n <= 0) break;
      this.pos += n;
      let chunk = Buffer.concat([this.rest, buf.subarray(0, n)]);
      let nl: number;
      while ((nl = chunk.indexOf(0x0a)) >= 0) {
        lines.push(Buffer.from(chunk.subarray(0, nl)));
        chunk = chunk.subarray(nl + 1);
      }
      this.rest = Buffer.from(chunk);
    }
    return lines;
  }
}

function openOrNull(p: string): number | null {
  try { return fs.openSync(p, 'r'); } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Reads the log files oldest first. Docker's order of filters: tail picks the last N lines,
 * then since/until, then the stream selection.
 */
export async function* readLogs(paths: readonly string[], opts: ReadLogsOptions = {}): AsyncGenerator<LogEntry> {
  const tail = opts.tail ?? 'all';
  if (tail !== 'all' && (!Number.isInteger(tail) || tail < 0)) throw invalidParameter(`invalid tail value: ${tail}`);
  const wantStdout = opts.stdout ?? true;
  const wantStderr = opts.stderr ?? true;
  const sinceNs = opts.since ? BigInt(Math.round(opts.since * 1e9)) : null;
  const untilNs = opts.until ? BigInt(Math.round(opts.until * 1e9)) : null;
  const pass = (e: LogEntry) =>
    (sinceNs === null || e.time.unixNano >= sinceNs) && (untilNs === null || e.time.unixNano <= untilNs) &&
    (e.stream === 'stdout' ? wantStdout : wantStderr);

  const joiner = new Joiner();
  const initial: LogEntry[] = [];
  let live: { path: string; reader: LineReader; ino: number } | null = null;
  for (let i = 0; i < paths.length; i++) {
    const fd = openOrNull(paths[i]);
    if (fd === null) continue;
    const reader = new LineReader(fd);
    for (const line of reader.read()) {
      const r = parseLogLine(line);
      const e = r && joiner.push(r);
      if (!e) continue;
      initial.push(e);
      if (tail !== 'all' && initial.length > tail) initial.shift();
    }
    if (i === paths.length - 1 && opts.follow) live = { path: paths[i], reader, ino: fs.fstatSync(fd).ino };
    else fs.closeSync(fd);
  }
  if (!opts.follow) {
    for (const e of joiner.flush()) { initial.push(e); if (tail !== 'all' && initial.length > tail) initial.shift(); }
  }
  if (tail === 0) initial.length = 0;
  for (const e of initial) if (pass(e)) yield e;
  if (!opts.follow || opts.signal?.aborted) { if (live) fs.closeSync(live.reader.fd); return; }

  yield* follow(paths[paths.length - 1], live, joiner, pass, opts, untilNs);
}

async function* follow(
  path: string, live: { path: string; reader: LineReader; ino: number } | null, joiner: Joiner,
  pass: (e: LogEntry) => boolean, opts: ReadLogsOptions, untilNs: bigint | null,
): AsyncGenerator<LogEntry> {
  let finished = false;
  let wake: (() => void) | null = null;
  let dirty = false;
  const poke = () => { dirty = true; const w = wake; wake = null; w?.(); };
  opts.finished?.then(() => { finished = true; poke(); }, () => { finished = true; poke(); });
  opts.signal?.addEventListener('abort', poke, { once: true });
  let watcher: fs.FSWatcher | null = null;
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  try { watcher = fs.watch(dir, { persistent: false }, () => poke()); } catch { watcher = null; }
  const timer = setInterval(poke, opts.pollMs ?? 250);
  timer.unref();
  try {
    for (;;) {
      if (live === null) {
        const fd = openOrNull(path);
        if (fd !== null) live = { path, reader: new LineReader(fd), ino: fs.fstatSync(fd).ino };
      }
      const done = finished; // read once more after the writer finished
      dirty = false;
      if (live) {
        for (const line of live.reader.read()) {
          const r = parseLogLine(line);
          const e = r && joiner.push(r);
          if (e && pass(e)) yield e;
          if (opts.signal?.aborted) return;
        }
        // Rotated (renamed away and replaced): the old fd was drained above; continue with the new file.
        let ino: number | null = null;
        try { ino = fs.statSync(path).ino; } catch { ino = null; }
        if (ino !== null && ino !== live.ino) { fs.closeSync(live.reader.fd); live = null; continue; }
      }
      if (opts.signal?.aborted) return;
      if (done) {
        for (const e of joiner.flush()) if (pass(e)) yield e;
        return;
      }
      if (untilNs !== null && BigInt(Date.now()) * 1_000_000n > untilNs) return;
      if (!dirty) await new Promise<void>((resolve) => { wake = resolve; });
    }
  } finally {
    clearInterval(timer);
    watcher?.close();
    opts.signal?.removeEventListener('abort', poke);
    if (live) fs.closeSync(live.reader.fd);
  }
}
