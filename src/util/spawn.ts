/**
 * Child processes for the daemon, started by the spawner (util/spawner-main.ts: why) once
 * startSpawner() ran, else directly with node:child_process (the CLI, unit tests, a spawner
 * that keeps dying). Two shapes:
 *   - collect(): run to the end, input given up front, stdout and stderr collected over
 *     there: one request, one answer, no file descriptor passed;
 *   - spawnChild(): a child with streams (conmon's sync pipes, GNU tar fed a build context,
 *     a decompressor): the 'pipe' entries come back from the spawner as sockets, and the
 *     returned object offers them at once as stand-ins (stdio[i]) that connect when they do.
 * execFile() is node's execFile's callback shape over collect().
 */
import { type ChildProcess, fork, spawn as nodeSpawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import * as path from 'node:path';
import { Duplex, type DuplexOptions } from 'node:stream';
import { type RunResult, type SpawnError, type SpawnerIn, type SpawnerOut, type StdioSpec, runCollect } from './spawner-main';

export type { StdioSpec } from './spawner-main';

interface Pending {
  onMessage(m: SpawnerOut, handle?: Socket): void;
  onGone(): void;
}

let spawner: ChildProcess | null = null;
let wanted = false;
let nextId = 1;
const pending = new Map<number, Pending>();

let label: string[] = [];
let deaths: number[] = [];

/**
 * Forks the spawner (once; again on the next request if it died). `dataRoot` only names
 * the daemon it serves in `ps` (and for tools that find a daemon's processes by its root).
 */
export function startSpawner(dataRoot?: string): void {
  wanted = true;
  label = dataRoot ? ['--data-root', dataRoot] : [];
  ensure();
}

function ensure(): ChildProcess | null {
  if (!wanted) return null;
  if (spawner?.connected) return spawner;
  const s = fork(path.join(__dirname, 'spawner-main.js'), label, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    // a small young generation (it keeps nothing for long); the old-space limit only has to
    // hold the largest output a caller collects as a string (64 MiB for network scripts)
    execArgv: ['--max-semi-space-size=1', '--max-old-space-size=256'],
  });
  s.on('message', (m: SpawnerOut, handle?: Socket) => {
    const p = pending.get(m.id);
    if (p) p.onMessage(m, handle); else handle?.destroy(); // a child already given up: close its pipe
  });
  const gone = () => {
    if (spawner !== s) return;
    spawner = null;
    // A spawner that keeps dying (3 times within 10 s): children start directly from then on.
    const now = Date.now();
    deaths = [...deaths.filter((t) => now - t < 10_000), now];
    if (deaths.length >= 3 && wanted) {
      wanted = false;
      process.stderr.write('berthd: the spawner process keeps exiting; starting child processes directly\n');
    }
    for (const p of [...pending.values()]) p.onGone();
    pending.clear();
  };
  s.on('exit', gone);
  s.on('disconnect', gone);
  s.on('error', gone);
  s.unref();
  s.channel?.unref();
  spawner = s;
  return s;
}

function request(m: SpawnerIn, p: Pending): boolean {
  const s = ensure();
  if (!s) return false;
  pending.set(m.id, p);
  s.channel?.ref(); // an answer is awaited: keep the daemon's loop alive for it
  s.send(m);
  return true;
}

function settle(id: number): void {
  pending.delete(id);
  if (pending.size === 0) spawner?.channel?.unref();
}

const toError = (e: SpawnError): Error => Object.assign(new Error(e.message), { code: e.code, errno: e.errno, syscall: e.syscall, path: e.path });

export interface CollectOptions { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; maxBuffer?: number }
export type Collected = RunResult;

/** Runs cmd to its end; rejects only when it cannot run at all (ENOENT and the like). */
export function collect(cmd: string, args: string[], opts: CollectOptions = {}): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const sent = request({ t: 'run', id, cmd, args, ...opts }, {
      onMessage: (m) => {
        settle(id);
        if (m.t === 'done') resolve({ code: m.code, signal: m.signal, stdout: m.stdout, stderr: m.stderr, killed: m.killed, overflow: m.overflow });
        else if (m.t === 'error') reject(toError(m.error));
      },
      onGone: () => reject(new Error(`${cmd}: the spawner process exited`)),
    });
    if (!sent) runCollect({ cmd, args, ...opts }).then(resolve, reject);
  });
}

export type ExecFileCallback = (err: (Error & { code?: number | string; killed?: boolean; signal?: NodeJS.Signals | null }) | null, stdout: string, stderr: string) => void;

/** node's execFile, callback form, through collect(): the error names the command, its exit code and stderr as node's does. */
export function execFile(cmd: string, args: string[], opts: CollectOptions, cb: ExecFileCallback): void {
  collect(cmd, args, opts).then((r) => {
    if (r.code === 0 && !r.overflow) { cb(null, r.stdout, r.stderr); return; }
    const what = r.overflow ? 'stdout maxBuffer length exceeded' : `Command failed: ${[cmd, ...args].join(' ')}\n${r.stderr}`;
    cb(Object.assign(new Error(what), { code: r.code ?? undefined, killed: r.killed, signal: r.signal }), r.stdout, r.stderr);
  }, (e: Error) => cb(e, '', ''));
}

/**
 * Runs cmd to its end and gives its stdout; rejects with its stderr (or, when it printed
 * nothing there, execFile's error: the command and its exit code).
 */
export function runChecked(cmd: string, args: string[], opts: CollectOptions = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, opts, (err, stdout, stderr) => (err ? reject(new Error(stderr.trim() || err.message)) : resolve(stdout)));
  });
}

/**
 * A stand-in for one of a spawned child's pipes until the spawner hands over the real
 * socket: what is written meanwhile waits, what the socket brings is passed on. `dir` is
 * the daemon's side: 'in' writes to the child, 'out' reads from it, 'both' does both.
 */
class Relay extends Duplex {
  private sock: Socket | null = null;
  private waiting: { chunks: Buffer[]; cb: (e?: Error | null) => void } | null = null;
  private finalCb: ((e?: Error | null) => void) | null = null;

  constructor(private readonly dir: 'in' | 'out' | 'both') {
    // a two-way pipe ends both ways once the child closed it, as node's own stdio sockets do
    // (`readable`/`writable` are node's Duplex options since v14; @types/node omits them)
    super({ allowHalfOpen: dir !== 'both', readable: dir !== 'in', writable: dir !== 'out' } as DuplexOptions);
  }

  connect(sock: Socket): void {
    if (this.destroyed) { sock.destroy(); return; }
    this.sock = sock;
    if (this.dir !== 'in') {
      sock.on('data', (c: Buffer) => { if (!this.push(c)) sock.pause(); });
      sock.on('end', () => this.push(null));
    } else {
      sock.resume(); // the child never writes here; its end closes the socket
    }
    sock.on('error', (e) => this.destroy(e));
    sock.on('close', () => { if (this.dir !== 'in' && !this.readableEnded) this.push(null); });
    const w = this.waiting;
    this.waiting = null;
    if (w) this.send(w.chunks, w.cb);
    const f = this.finalCb;
    this.finalCb = null;
    if (f) { sock.end(); f(); }
  }

  private send(chunks: Buffer[], cb: (e?: Error | null) => void): void {
    const s = this.sock!;
    for (let i = 0; i < chunks.length - 1; i++) s.write(chunks[i]);
    s.write(chunks[chunks.length - 1], (e) => cb(e ?? null));
  }

  override _read(): void { this.sock?.resume(); }

  override _writev(chunks: { chunk: Buffer }[], cb: (e?: Error | null) => void): void {
    const bufs = chunks.map((c) => c.chunk);
    if (this.sock) this.send(bufs, cb); else this.waiting = { chunks: bufs, cb };
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this._writev([{ chunk }], cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    if (this.sock) { this.sock.end(); cb(); } else this.finalCb = cb;
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    this.sock?.destroy();
    cb(err);
  }
}

/** What spawnChild() returns: the part of node's ChildProcess that the daemon uses. */
export interface Child extends EventEmitter {
  readonly pid: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  readonly stdio: (Duplex | null)[];
  readonly stdin: Duplex | null;
  readonly stdout: Duplex | null;
  readonly stderr: Duplex | null;
  kill(signal?: NodeJS.Signals): boolean;
}

class RemoteChild extends EventEmitter implements Child {
  pid: number | undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  readonly stdio: (Relay | null)[];
  private ended = false;
  private open = 0;
  private killWanted: NodeJS.Signals | null = null;
  private closed = false;

  constructor(readonly id: number, stdio: StdioSpec[]) {
    super();
    this.stdio = stdio.map((k, i) => {
      if (k !== 'pipe') return null;
      const r = new Relay(i === 0 ? 'in' : i <= 2 ? 'out' : 'both');
      this.open++;
      r.on('close', () => { this.open--; this.maybeClose(); });
      return r;
    });
  }

  get stdin(): Duplex | null { return this.stdio[0] ?? null; }
  get stdout(): Duplex | null { return this.stdio[1] ?? null; }
  get stderr(): Duplex | null { return this.stdio[2] ?? null; }

  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    if (this.ended) return false;
    if (this.pid === undefined) { this.killWanted = signal; return true; }
    try { process.kill(this.pid, signal); return true; } catch { return false; }
  }

  onMessage(m: SpawnerOut, handle?: Socket): void {
    if (m.t === 'pid') {
      this.pid = m.pid;
      this.emit('spawn');
      if (this.killWanted) this.kill(this.killWanted);
    } else if (m.t === 'fd') {
      const r = this.stdio[m.i];
      if (handle && r) r.connect(handle); else handle?.destroy();
    } else if (m.t === 'exit') {
      this.finish(m.code, m.signal);
      this.emit('exit', m.code, m.signal);
      this.maybeClose();
    } else if (m.t === 'error') {
      const err = toError(m.error);
      this.finish(typeof m.error.errno === 'number' ? m.error.errno : -1, null);
      for (const r of this.stdio) r?.destroy();
      this.emit('error', err);
      this.maybeClose();
    }
  }

  onGone(): void {
    if (this.ended) return;
    this.finish(null, null);
    for (const r of this.stdio) r?.destroy();
    this.emit('error', new Error('the spawner process exited'));
    this.maybeClose();
  }

  /** The spawner says nothing more of this child after its exit or error. */
  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    settle(this.id);
    this.ended = true;
    this.exitCode = code;
    this.signalCode = signal;
  }

  private maybeClose(): void {
    if (!this.ended || this.open > 0 || this.closed) return;
    this.closed = true;
    this.emit('close', this.exitCode, this.signalCode);
  }
}

/** A child with streams (see the top of this file); node's spawn when there is no spawner. */
export function spawnChild(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdio: StdioSpec[] }): Child {
  if (!ensure()) return nodeSpawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: opts.stdio }) as unknown as Child;
  const child = new RemoteChild(nextId++, opts.stdio);
  request({ t: 'spawn', id: child.id, cmd, args, cwd: opts.cwd, env: opts.env, stdio: opts.stdio }, {
    onMessage: (m, handle) => child.onMessage(m, handle),
    onGone: () => child.onGone(),
  });
  return child;
}
