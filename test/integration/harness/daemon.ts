/**
 * Starts a real daemon for a test: berthd (default) or, with TARGET=docker, a real
 * dockerd, each on its own temp data root, exec root, socket and pidfile, inside a
 * network namespace of its own (`berth-test-<name>`), so tests never touch the host's
 * network. Teardown leaves no process, mount, netns or directory behind.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ping } from './http';

export type Target = 'berth' | 'docker';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..', '..');

/** Which daemon the suite drives: TARGET=docker runs the same tests against dockerd. */
export function target(): Target {
  return process.env.TARGET === 'docker' ? 'docker' : 'berth';
}

export interface DaemonOptions {
  /** Short name; the netns is `berth-test-<name>-<random>`. Derive it from the test file's name. */
  name: string;
  target?: Target;
  /** Extra daemon flags, e.g. ['--live-restore'] for dockerd. */
  extraArgs?: string[];
  /** Milliseconds to wait for /_ping after start (default 30 s). */
  startTimeoutMs?: number;
  /**
   * `--userns-remap` for the daemon (a user with /etc/subuid and /etc/subgid ranges, or
   * "default"). The temp root is then made enterable (0711) by the remapped root, which
   * both daemons require of every directory above their data root.
   */
  usernsRemap?: string;
}

function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch {
    return '';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** netns names and socket paths must stay short (IFNAMSIZ-ish, sun_path 108 bytes). */
function slug(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 24) || 'x';
}

export class TestDaemon {
  readonly name: string;
  readonly target: Target;
  readonly root: string;
  readonly dataRoot: string;
  readonly execRoot: string;
  readonly socket: string;
  readonly pidfile: string;
  readonly netns: string;
  readonly logFile: string;
  private proc: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  private readonly extraArgs: string[];
  private readonly startTimeoutMs: number;

  private constructor(opts: DaemonOptions) {
    this.name = slug(opts.name);
    this.target = opts.target ?? target();
    this.extraArgs = [...(opts.extraArgs ?? []), ...(opts.usernsRemap ? ['--userns-remap', opts.usernsRemap] : [])];
    this.startTimeoutMs = opts.startTimeoutMs ?? 30_000;
    this.root = fs.mkdtempSync(path.join(os.tmpdir(), `bt-${this.name.slice(0, 8)}-`));
    if (opts.usernsRemap) fs.chmodSync(this.root, 0o711);
    this.dataRoot = path.join(this.root, 'data');
    this.execRoot = path.join(this.root, 'exec');
    this.socket = path.join(this.root, 'd.sock');
    this.pidfile = path.join(this.root, 'd.pid');
    this.logFile = path.join(this.root, 'daemon.log');
    // A random tail keeps two runs of the same test (or two engineers' runs) apart.
    this.netns = `berth-test-${this.name}-${path.basename(this.root).slice(-6).toLowerCase()}`;
  }

  /** Creates the netns, starts the daemon in it and waits until /_ping answers. */
  static async start(opts: DaemonOptions): Promise<TestDaemon> {
    const d = new TestDaemon(opts);
    execFileSync('ip', ['netns', 'add', d.netns]);
    execFileSync('ip', ['-n', d.netns, 'link', 'set', 'lo', 'up']);
    try {
      await d.launch();
    } catch (err) {
      await d.stop();
      throw err;
    }
    return d;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** The daemon's own output so far (stdout and stderr of every start). */
  log(): string {
    try {
      return fs.readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  private command(): string[] {
    const common = ['--data-root', this.dataRoot, '--exec-root', this.execRoot, '-H', this.host,
      '--pidfile', this.pidfile, '--bridge', 'none'];
    if (this.target === 'docker') {
      return ['dockerd', ...common, '--iptables=false', '--ip6tables=false', '--ip-masq=false',
        '--userland-proxy=false', ...this.extraArgs];
    }
    return [process.execPath, path.join(REPO_ROOT, 'bin', 'berthd'), ...common, ...this.extraArgs];
  }

  private async launch(): Promise<void> {
    fs.mkdirSync(this.dataRoot, { recursive: true });
    fs.mkdirSync(this.execRoot, { recursive: true });
    const out = fs.openSync(this.logFile, 'a');
    // nsenter --net enters only the network namespace. `ip netns exec` would also give
    // the daemon a private mount namespace, hiding its overlay mounts from teardown and
    // from a restarted daemon (live-restore) that runs in a fresh one.
    const argv = ['--net=/run/netns/' + this.netns, ...this.command()];
    const proc = spawn('nsenter', argv, {
      stdio: ['ignore', out, out],
      cwd: REPO_ROOT,
      env: { ...process.env, DOCKER_HOST: undefined, BERTH_HOST: undefined } as NodeJS.ProcessEnv,
    });
    fs.closeSync(out);
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    let dead = false;
    proc.once('exit', () => (dead = true));
    const deadline = Date.now() + this.startTimeoutMs;
    while (Date.now() < deadline) {
      if (dead) throw new Error(`${this.target} daemon exited during start-up:\n${this.log().slice(-4000)}`);
      if (await ping(this.socket)) return;
      await sleep(100);
    }
    throw new Error(`${this.target} daemon did not answer /_ping in ${this.startTimeoutMs} ms:\n${this.log().slice(-4000)}`);
  }

  /** SIGTERM and wait (up to `ms`, then SIGKILL). Containers may stay up (live-restore). */
  async terminate(ms = 20_000): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const done = await Promise.race([
      this.exited.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
    ]);
    clearTimeout(timer);
    if (!done) {
      p.kill('SIGKILL');
      await this.exited;
    }
  }

  /** kill -9 the daemon process, leaving containers, monitors and files as they are. */
  async kill9(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    p.kill('SIGKILL');
    await this.exited;
  }

  /** Starts the daemon again on the same roots, socket and netns. */
  async restart(): Promise<void> {
    await this.terminate();
    fs.rmSync(this.socket, { force: true });
    if (this.target === 'docker') this.forgetDeadContainerd();
    await this.launch();
  }

  /**
   * dockerd's own containerd dies with a killed dockerd (parent-death signal), but in a
   * sandbox whose PID 1 does not reap it stays a zombie; dockerd then trusts its pidfile
   * and waits forever for a containerd that will never answer.
   */
  private forgetDeadContainerd(): void {
    const pidfile = path.join(this.execRoot, 'containerd', 'containerd.pid');
    let pid = 0;
    try {
      pid = Number(fs.readFileSync(pidfile, 'utf8').trim());
    } catch {
      return;
    }
    let state = '';
    try {
      state = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').charAt(0);
    } catch {
      /* gone */
    }
    if (!pid || state === '' || state === 'Z') fs.rmSync(pidfile, { force: true });
  }

  /** Stops the daemon and removes everything it left: containers, processes, mounts, netns, dirs. */
  async stop(): Promise<void> {
    await this.terminate();
    this.killContainers();
    this.killStragglers();
    this.unmountAll();
    sh('ip', ['netns', 'del', this.netns]);
    for (let i = 0; i < 5; i++) {
      try {
        fs.rmSync(this.root, { recursive: true, force: true });
        return;
      } catch {
        this.unmountAll();
        await sleep(200);
      }
    }
  }

  /** runc state dirs a daemon may use: berthd's, and dockerd's (containerd namespace moby). */
  private runcRoots(): string[] {
    return [path.join(this.execRoot, 'runtime', 'runc'), path.join(this.execRoot, 'runtime-runc', 'moby')]
      .filter((d) => fs.existsSync(d));
  }

  private killContainers(): void {
    for (const root of this.runcRoots()) {
      const list = sh('runc', ['--root', root, 'list', '-q']).split('\n').filter(Boolean);
      for (const id of list) {
        sh('runc', ['--root', root, 'kill', id, 'KILL']);
        sh('runc', ['--root', root, 'delete', '-f', id]);
      }
    }
  }

  /** Every process whose command line names our unique temp root is ours (conmon, shims, containerd). */
  private killStragglers(): void {
    for (const pid of processesMentioning(this.root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
  }

  private unmountAll(): void {
    let mounts: string[] = [];
    try {
      mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')
        .map((l) => l.split(' ')[4] ?? '')
        .map((m) => m.replace(/\\040/g, ' '))
        .filter((m) => m === this.root || m.startsWith(this.root + '/'));
    } catch {
      return;
    }
    for (const m of mounts.sort((a, b) => b.length - a.length)) sh('umount', ['-l', m]);
  }
}

export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const ent of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(ent)) continue;
    const pid = Number(ent);
    if (pid === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmd.includes(needle)) pids.push(pid);
    } catch {
      /* raced with exit */
    }
  }
  return pids;
}
