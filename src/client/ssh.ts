/**
 * `ssh://[user@]host[:port]` daemons, the way docker's connhelper reaches them: each
 * connection runs the system's `ssh` with `berth system dial-stdio` on the far side, which
 * copies its stdin/stdout to the remote daemon's socket. The ssh process's stdio is the
 * connection; an agent keeps one alive between requests so a command costs one ssh login.
 *
 * Extra ssh arguments (an identity file, a known_hosts file, `-F config`) come from
 * BERTH_SSH_OPTS, split on white space; the remote command from BERTH_SSH_REMOTE_COMMAND
 * (default `berth system dial-stdio`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import { Duplex } from 'node:stream';

export interface SshTarget {
  user?: string;
  host: string;
  port?: number;
  url: string;
}

export function parseSshUrl(url: string): SshTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`invalid host: ${url}: invalid ssh URL`);
  }
  if (u.protocol !== 'ssh:') throw new Error(`invalid host: ${url}: not an ssh:// URL`);
  if (!u.hostname) throw new Error(`invalid host: ${url}: no host specified`);
  if (u.password) throw new Error(`invalid host: ${url}: plain-text password is not supported`);
  if (u.pathname && u.pathname !== '/') throw new Error(`invalid host: ${url}: extra path after the host: "${u.pathname}"`);
  if (u.search) throw new Error(`invalid host: ${url}: extra query after the host: "${u.search}"`);
  const port = u.port ? Number(u.port) : undefined;
  return { user: u.username ? decodeURIComponent(u.username) : undefined, host: u.hostname.replace(/^\[|\]$/g, ''), port, url };
}

/** Arguments for ssh(1), as docker's connhelper builds them, plus BERTH_SSH_OPTS. */
export function sshArgs(t: SshTarget, env: NodeJS.ProcessEnv = process.env): string[] {
  const args = ['-o', 'ConnectTimeout=30', '-T'];
  if (t.user) args.push('-l', t.user);
  if (t.port) args.push('-p', String(t.port));
  const extra = (env.BERTH_SSH_OPTS ?? '').split(/\s+/).filter(Boolean);
  const remote = (env.BERTH_SSH_REMOTE_COMMAND || 'berth system dial-stdio').split(/\s+/).filter(Boolean);
  return [...args, ...extra, '--', t.host, ...remote];
}

/**
 * A child ssh process seen as a socket: enough of net.Socket's surface for node's http
 * client and Agent (keep-alive, ref/unref, destroySoon).
 */
export class SshSocket extends Duplex {
  readonly child: ChildProcess;
  private stderr = '';
  timeout = 0;

  constructor(t: SshTarget, env: NodeJS.ProcessEnv = process.env) {
    super({ allowHalfOpen: true });
    const args = sshArgs(t, env);
    this.child = spawn('ssh', args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    const { stdin, stdout, stderr } = this.child;
    stdout!.on('data', (c: Buffer) => { if (!this.push(c)) stdout!.pause(); });
    stdout!.on('end', () => this.push(null));
    stderr!.on('data', (c: Buffer) => { this.stderr = (this.stderr + c.toString()).slice(-4000); });
    stdin!.on('error', () => undefined); // ssh gone: reported through 'exit'
    this.child.on('error', (e) => this.destroy(new Error(`ssh: ${e.message}`)));
    // ssh is gone (the remote dial-stdio ended when the daemon closed the connection):
    // this connection is dead, including for an idle keep-alive socket in the agent's pool.
    this.child.on('close', () => {
      if (this.destroyed) return;
      if (this.readableLength === 0 || this.readableEnded) this.destroy();
      else this.once('end', () => this.destroy());
    });
    this.child.on('exit', (code, signal) => {
      if (code !== 0 && !this.destroyed && signal !== 'SIGTERM') {
        this.destroy(Object.assign(new Error(
          `error during connect: command [ssh ${args.join(' ')}] has exited with ${code !== null ? `exit status ${code}` : `signal ${signal}`}, ` +
          `make sure the URL is valid, and Berth is installed on the remote host: stderr=${this.stderr.trim()}`), { code: 'ESSHEXIT' }));
      }
    });
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.child.stdin!.write(chunk, cb);
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin!.end(cb);
  }

  override _destroy(err: Error | null, cb: (e: Error | null) => void): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    cb(err);
  }

  // net.Socket's surface that http's client and Agent call.
  setKeepAlive(): this { return this; }
  setNoDelay(): this { return this; }
  setTimeout(ms: number, cb?: () => void): this {
    this.timeout = ms;
    if (cb) this.once('timeout', cb);
    return this;
  }
  ref(): this {
    this.child.ref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { ref?: () => void } | null)?.ref?.();
    return this;
  }
  unref(): this {
    this.child.unref();
    for (const s of [this.child.stdin, this.child.stdout, this.child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
    return this;
  }
  destroySoon(): void {
    this.end(() => this.destroy());
  }
}

/** An http.Agent whose connections are ssh processes; idle ones are kept for the next request. */
export function sshAgent(t: SshTarget, env: NodeJS.ProcessEnv = process.env): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  Object.assign(agent, { createConnection: () => new SshSocket(t, env) });
  return agent;
}
