/**
 * The spawner: a small helper process that berthd forks once at start-up and that starts
 * every child process for it afterwards (util/spawn.ts is the daemon's side). libuv starts
 * a child with fork(): forking the daemon copies the page tables of its whole heap (1-5 ms
 * on the daemon's main thread at 50-300 MiB) and leaves every page copy-on-write, so the
 * daemon's next writes to them fault one page at a time (~0.7 ms per MiB here). Forking
 * this process instead costs little, and nothing of the daemon.
 *
 * Protocol (JSON over the IPC channel, one request id per child):
 *   in:  { t: 'spawn', id, cmd, args, cwd?, env?, stdio }  a child whose 'pipe' stdio
 *          entries are handed to the daemon as sockets (one { t: 'fd', id, i } message each,
 *          the socket as its handle), after { t: 'pid', id, pid }; then { t: 'exit', id,
 *          code, signal } or { t: 'error', id, error }.
 *        { t: 'run', id, cmd, args, cwd?, env?, input?, timeoutMs?, maxBuffer? }  a child
 *          run to its end here: { t: 'done', id, code, signal, stdout, stderr, killed,
 *          overflow } or { t: 'error', id, error }.
 * Spawned children are signalled by pid from the daemon; a run child by its timeout here.
 * The spawner ignores the terminal's signals (the daemon may still need children while it
 * shuts down) and ends when the daemon's channel closes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';

export type StdioSpec = 'pipe' | 'ignore' | 'inherit';
export interface SpawnReq { t: 'spawn'; id: number; cmd: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv; stdio: StdioSpec[] }
export interface RunReq { t: 'run'; id: number; cmd: string; args: string[]; cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number; maxBuffer?: number }
export type SpawnerIn = SpawnReq | RunReq;
export interface SpawnError { message: string; code?: string; errno?: number; syscall?: string; path?: string }
export type SpawnerOut =
  | { t: 'pid'; id: number; pid: number }
  | { t: 'fd'; id: number; i: number }
  | { t: 'exit'; id: number; code: number | null; signal: NodeJS.Signals | null }
  | { t: 'done'; id: number; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; killed: boolean; overflow: boolean }
  | { t: 'error'; id: number; error: SpawnError };

const errorOf = (e: unknown): SpawnError => {
  const x = e as NodeJS.ErrnoException & { path?: string };
  return { message: x?.message ?? String(e), code: x?.code, errno: x?.errno, syscall: x?.syscall, path: x?.path };
};

export type RunOptions = Omit<RunReq, 't' | 'id'>;
export interface RunResult { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; killed: boolean; overflow: boolean }

/**
 * Runs a command to its end: `input` on its stdin, stdout and stderr collected up to
 * `maxBuffer` each (beyond it, or after `timeoutMs`, the child gets SIGTERM). Rejects only
 * when it cannot run at all.
 */
export function runCollect(r: RunOptions): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(r.cmd, r.args, { cwd: r.cwd, env: r.env ?? process.env, stdio: [r.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    } catch (e) {
      reject(e);
      return;
    }
    const max = r.maxBuffer ?? 1 << 20;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let killed = false;
    let overflow = false;
    let failed = false;
    const kill = () => { if (child.exitCode === null && child.signalCode === null && child.kill('SIGTERM')) killed = true; };
    const keep = (into: Buffer[], c: Buffer, len: number) => { if (len > max) { overflow = true; kill(); } else into.push(c); };
    child.stdout!.on('data', (c: Buffer) => keep(out, c, outLen += c.length));
    child.stderr!.on('data', (c: Buffer) => keep(err, c, errLen += c.length));
    const timer = r.timeoutMs ? setTimeout(kill, r.timeoutMs) : undefined;
    child.on('error', (e) => { failed = true; if (timer) clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (!failed) resolve({ code, signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), killed, overflow });
    });
    if (r.input !== undefined) {
      child.stdin!.on('error', () => undefined); // a child that does not read its input: its exit status tells
      child.stdin!.end(r.input);
    }
  });
}

function main(): void {
  const send = (m: SpawnerOut, handle?: Socket) => { if (process.connected) process.send!(m, handle as never); };

  const startSpawn = (r: SpawnReq) => {
    let child: ChildProcess;
    try {
      child = spawn(r.cmd, r.args, { cwd: r.cwd, env: r.env ?? process.env, stdio: r.stdio });
    } catch (e) {
      send({ t: 'error', id: r.id, error: errorOf(e) });
      return;
    }
    // The daemon reads and writes these: this process must not read a byte of them first.
    for (const s of child.stdio) {
      const h = (s as unknown as { _handle?: { readStop?: () => void; reading?: boolean } } | null)?._handle;
      if (h?.readStop) { h.readStop(); h.reading = false; }
    }
    child.on('error', (e) => send({ t: 'error', id: r.id, error: errorOf(e) }));
    if (child.pid === undefined) return; // 'error' follows
    send({ t: 'pid', id: r.id, pid: child.pid });
    r.stdio.forEach((kind, i) => { if (kind === 'pipe' && child.stdio[i]) send({ t: 'fd', id: r.id, i }, child.stdio[i] as Socket); });
    child.on('exit', (code, signal) => send({ t: 'exit', id: r.id, code, signal }));
  };

  const startRun = (r: RunReq) => {
    runCollect(r).then(
      (res) => send({ t: 'done', id: r.id, ...res }),
      (e) => send({ t: 'error', id: r.id, error: errorOf(e) }),
    );
  };

  process.on('message', (m: SpawnerIn) => {
    if (m.t === 'spawn') startSpawn(m);
    else if (m.t === 'run') startRun(m);
  });
  process.on('disconnect', () => process.exit(0));
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGPIPE'] as const) process.on(sig, () => undefined);
}

if (require.main === module && process.send) main();
