import * as fs from 'node:fs';
import * as path from 'node:path';
import { conflict, invalidParameter, isNotFound, system } from '../errdefs';
import { connectAttach } from './attach';
import { livePid, spawnConmon, writeCtl } from './conmon-io';
import { startExec } from './exec';
import { ExitWatcher } from './exits';
import { deleteStopped, startThroughFifo } from './fastpath';
import { LogRotator } from './logrotate';
import { RuncCli, runcMessage } from './runc-cli';
import { parseSignal } from './signals';
import type { AttachStream, CreateOptions, ExecHandle, ExecOptions, OciRuntime, RuntimeState } from './types';

export interface RuncConmonOptions {
  runtimePath?: string;
  conmonPath?: string;
  /** Runtime state under the daemon's exec root, e.g. /run/berth/runtime. Keep it short (socket paths). */
  stateDir: string;
  log?: (msg: string) => void;
  /** v1 hierarchies root, for removing the container's cgroup directories after delete. */
  cgroupRoot?: string;
}

/** What we remember per container besides runc's state: enough to resume after a restart. */
interface ContainerMeta { id: string; bundleDir: string; tty: boolean; logPath: string; logMaxSize: number; logMaxFiles: number; cgroupsPath?: string }

/**
 * Containers run by runc under conmon. Layout under stateDir:
 *   runc/      runc --root (runc's own state)
 *   exits/     conmon --exit-dir: one file per exited container holding its exit code
 *   s/         conmon --socket-dir-path: symlinks <id> -> bundle, so socket paths stay short
 *   p/<id>/    conmon --persist-dir: "exit" and "oom" (written on an OOM kill) files
 *   c/<id>.json our metadata (bundle, log rotation settings)
 * Files in the bundle dir: config.json, conmon.pid, pidfile, attach, ctl, winsz, oom.
 */
export class RuncConmonRuntime implements OciRuntime {
  readonly name = 'runc';
  readonly runtimePath: string;
  readonly conmonPath: string;
  readonly stateDir: string;
  private readonly runc: RuncCli;
  private readonly exits: ExitWatcher;
  private readonly rotator: LogRotator;
  private readonly log: (msg: string) => void;
  private readonly cgroupRoot: string;
  private dirsReady = false;

  constructor(opts: RuncConmonOptions) {
    this.runtimePath = opts.runtimePath ?? '/usr/sbin/runc';
    this.conmonPath = opts.conmonPath ?? '/usr/bin/conmon';
    this.stateDir = opts.stateDir;
    this.log = opts.log ?? (() => undefined);
    this.cgroupRoot = opts.cgroupRoot ?? '/sys/fs/cgroup';
    this.runc = new RuncCli(this.runtimePath, this.runcRoot);
    this.exits = new ExitWatcher(this.exitDir, this.log);
    this.rotator = new LogRotator(this.log);
    if (path.join(this.stateDir, 's', 'x'.repeat(64), 'attach').length > 107) {
      this.log(`runtime state dir ${this.stateDir} is long: attach sockets will be reached through /proc/self/fd`);
    }
  }

  get runcRoot(): string { return path.join(this.stateDir, 'runc'); }
  get exitDir(): string { return path.join(this.stateDir, 'exits'); }
  get sockDir(): string { return path.join(this.stateDir, 's'); }
  persistDir(id: string): string { return path.join(this.stateDir, 'p', id); }
  private metaPath(id: string): string { return path.join(this.stateDir, 'c', `${id}.json`); }

  private ensureDirs(): void {
    if (this.dirsReady) return;
    for (const d of [this.runcRoot, this.exitDir, this.sockDir, path.join(this.stateDir, 'p'), path.join(this.stateDir, 'c')]) {
      fs.mkdirSync(d, { recursive: true, mode: 0o700 });
    }
    this.dirsReady = true;
  }

  /**
   * Creates the state dirs, starts watching exits (exits that happened while berthd was down
   * are reported to onExit subscribers) and resumes log rotation of live containers.
   */
  async init(): Promise<void> {
    this.ensureDirs();
    this.exits.start();
    for (const f of await fs.promises.readdir(path.join(this.stateDir, 'c')).catch(() => [] as string[])) {
      if (!f.endsWith('.json')) continue;
      const meta = this.readMeta(f.slice(0, -5));
      if (meta && meta.logMaxSize > 0 && this.exits.read(meta.id) === null && livePid(path.join(meta.bundleDir, 'conmon.pid'), 'conmon')) {
        this.rotator.add({ id: meta.id, logPath: meta.logPath, ctlPath: path.join(meta.bundleDir, 'ctl'), maxSize: meta.logMaxSize, maxFiles: meta.logMaxFiles });
      }
    }
  }

  /** Stops watchers (containers keep running under conmon). */
  close(): void {
    this.exits.stop();
    this.rotator.stop();
  }

  private readMeta(id: string): ContainerMeta | null {
    try { return JSON.parse(fs.readFileSync(this.metaPath(id), 'utf8')) as ContainerMeta; } catch { return null; }
  }

  async create(opts: CreateOptions): Promise<{ pid: number; monitorPid: number }> {
    this.ensureDirs();
    this.exits.start();
    const { id, bundleDir } = opts;
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(id)) throw invalidParameter(`invalid container id: ${id}`);
    const persist = this.persistDir(id);
    const meta: ContainerMeta = {
      id, bundleDir, tty: opts.tty, logPath: opts.logPath, logMaxSize: opts.logMaxSize ?? 0, logMaxFiles: opts.logMaxFiles ?? 1,
      cgroupsPath: typeof opts.spec?.linux?.cgroupsPath === 'string' ? opts.spec.linux.cgroupsPath : undefined,
    };
    this.exits.forget(id); // a stale exit file from an earlier run of the same id
    // A few small local writes: synchronous calls cost less than thread-pool round trips here.
    fs.mkdirSync(bundleDir, { recursive: true });
    fs.writeFileSync(path.join(bundleDir, 'config.json'), JSON.stringify(opts.spec));
    fs.mkdirSync(persist, { recursive: true });
    fs.mkdirSync(path.dirname(opts.logPath), { recursive: true });
    fs.writeFileSync(this.metaPath(id), JSON.stringify(meta));
    const args = [
      '--api-version', '1', '-c', id, '-u', id, '-n', opts.name ?? id, '-r', this.runtimePath, '-b', bundleDir,
      '-p', path.join(bundleDir, 'pidfile'), '-P', path.join(bundleDir, 'conmon.pid'),
      '-l', `k8s-file:${opts.logPath}`, '--exit-dir', this.exitDir, '--persist-dir', persist,
      '--socket-dir-path', this.sockDir, '--no-sync-log',
    ];
    if (opts.openStdin) args.push('-i');
    if (opts.tty) args.push('-t');
    if (opts.openStdin && !opts.stdinOnce) args.push('--leave-stdin-open');
    args.push('--runtime-arg', '--root', '--runtime-arg', this.runcRoot);

    const cm = spawnConmon(this.conmonPath, args, { cwd: bundleDir, startPipe: false, attachPipe: false });
    const [msg] = await Promise.all([cm.sync.next(), cm.exited]);
    cm.sync.close();
    if (!msg || msg.data <= 0) {
      const detail = msg?.message ? runcMessage(msg.message) : (cm.stderr() || 'conmon exited without reporting');
      await this.cleanupFailedCreate(id);
      throw system(`OCI runtime create failed: runc create failed: ${detail.replace(/^runc create failed: /, '')}: unknown`);
    }
    let monitorPid = 0;
    try { monitorPid = Number(fs.readFileSync(path.join(bundleDir, 'conmon.pid'), 'utf8')) || 0; } catch { /* conmon wrote none */ }
    if (meta.logMaxSize > 0) {
      this.rotator.add({ id, logPath: opts.logPath, ctlPath: path.join(bundleDir, 'ctl'), maxSize: meta.logMaxSize, maxFiles: meta.logMaxFiles });
    }
    return { pid: msg.data, monitorPid };
  }

  private async cleanupFailedCreate(id: string): Promise<void> {
    await this.runc.run(['delete', '--force', id], { id }).catch(() => undefined);
    this.exits.forget(id);
    await this.removeFiles(id, this.readMeta(id));
  }

  async start(id: string): Promise<void> {
    const pidFile = this.readMeta(id)?.bundleDir;
    const initPid = () => (pidFile ? Number(fs.readFileSync(path.join(pidFile, 'pidfile'), 'utf8').trim()) || 0 : 0);
    if (await startThroughFifo(this.runcRoot, id, initPid)) return;
    await this.runc.run(['start', id], { id });
  }

  async kill(id: string, signal: string | number): Promise<void> {
    const sig = parseSignal(signal);
    await this.runc.run(['kill', id, String(sig)], { id });
  }

  /** Idempotent: a container runc does not know is cleaned up without an error. */
  async delete(id: string, force = false): Promise<void> {
    const meta = this.readMeta(id);
    try {
      // runc keeps <root>/<id>/state.json; without it runc would only say "does not exist",
      // and the containers layer calls delete before every create: skip that process spawn.
      if (fs.existsSync(path.join(this.runcRoot, id))) {
        const exited = this.exits.read(id) !== null;
        if (!(exited && await deleteStopped(this.runcRoot, id, await this.cgroupDirs(meta?.cgroupsPath ?? `/berth/${id}`)))) {
          await this.runc.run(force ? ['delete', '--force', id] : ['delete', id], { id });
        }
      }
    } catch (e) {
      if (!isNotFound(e)) {
        if (!force) throw conflict(`cannot delete container ${id}: ${(e as Error).message}`);
        throw e;
      }
    }
    // A killed container's conmon is still draining output and about to write the exit file:
    // let it finish so that no exit is reported for a container that no longer exists.
    if (meta && this.exits.read(id) === null) {
      const conmonPid = path.join(meta.bundleDir, 'conmon.pid');
      for (let i = 0; i < 100 && livePid(conmonPid, 'conmon'); i++) await new Promise((r) => setTimeout(r, 10));
    }
    this.exits.forget(id);
    await this.removeFiles(id, meta);
  }

  private async removeFiles(id: string, meta: ContainerMeta | null): Promise<void> {
    this.rotator.remove(id);
    await Promise.all([
      fs.promises.rm(this.persistDir(id), { recursive: true, force: true }),
      fs.promises.rm(this.metaPath(id), { force: true }),
      fs.promises.rm(path.join(this.sockDir, id), { force: true }),
      this.removeCgroups(meta?.cgroupsPath ?? `/berth/${id}`),
    ]);
  }

  /** The container's cgroup directories in every mounted hierarchy (v1) or the unified one (v2). */
  private async cgroupDirs(cgroupsPath: string): Promise<string[]> {
    if (!cgroupsPath.startsWith('/') || cgroupsPath.includes('..')) return [];
    const hierarchies = await fs.promises.readdir(this.cgroupRoot, { withFileTypes: true }).catch(() => []);
    const dirs = hierarchies.filter((h) => h.isDirectory()).map((h) => path.join(this.cgroupRoot, h.name, cgroupsPath));
    return [...dirs, path.join(this.cgroupRoot, cgroupsPath)].filter((d) => fs.existsSync(d));
  }

  /** runc removes the leaf groups on delete; this catches what a crash left behind. */
  private async removeCgroups(cgroupsPath: string): Promise<void> {
    if (!cgroupsPath.startsWith('/') || cgroupsPath.includes('..')) return;
    const hierarchies = await fs.promises.readdir(this.cgroupRoot).catch(() => [] as string[]);
    await Promise.all(hierarchies.map((h) => fs.promises.rmdir(path.join(this.cgroupRoot, h, cgroupsPath)).catch(() => undefined)));
  }

  async state(id: string): Promise<RuntimeState | null> {
    let out: string;
    try {
      out = await this.runc.run(['state', id], { id });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
    const s = JSON.parse(out) as { status: string; pid: number };
    const status = (['created', 'running', 'paused', 'stopped'].includes(s.status) ? s.status : 'stopped') as RuntimeState['status'];
    return { status, pid: status === 'stopped' ? 0 : s.pid };
  }

  async exitCode(id: string): Promise<number | null> {
    return this.exits.read(id)?.code ?? null;
  }

  onExit(cb: (id: string, exitCode: number, at: Date) => void): void {
    this.ensureDirs();
    // An exit is reported once the log's files are settled: `docker logs` right after it
    // must not list them while a rotation has the live file renamed aside.
    this.exits.subscribe((id, code, at) => {
      const settling = this.rotator.finish(id);
      if (settling) void settling.then(() => cb(id, code, at)); else cb(id, code, at);
    });
    this.exits.start();
  }

  /** True when conmon saw the container's memory cgroup report an OOM kill. */
  async oomKilled(id: string): Promise<boolean> {
    return fs.promises.access(path.join(this.persistDir(id), 'oom')).then(() => true, () => false);
  }

  async attach(id: string, bundleDir: string): Promise<AttachStream> {
    return connectAttach(bundleDir, `You cannot attach to a stopped container, start it first`);
  }

  async resize(id: string, bundleDir: string, height: number, width: number): Promise<void> {
    if (!(height >= 0 && width >= 0)) throw invalidParameter('invalid terminal size');
    // Without a tty conmon never reads its winsz FIFO: enough writes would fill it and block conmon.
    if (this.readMeta(id)?.tty === false) return;
    const ok = await writeCtl(path.join(bundleDir, 'ctl'), `1 ${Math.trunc(height)} ${Math.trunc(width)}\n`);
    if (!ok) throw conflict(`Container ${id} is not running`);
  }

  async exec(id: string, _bundleDir: string, opts: ExecOptions): Promise<ExecHandle> {
    this.ensureDirs();
    return startExec({ conmonPath: this.conmonPath, runtimePath: this.runtimePath, runcRoot: this.runcRoot, sockDir: this.sockDir }, id, opts);
  }

  async pause(id: string): Promise<void> {
    try {
      await this.runc.run(['pause', id], { id });
    } catch (e) {
      if ((await this.state(id).catch(() => null))?.status === 'paused') throw conflict(`Container ${id} is already paused`);
      throw e;
    }
  }

  async resume(id: string): Promise<void> { await this.runc.run(['resume', id], { id }); }

  async pids(id: string): Promise<number[]> {
    const out = await this.runc.run(['ps', '--format', 'json', id], { id });
    const parsed = JSON.parse(out || '[]') as unknown;
    return Array.isArray(parsed) ? parsed.map(Number).filter((n) => Number.isInteger(n)) : [];
  }

  async monitorPid(id: string, bundleDir: string): Promise<number | null> {
    const dir = bundleDir || this.readMeta(id)?.bundleDir;
    return dir ? livePid(path.join(dir, 'conmon.pid'), 'conmon') : null;
  }
}
