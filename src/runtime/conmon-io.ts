import * as fs from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { type Child, type StdioSpec, spawnChild } from '../util/spawn';

/**
 * Process plumbing for conmon: the pipes it reads from the environment (conmon's
 * parent_pipe_fd.c), and its control FIFO (ctrl.c).
 *
 * - _OCI_SYNCPIPE: conmon writes JSON lines `{"data": N}` or `{"data": N, "message": "..."}`
 *   (api-version 1). After `runc create`/`runc exec` N is the container/exec pid, or negative
 *   with runc's stderr in "message" when it failed. For --exec a second line carries the exit
 *   status. conmon's first process double-forks and exits at once, so this pipe (not the exit
 *   of the process we spawned) is what says "created".
 * - _OCI_STARTPIPE: conmon blocks reading it once before forking; with --exec-attach the runtime
 *   child reads it a second time before running `runc exec`, so output cannot be lost.
 * - _OCI_ATTACHPIPE (--exec-attach only): conmon writes one line once the attach socket listens.
 */

export interface SyncMessage { data: number; message?: string }

/** Reads conmon's JSON lines from a pipe, one at a time. */
export class SyncReader {
  private buf = '';
  private queue: SyncMessage[] = [];
  private waiters: { resolve: (m: SyncMessage | null) => void }[] = [];
  private ended = false;

  constructor(private readonly stream: Readable) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      this.buf += chunk;
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        const line = this.buf.slice(0, nl).trim();
        this.buf = this.buf.slice(nl + 1);
        if (!line) continue;
        try {
          const obj = JSON.parse(line) as Record<string, unknown>;
          const data = Number(obj.data ?? obj.pid ?? obj.exit_code);
          this.deliver({ data, message: typeof obj.message === 'string' ? obj.message : undefined });
        } catch {
          this.deliver({ data: -1, message: `malformed message from conmon: ${line}` });
        }
      }
    });
    const end = () => { this.ended = true; for (const w of this.waiters.splice(0)) w.resolve(null); };
    stream.on('end', end);
    stream.on('close', end);
    stream.on('error', end);
  }

  private deliver(m: SyncMessage) {
    const w = this.waiters.shift();
    if (w) w.resolve(m); else this.queue.push(m);
  }

  /** The next message, or null when conmon closed the pipe without one. */
  next(): Promise<SyncMessage | null> {
    const m = this.queue.shift();
    if (m) return Promise.resolve(m);
    if (this.ended) return Promise.resolve(null);
    return new Promise((resolve) => this.waiters.push({ resolve }));
  }

  close(): void { this.stream.destroy(); }
}

export interface ConmonProcess {
  child: Child;
  sync: SyncReader;
  start: Writable | null;
  attach: SyncReader | null;
  /** conmon's own stderr before it detaches (argument errors and the like). */
  stderr: () => string;
  /** Resolves when the first conmon process exited (it forks and exits at once). */
  exited: Promise<number | null>;
}

export function spawnConmon(conmonPath: string, args: string[], opts: { cwd: string; startPipe: boolean; attachPipe: boolean }): ConmonProcess {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', _OCI_SYNCPIPE: '3' };
  const stdio: StdioSpec[] = ['ignore', 'ignore', 'pipe', 'pipe'];
  if (opts.startPipe) { env._OCI_STARTPIPE = String(stdio.length); stdio.push('pipe'); }
  if (opts.attachPipe) { env._OCI_ATTACHPIPE = String(stdio.length); stdio.push('pipe'); }
  const child = spawnChild(conmonPath, args, { cwd: opts.cwd, env, stdio });
  let err = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (d: string) => { if (err.length < 8192) err += d; });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => resolve(code));
    child.on('error', (e) => { err += String(e); resolve(null); });
  });
  let i = 4;
  const start = opts.startPipe ? (child.stdio[i++] as Writable) : null;
  const attach = opts.attachPipe ? new SyncReader(child.stdio[i++] as Readable) : null;
  return { child, sync: new SyncReader(child.stdio[3] as Readable), start, attach, stderr: () => err.trim(), exited };
}

/** Writes one message to conmon's `ctl` FIFO: "1 H W\n" resizes the tty, "2 0 0\n" reopens the log. */
export async function writeCtl(ctlPath: string, message: string): Promise<boolean> {
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(ctlPath, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENXIO' || code === 'ENOENT') return false; // conmon is gone
    throw e;
  }
  try {
    await fh.write(message); // shorter than PIPE_BUF: one atomic write
    return true;
  } finally {
    await fh.close();
  }
}

/** pid from a pidfile if that process is alive and is `comm`; null otherwise. */
export function livePid(pidFile: string, comm?: string): number | null {
  let pid: number;
  try { pid = Number(fs.readFileSync(pidFile, 'utf8').trim()); } catch { return null; }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  try {
    const c = fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    if (comm && c !== comm) return null;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (/\) Z /.test(stat)) return null; // zombie
  } catch { return null; }
  return pid;
}
