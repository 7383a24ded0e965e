import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Duplex } from 'node:stream';
import { buildExecProcess } from '../runtime/spec';
import type { ExecHandle } from '../runtime/types';
import { conflict, invalidParameter, notFound } from '../errdefs';
import { newId } from '../util/ids';
import { DetachWatcher, frame, parseDetachKeys } from '../util/stdcopy';
import type { ContainerService } from './service';
import { resolveUser } from './user';
import { strslice } from './validate';

export interface ExecConfig {
  AttachStdin?: boolean; AttachStdout?: boolean; AttachStderr?: boolean; Tty?: boolean; DetachKeys?: string;
  Cmd?: string[]; Env?: string[] | null; WorkingDir?: string; User?: string; Privileged?: boolean;
  ConsoleSize?: [number, number] | null;
}

interface ExecRecord {
  id: string;
  containerId: string;
  config: ExecConfig;
  running: boolean;
  started: boolean;
  exitCode: number | null;
  pid: number;
  handle?: ExecHandle;
}

const MAX_FINISHED = 500;

/** Exec instances: create, start (attached through a hijacked connection or detached), inspect, resize. */
export class ExecService {
  private execs = new Map<string, ExecRecord>();

  constructor(private readonly containers: ContainerService, private readonly execRoot: string) {}

  create(ref: string, body: unknown): { Id: string } {
    if (!body || typeof body !== 'object') throw invalidParameter('No exec command specified');
    const cfg = body as ExecConfig;
    const cmd = strslice(cfg.Cmd);
    if (!cmd?.length) throw invalidParameter('No exec command specified');
    if (cfg.Env && (!Array.isArray(cfg.Env) || cfg.Env.some((e) => typeof e !== 'string'))) throw invalidParameter('json: cannot unmarshal into Go struct field ExecOptions.Env of type []string');
    if (cfg.DetachKeys && !parseDetachKeys(cfg.DetachKeys)) throw invalidParameter(`Invalid detach keys (${cfg.DetachKeys}) provided`);
    const c = this.containers.get(ref);
    if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
    if (c.state.Paused) throw conflict(`Container ${c.id} is paused, unpause the container before exec`);
    const id = newId();
    this.execs.set(id, { id, containerId: c.id, config: { ...cfg, Cmd: cmd }, running: false, started: false, exitCode: null, pid: 0 });
    c.execIds.push(id);
    this.containers.emit(c, `exec_create: ${cmd.join(' ')}`, { execID: id });
    this.trim();
    return { Id: id };
  }

  get(id: string): ExecRecord {
    const e = this.execs.get(id);
    if (!e) throw notFound(`No such exec instance: ${id}`);
    return e;
  }

  /**
   * Starts the process. With `socket` (a hijacked connection) output is streamed to it
   * and stdin read from it; the socket ends when the process's output ends.
   */
  async start(id: string, opts: { detach: boolean; tty?: boolean }, socket?: () => Duplex): Promise<void> {
    const e = this.get(id);
    if (e.started) throw conflict(e.running ? `Error: Exec command ${id} is already running` : `Error: Exec command ${id} has already run`);
    const c = this.containers.get(e.containerId);
    if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
    e.started = true;
    const cfg = e.config;
    const tty = opts.tty ?? !!cfg.Tty;
    const attached = !opts.detach;
    // As dockerd: an attached start answers the upgrade before the process is made. A client
    // that reads the answer's headers through a buffered reader (docker-py) would otherwise
    // take output that came in the same read into that buffer, and lose it. Stdin that comes
    // early waits in the paused socket. From here on a failure goes into the stream (its
    // message as output) and the exec's exit code is 126.
    const sock = attached && socket ? socket() : undefined;
    sock?.pause();
    const execDir = path.join(this.execRoot, id.slice(0, 16));
    let handle: ExecHandle;
    try {
      const bundle = this.containers.bundleDir(c.id);
      const rootfs = await this.containers.images.mountContainerLayer(c.id);
      const containerSpec = JSON.parse(await fs.readFile(path.join(bundle, 'config.json'), 'utf8'));
      const user = resolveUser(rootfs, cfg.User || c.config.User || '', c.hostConfig.GroupAdd ?? []);
      const env = mergeEnv(containerSpec.process?.env ?? [], cfg.Env ?? []);
      if (tty && !env.some((v) => v.startsWith('TERM='))) env.push('TERM=xterm');
      const proc = buildExecProcess({
        args: cfg.Cmd ?? [], env, cwd: cfg.WorkingDir || c.config.WorkingDir || '/', user: { uid: user.uid, gid: user.gid, additionalGids: user.additionalGids },
        terminal: tty, privileged: !!cfg.Privileged, containerSpec,
        consoleSize: cfg.ConsoleSize && cfg.ConsoleSize[0] > 0 ? { height: cfg.ConsoleSize[0], width: cfg.ConsoleSize[1] } : undefined,
      });
      await fs.mkdir(execDir, { recursive: true, mode: 0o700 });
      handle = await this.containers.runtime.exec(c.id, bundle, {
        execId: id, process: proc, tty, execDir,
        attachStdin: attached && !!cfg.AttachStdin, attachStdout: attached && !!cfg.AttachStdout, attachStderr: attached && !!cfg.AttachStderr,
      });
    } catch (err) {
      e.exitCode = 126;
      await fs.rm(execDir, { recursive: true, force: true });
      if (!sock) throw err;
      const msg = Buffer.from(`${err instanceof Error ? err.message : String(err)}\r\n`);
      sock.end(tty ? msg : frame(1, msg));
      return;
    }
    e.handle = handle;
    e.running = true;
    e.pid = handle.pid;
    this.containers.emit(c, `exec_start: ${(cfg.Cmd ?? []).join(' ')}`, { execID: id });
    const exited = handle.wait().then((code) => {
      e.exitCode = code;
      e.running = false;
      this.containers.emit(c, 'exec_die', { execID: id, exitCode: String(code) });
      void fs.rm(execDir, { recursive: true, force: true }).catch(() => undefined);
    });
    let outputDone: Promise<void> = Promise.resolve();
    if (sock && !handle.attach) sock.end();
    if (sock && handle.attach) {
      const a = handle.attach;
      outputDone = new Promise<void>((resolve) => a.onEnd(resolve));
      a.onData((stream, data) => { if ((stream === 1 && cfg.AttachStdout) || (stream === 2 && cfg.AttachStderr)) sock.write(tty ? data : frame(stream, data)); });
      if (cfg.AttachStdin) {
        // detach keys only with a TTY (as dockerd): other stdin is binary data passed as it is
        const watcher = new DetachWatcher(tty ? parseDetachKeys(cfg.DetachKeys || 'ctrl-p,ctrl-q') : null);
        sock.on('data', (chunk: Buffer) => {
          const { pass, detach } = watcher.feed(chunk);
          if (pass.length) a.write(pass);
          if (detach) { a.close(); sock.end(); }
        });
        sock.on('end', () => a.closeStdin());
      }
      sock.resume();
      sock.on('error', () => a.close());
      // The client reads the exit code (GET /exec/{id}/json) as soon as the stream ends:
      // end it only once the code is recorded.
      outputDone = Promise.all([outputDone, exited]).then(() => undefined);
      void outputDone.then(() => sock.end());
    }
    if (attached) await outputDone;
  }

  async resize(id: string, height: number, width: number): Promise<void> {
    const e = this.get(id);
    if (!e.handle) throw conflict(`Exec ${id} is not running`);
    await e.handle.resize(height, width);
  }

  inspect(id: string): Record<string, unknown> {
    const e = this.get(id);
    const cmd = e.config.Cmd ?? [];
    return {
      ID: e.id, Running: e.running, ExitCode: e.exitCode, CanRemove: false, ContainerID: e.containerId,
      DetachKeys: '', OpenStdin: !!e.config.AttachStdin, OpenStderr: !!e.config.AttachStderr, OpenStdout: !!e.config.AttachStdout,
      Pid: e.pid,
      // (user is omitempty in moby's ExecProcessConfig)
      ProcessConfig: { tty: !!e.config.Tty, entrypoint: cmd[0] ?? '', arguments: cmd.slice(1), privileged: !!e.config.Privileged, ...(e.config.User ? { user: e.config.User } : {}) },
    };
  }

  /** Forgets the execs of a removed container, and the oldest finished ones beyond a bound. */
  forgetContainer(containerId: string): void {
    for (const [id, e] of this.execs) if (e.containerId === containerId) this.execs.delete(id);
  }

  private trim(): void {
    if (this.execs.size <= MAX_FINISHED) return;
    for (const [id, e] of this.execs) {
      if (this.execs.size <= MAX_FINISHED) break;
      if (e.started && !e.running) this.execs.delete(id);
    }
  }
}

/** Exec env overrides the container's by key; "NAME" without "=" unsets it. */
function mergeEnv(base: string[], extra: string[]): string[] {
  const keys = new Set(extra.map((e) => e.split('=', 1)[0]));
  return [...base.filter((e) => !keys.has(e.split('=', 1)[0])), ...extra.filter((e) => e.includes('='))];
}
