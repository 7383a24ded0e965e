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

// Log lines come in runs with the same second: remember the last one parsed.
let lastSecond = { key: '', ms: 0 };

/** Parses conmon's timestamp ("2026-11-29T03:40:00.123456789+00:00"). */
export function parseLogTime(ts: string): LogTime | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)$/.exec(ts);
  if (!m) return null;
  const key = m[1] + m[3];
  let ms: number;
  if (key === lastSecond.key) {
    ms = lastSecond.ms;
  } else {
    const zone = m[3] === 'Z' ? 'Z' : m[3].length === 5 ? `${m[3].slice(0, 3)}:${m[3].slice(3)}` : m[3];
    ms = Date.parse(`${m[1]}${zone}`);
    if (Number.isNaN(ms)) return null;
    lastSecond = { key, ms };
  }
  const frac = (m[2] ?? '').padEnd(9, '0');
  return timeFromNanos(BigInt(ms) * 1_000_000n + BigInt(frac));
}

let lastIso = { sec: -1n, prefix: '' };

export function timeFromNanos(unixNano: bigint): LogTime {
  const sec = unixNano / 1_000_000_000n;
  if (sec !== lastIso.sec) lastIso = { sec, prefix: new Date(Number(sec) * 1000).toISOString().slice(0, 19) };
  const nanos = (unixNano % 1_000_000_000n).toString().padStart(9, '0');
  const date = new Date(Number(unixNano / 1_000_000n));
  return { unixNano, rfc3339: `${lastIso.prefix}.${nanos}Z`, date };
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
  constructor(readonly fd: number, private pos = 0) {}
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
  // With a tail, start just after the (N+1)-th complete line from the end instead of reading
  // everything; a ring of N entries then makes the count exact (partial lines, interleaving).
  const start = tail === 'all' ? { index: 0, offset: 0 } : tailStart(paths, tail + 1);
  const ring: LogEntry[] = [];
  let live: { path: string; reader: LineReader; ino: number } | null = null;
  let handedOff = false;
  try {
    for (let i = start.index; i < paths.length; i++) {
      const fd = openOrNull(paths[i]);
      if (fd === null) continue;
      const reader = new LineReader(fd, i === start.index ? start.offset : 0);
      // The live file stays open for follow: `live` owns it from here on.
      if (i === paths.length - 1 && opts.follow) live = { path: paths[i], reader, ino: fs.fstatSync(fd).ino };
      try {
        for (const line of reader.read()) {
          const r = parseLogLine(line);
          const e = r && joiner.push(r);
          if (!e) continue;
          if (tail === 'all') { if (pass(e)) yield e; continue; }
          ring.push(e);
          if (ring.length > tail) ring.shift();
        }
      } finally {
        if (live?.reader !== reader) fs.closeSync(fd);
      }
      if (opts.signal?.aborted) return;
    }
    if (!opts.follow) {
      for (const e of joiner.flush()) {
        if (tail === 'all') { if (pass(e)) yield e; continue; }
        ring.push(e);
        if (ring.length > tail) ring.shift();
      }
    }
    for (const e of ring) if (pass(e)) yield e;
    if (!opts.follow || opts.signal?.aborted) return;
    handedOff = true;
  } finally {
    if (live && !handedOff) fs.closeSync(live.reader.fd);
  }
  yield* follow(paths[paths.length - 1], live, joiner, pass, opts, untilNs);
}

/** Stream and tag of a k8s-file line, cheaply. */
function recordKind(line: Buffer): { stream: number; full: boolean } | null {
  const s1 = line.indexOf(0x20);
  const s2 = s1 < 0 ? -1 : line.indexOf(0x20, s1 + 1);
  if (s2 < 0) return null;
  return { stream: line[s1 + 4], full: line[s2 + 1] === 0x46 }; // 'o' of stdout / 'e' of stderr
}

const PENDING_SCAN_LIMIT = 1 << 20;

/**
 * Where to start reading so that the last `need` - 1 complete records (and the partial
 * fragments that lead into them) follow, scanning the files backwards in chunks instead of
 * reading them whole. Fragments of a line still open at the boundary (a "P" record of one
 * stream with no "F" of that stream after it before the boundary) are included by scanning
 * on until both streams are seen complete, within 1 MiB and the same file.
 */
export function tailStart(paths: readonly string[], need: number): { index: number; offset: number } {
  for (let i = paths.length - 1; i >= 0; i--) {
    const fd = openOrNull(paths[i]);
    if (fd === null) continue;
    try {
      let boundary = -1;
      let earliestPending = -1;
      const closed = new Set<number>();
      for (const { line, start, end } of linesBackward(fd)) {
        const k = recordKind(line);
        if (!k) continue;
        if (boundary < 0) {
          if (k.full && --need === 0) { boundary = end; closed.add(k.stream); }
          continue;
        }
        if (k.full) {
          closed.add(k.stream);
          if (closed.size >= 2) return { index: i, offset: earliestPending >= 0 ? Math.min(end, earliestPending) : end };
        } else if (!closed.has(k.stream)) {
          earliestPending = start; // a fragment of a line that completes after the boundary
        }
        if (boundary - start > PENDING_SCAN_LIMIT) break;
      }
      if (boundary >= 0) return { index: i, offset: earliestPending >= 0 ? earliestPending : boundary };
    } finally {
      fs.closeSync(fd);
    }
  }
  return { index: 0, offset: 0 };
}

/** Complete lines of a file from the end backwards, with their byte range (end = after the newline). */
function* linesBackward(fd: number): Generator<{ line: Buffer; start: number; end: number }> {
  let pos = fs.fstatSync(fd).size;
  let rest: Buffer = Buffer.alloc(0); // bytes from pos on that belong to a line starting earlier
  let seenNewline = false; // bytes after the last newline are a line still being written
  while (pos > 0) {
    const len = Math.min(64 * 1024, pos);
    pos -= len;
    const chunk = Buffer.allocUnsafe(len);
    fs.readSync(fd, chunk, 0, len, pos);
    const data = Buffer.concat([chunk, rest]);
    let end: number; // index of the newline that ends the current line
    if (!seenNewline) {
      end = data.lastIndexOf(0x0a);
      if (end < 0) { rest = data; continue; }
      seenNewline = true;
    } else {
      end = data.length - 1;
    }
    let nl = end > 0 ? data.lastIndexOf(0x0a, end - 1) : -1;
    while (nl >= 0) {
      yield { line: data.subarray(nl + 1, end), start: pos + nl + 1, end: pos + end + 1 };
      end = nl;
      nl = end > 0 ? data.lastIndexOf(0x0a, end - 1) : -1;
    }
    rest = data.subarray(0, end + 1);
  }
  if (seenNewline && rest.length > 0) yield { line: rest.subarray(0, rest.length - 1), start: 0, end: rest.length };
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
