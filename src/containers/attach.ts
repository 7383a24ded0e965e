import type { Duplex } from 'node:stream';
import type { AttachStream } from '../runtime/types';
import { DetachWatcher, frame } from '../util/stdcopy';

/** One HTTP client attached to a container (or exec) through a hijacked connection. */
export interface AttachClient {
  socket: Duplex;
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  /** The container's TTY: its detach keys apply, and its output is raw bytes. */
  tty: boolean;
  /** Raw bytes even without a TTY (a WebSocket client: dockerd never multiplexes there). */
  raw?: boolean;
  detachKeys: Buffer | null;
}

/**
 * Fans one runtime attach connection out to any number of HTTP clients and feeds their
 * stdin back. A client may attach before the container starts: it waits here until `bind`
 * connects the runtime stream (start does that before `runtime.start`, so no output is lost).
 */
export class AttachHub {
  private stream: AttachStream | null = null;
  private clients = new Set<AttachClient>();
  private pendingStdin: Buffer[] = [];
  /** A client's stdin ended before the runtime stream was bound. */
  private pendingEof = false;
  private ended = false;

  constructor(private readonly opts: { stdinOnce: boolean; onDetach?: () => void }) {}

  get bound(): boolean { return this.stream !== null; }
  get hasClients(): boolean { return this.clients.size > 0; }

  bind(stream: AttachStream): void {
    this.stream = stream;
    this.ended = false;
    stream.onData((which, data) => {
      for (const c of this.clients) {
        if ((which === 1 && !c.stdout) || (which === 2 && !c.stderr)) continue;
        c.socket.write(c.tty || c.raw ? data : frame(which, data));
      }
    });
    stream.onEnd(() => this.finish());
    for (const b of this.pendingStdin) stream.write(b);
    this.pendingStdin = [];
    if (this.pendingEof) { stream.closeStdin(); this.pendingEof = false; }
  }

  /** Ends every client: the container's output is over. */
  finish(): void {
    this.ended = true;
    this.stream = null;
    for (const c of this.clients) c.socket.end();
    this.clients.clear();
  }

  add(client: AttachClient): void {
    this.clients.add(client);
    // Detach keys are a TTY's (as dockerd's copyEscapable): without one, stdin is data as it is.
    const watcher = new DetachWatcher(client.tty ? client.detachKeys : null);
    const drop = () => { this.clients.delete(client); };
    client.socket.on('close', drop);
    client.socket.on('error', drop);
    if (!client.stdin) {
      client.socket.resume();
      return;
    }
    client.socket.on('data', (chunk: Buffer) => {
      const { pass, detach } = watcher.feed(chunk);
      if (pass.length) this.writeStdin(pass);
      if (detach) {
        drop();
        client.socket.end();
        this.opts.onDetach?.();
      }
    });
    client.socket.on('end', () => {
      // The client half-closed: its stdin is over. With StdinOnce that is the container's EOF.
      if (this.opts.stdinOnce) {
        if (this.stream) this.stream.closeStdin();
        else this.pendingEof = true;
      }
      if (this.ended) client.socket.end();
    });
  }

  private writeStdin(data: Buffer): void {
    if (this.stream) this.stream.write(data);
    else this.pendingStdin.push(data);
  }

}
