import * as fs from 'node:fs';
import * as path from 'node:path';
import { SeqpacketSocket } from 'node-unix-socket';
import { conflict, system } from '../errdefs';
import type { AttachStream } from './types';

/**
 * A client of conmon's attach socket (SOCK_SEQPACKET, conmon's conn_sock.c).
 *
 * - Every packet conmon sends starts with one byte naming the pipe (ctr_stdio.c: 2 = stdout,
 *   3 = stderr; with a TTY everything arrives as stdout), followed by up to 8192 bytes of data.
 * - Packets we send are written to the container's stdin as they are; conmon reads them with
 *   recvfrom(32767 bytes), and SEQPACKET truncates longer packets, so writes are chunked.
 * - shutdown(SHUT_WR) makes conmon's read return 0: it shuts down its reading side and, unless
 *   conmon runs with --leave-stdin-open, closes the container's stdin (EOF) while it keeps
 *   writing output to this socket (terminate_remote_sock). close() does the same to stdin:
 *   that is docker's StdinOnce; with --leave-stdin-open stdin stays open for the next client.
 * - conmon closes every client after the container exited and its output was drained.
 */

const MAX_STDIN_PACKET = 32767;
const SUN_PATH_MAX = 107;

export const STREAM_STDOUT = 2;
export const STREAM_STDERR = 3;

export class SeqpacketAttach implements AttachStream {
  private dataCbs: ((stream: 1 | 2, data: Buffer) => void)[] = [];
  private endCbs: (() => void)[] = [];
  private early: [1 | 2, Buffer][] = [];
  private ended = false;
  private writable = true;

  constructor(private readonly sock: SeqpacketSocket) {
    sock.on('data', (buf: Buffer) => {
      if (buf.length < 1) return;
      const stream = buf[0] === STREAM_STDERR ? 2 : buf[0] === STREAM_STDOUT ? 1 : 0;
      if (stream === 0) return; // no other types are sent by conmon 2.1.x
      const data = Buffer.from(buf.subarray(1));
      if (this.dataCbs.length === 0) { this.early.push([stream, data]); return; }
      for (const cb of this.dataCbs) cb(stream, data);
    });
    const end = () => {
      if (this.ended) return;
      this.ended = true;
      this.writable = false;
      // node-unix-socket frees the fd only once both directions are shut: do it here.
      try { sock.destroy(); } catch { /* already gone */ }
      // Deliver buffered output first, even to a late subscriber.
      setImmediate(() => { for (const cb of this.endCbs.splice(0)) cb(); });
    };
    sock.on('end', end);
    sock.on('close', end);
    sock.on('error', end);
  }

  onData(cb: (stream: 1 | 2, data: Buffer) => void): void {
    this.dataCbs.push(cb);
    if (this.early.length) {
      const early = this.early.splice(0);
      for (const [s, d] of early) cb(s, d);
    }
  }

  onEnd(cb: () => void): void {
    if (this.ended && this.endCbs.length === 0) { setImmediate(cb); return; }
    this.endCbs.push(cb);
  }

  write(data: Buffer): void {
    if (!this.writable) return;
    for (let off = 0; off < data.length; off += MAX_STDIN_PACKET) {
      const chunk = data.subarray(off, Math.min(off + MAX_STDIN_PACKET, data.length));
      try { this.sock.write(Buffer.from(chunk)); } catch { this.writable = false; return; }
    }
  }

  closeStdin(): void {
    if (!this.writable) return;
    this.writable = false;
    try { this.sock.end(); } catch { /* already gone */ }
  }

  close(): void {
    this.writable = false;
    try { this.sock.destroy(); } catch { /* already gone */ }
  }
}

/**
 * Connects to `<dir>/attach`. Paths longer than sun_path go through /proc/self/fd/N of the
 * opened directory, so the bundle may live anywhere.
 */
export async function connectAttach(dir: string, notRunningMsg: string): Promise<SeqpacketAttach> {
  const direct = path.join(dir, 'attach');
  let dirFd: number | null = null;
  let target = direct;
  if (direct.length > SUN_PATH_MAX) {
    try { dirFd = fs.openSync(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY); } catch { throw conflict(notRunningMsg); }
    target = `/proc/self/fd/${dirFd}/attach`;
  }
  const sock = new SeqpacketSocket();
  try {
    await new Promise<void>((resolve, reject) => {
      const onErr = (e: Error) => reject(e);
      sock.once('error', onErr);
      try {
        sock.connect(target, () => { sock.off('error', onErr); resolve(); });
      } catch (e) { reject(e); }
    });
  } catch (e) {
    try { sock.destroy(); } catch { /* ignore */ }
    const msg = String((e as Error)?.message ?? e);
    if (/ENOENT|ECONNREFUSED|No such file|Connection refused/i.test(msg)) throw conflict(notRunningMsg);
    throw system(`attach to ${dir}: ${msg}`, e);
  } finally {
    if (dirFd !== null) fs.closeSync(dirFd);
  }
  return new SeqpacketAttach(sock);
}
