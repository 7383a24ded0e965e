/**
 * Plumbing between the local terminal and a hijacked attach/exec connection, like the docker
 * CLI's hijackedIOStreamer: raw mode for a TTY (restored afterwards), the detach-key escape
 * proxy (default ctrl-p ctrl-q), stdin EOF passed on as a half-close, output demultiplexed
 * into stdout/stderr when there is no TTY, and terminal resizes passed to the daemon.
 */
import { spawnSync } from 'node:child_process';
import type { Duplex, Readable, Writable } from 'node:stream';
import { demuxStream } from '../client';

export const DEFAULT_DETACH_KEYS = 'ctrl-p,ctrl-q';

/** term.ToBytes: `ctrl-p,ctrl-q` -> [16, 17]; `a,b` -> [97, 98]. */
export function parseDetachKeys(keys: string): number[] {
  const out: number[] = [];
  for (const raw of keys.split(',')) {
    const k = raw.trim();
    if (k.length > 1 && !k.toLowerCase().startsWith('ctrl-')) throw new Error(`Unknown character: '${k}'`);
    if (k.toLowerCase().startsWith('ctrl-')) {
      const c = k.slice(5);
      if (c.length !== 1) throw new Error(`Unknown character: '${k}'`);
      const code = c.toLowerCase().charCodeAt(0);
      if (code >= 97 && code <= 122) out.push(code - 96);
      else {
        const special: Record<string, number> = { '@': 0, '[': 27, '\\': 28, ']': 29, '^': 30, _: 31 };
        if (!(c in special)) throw new Error(`Unknown character: '${k}'`);
        out.push(special[c]);
      }
    } else if (k.length === 1) out.push(k.charCodeAt(0));
  }
  return out;
}

/**
 * The escape proxy: passes bytes through, holding back a partial match of the detach
 * sequence; `push` returns what to forward and whether the full sequence was typed.
 */
export class EscapeProxy {
  private held: number[] = [];
  constructor(private readonly keys: number[]) {}

  push(chunk: Buffer): { forward: Buffer; detached: boolean } {
    const out: number[] = [];
    for (const byte of chunk) {
      if (!this.keys.length) {
        out.push(byte);
        continue;
      }
      if (byte === this.keys[this.held.length]) {
        this.held.push(byte);
        if (this.held.length === this.keys.length) {
          this.held = [];
          return { forward: Buffer.from(out), detached: true };
        }
        continue;
      }
      out.push(...this.held);
      this.held = [];
      if (byte === this.keys[0]) this.held.push(byte);
      else out.push(byte);
    }
    return { forward: Buffer.from(out), detached: false };
  }
}

export interface TerminalIn extends Readable {
  isTTY?: boolean;
  setRawMode?: (raw: boolean) => unknown;
}
export interface TerminalOut extends Writable {
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface StreamOptions {
  socket: Duplex;
  tty: boolean;
  /** Local stdin when the container's stdin is attached. */
  stdin?: TerminalIn;
  stdout: TerminalOut;
  stderr: Writable;
  detachKeys?: string;
}

/** Put the terminal in raw mode while `fn` runs when stdin is a TTY; restore it after. */
export function withRawTerminal(stdin: TerminalIn | undefined, on: boolean): () => void {
  if (!on || !stdin?.isTTY || !stdin.setRawMode) return () => undefined;
  stdin.setRawMode(true);
  // libuv's raw mode keeps output post-processing (ONLCR); docker's raw terminal does not,
  // so the container's own \r\n would become \r\r\n. libuv restores the saved termios on exit.
  spawnSync('stty', ['-opost'], { stdio: ['inherit', 'ignore', 'ignore'] });
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdin.setRawMode?.(false);
  };
  process.once('exit', restore);
  return restore;
}

/**
 * Run the streams until the container's output ends (or the user detaches).
 * Resolves `{ detached: true }` when the detach sequence was typed.
 */
export function streamAttached(o: StreamOptions): Promise<{ detached: boolean }> {
  const { socket } = o;
  const restore = withRawTerminal(o.stdin, o.tty);
  return new Promise((resolve, reject) => {
    let finished = false;
    const cleanup = () => {
      if (o.stdin) {
        o.stdin.off('data', onData);
        o.stdin.off('end', onEnd);
        o.stdin.pause();
      }
      restore();
    };
    const finish = (detached: boolean) => {
      if (finished) return;
      finished = true;
      cleanup();
      resolve({ detached });
    };
    const proxy = o.stdin ? new EscapeProxy(o.tty ? parseDetachKeys(o.detachKeys || DEFAULT_DETACH_KEYS) : []) : undefined;
    const onData = (chunk: Buffer | string) => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const { forward, detached } = proxy!.push(buf);
      if (forward.length && !socket.destroyed) socket.write(forward);
      if (detached) {
        socket.destroy();
        finish(true);
      }
    };
    const onEnd = () => {
      if (!socket.destroyed && socket.writable) socket.end();
    };
    if (o.stdin) {
      o.stdin.on('data', onData);
      o.stdin.on('end', onEnd);
      o.stdin.resume();
    }
    socket.on('error', (e: NodeJS.ErrnoException) => {
      if (finished) return;
      if (e.code === 'EPIPE' || e.code === 'ECONNRESET') return finish(false);
      finished = true;
      cleanup();
      reject(e);
    });
    if (o.tty) {
      socket.on('data', (c: Buffer) => o.stdout.write(c));
      socket.on('end', () => finish(false));
      socket.on('close', () => finish(false));
    } else {
      demuxStream(socket, o.stdout, o.stderr).then(() => finish(false), (e) => {
        if (finished) return;
        finished = true;
        cleanup();
        reject(e);
      });
    }
  });
}

/** Send the terminal size now and on every SIGWINCH; returns a function that stops it. */
export function monitorTtySize(out: TerminalOut, resize: (h: number, w: number) => Promise<void>, forceRedraw = false): () => void {
  if (!out.isTTY) return () => undefined;
  const send = () => {
    const h = out.rows ?? 0;
    const w = out.columns ?? 0;
    if (h && w) return resize(h, w).catch(() => undefined);
    return Promise.resolve();
  };
  if (forceRedraw && out.rows && out.columns) {
    // as docker attach does: one size off first, so that the shell redraws its prompt
    resize(out.rows + 1, out.columns + 1).catch(() => undefined).then(send);
  } else send();
  process.on('SIGWINCH', send);
  return () => process.off('SIGWINCH', send);
}

/** Forward the signals a user sends us to the container (`--sig-proxy`, no TTY). */
export function forwardSignals(kill: (sig: string) => Promise<void>): () => void {
  const sigs: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'];
  const handlers = sigs.map((s) => {
    const h = () => { kill(s).catch(() => undefined); };
    process.on(s, h);
    return [s, h] as const;
  });
  return () => handlers.forEach(([s, h]) => process.off(s, h));
}
