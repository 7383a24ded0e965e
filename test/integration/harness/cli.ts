/**
 * Runs a client CLI against a test daemon: the real docker CLI (/usr/local/bin/docker with
 * DOCKER_HOST) or ours (`node bin/berth -H unix://...`). `tty: true` runs it under a pty
 * (util-linux `script`), as a user at a terminal would.
 */
import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { REPO_ROOT } from './daemon';

export type CliKind = 'docker' | 'berth';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Written to the CLI's stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Run under a pseudo-terminal (for `-t`); stdout and stderr then arrive merged in stdout. */
  tty?: boolean;
  /** Kill the CLI after this long (default 30 s); the result then has code -1. */
  timeoutMs?: number;
}

export interface Cli {
  (args: string[], opts?: CliOptions): Promise<CliResult>;
  kind: CliKind;
  /** Starts the CLI and returns the process, for long-running commands (logs -f, events, attach). */
  spawn(args: string[], opts?: { env?: Record<string, string>; stdin?: 'pipe' | 'ignore' }): ChildProcess;
}

export const DOCKER_BIN = fs.existsSync('/usr/local/bin/docker') ? '/usr/local/bin/docker' : 'docker';

let configDir: string | undefined;
/** A private, empty docker config dir: no contexts, credentials or plugins of the host leak in. */
function dockerConfigDir(): string {
  if (!configDir) {
    // Shared by every test process and never written to by the CLI for what the tests do.
    configDir = path.join(os.tmpdir(), 'berth-test-cache', 'docker-config');
    fs.mkdirSync(configDir, { recursive: true });
    const file = path.join(configDir, 'config.json');
    if (!fs.existsSync(file)) {
      const tmp = `${file}.${process.pid}`;
      fs.writeFileSync(tmp, '{}');
      fs.renameSync(tmp, file);
    }
  }
  return configDir;
}

function argvFor(kind: CliKind, socket: string, args: string[]): string[] {
  if (kind === 'docker') return [DOCKER_BIN, ...args];
  // `--` ends node's own options: Node 20 would otherwise take berth's `--env-file` for itself.
  return [process.execPath, '--', path.join(REPO_ROOT, 'bin', 'berth'), '-H', `unix://${socket}`, ...args];
}

function envFor(socket: string, extra?: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.BERTH_HOST;
  delete env.DOCKER_CONTEXT;
  return {
    ...env,
    DOCKER_HOST: `unix://${socket}`,
    DOCKER_CONFIG: dockerConfigDir(),
    DOCKER_CLI_HINTS: 'false',
    DOCKER_BUILDKIT: '0',
    TERM: 'xterm',
    ...(extra ?? {}),
  };
}

export function shellQuote(a: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function runArgv(argv: string[], env: NodeJS.ProcessEnv, opts: CliOptions = {}): Promise<CliResult> {
  let cmd = argv[0]!;
  let args = argv.slice(1);
  if (opts.tty) {
    // script(1) gives the command a pty; -e returns its exit code, -q drops the banner.
    args = ['-qefc', argv.map(shellQuote).join(' '), '/dev/null'];
    cmd = 'script';
  }
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: [opts.input !== undefined ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (c: Buffer) => out.push(c));
    child.stderr!.on('data', (c: Buffer) => err.push(c));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        code: timedOut ? -1 : code ?? (signal ? 128 : -1),
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8') + (timedOut ? `\n[harness: killed after ${opts.timeoutMs ?? 30_000} ms]` : ''),
      });
    });
    if (opts.input !== undefined) {
      child.stdin!.on('error', () => undefined);
      child.stdin!.end(opts.input);
    }
  });
}

export function makeCli(kind: CliKind, socket: string): Cli {
  const run = ((args: string[], opts: CliOptions = {}) =>
    runArgv(argvFor(kind, socket, args), envFor(socket, opts.env), opts)) as Cli;
  run.kind = kind;
  run.spawn = (args, opts = {}) => {
    const argv = argvFor(kind, socket, args);
    return spawn(argv[0]!, argv.slice(1), { env: envFor(socket, opts.env), stdio: [opts.stdin ?? 'ignore', 'pipe', 'pipe'] });
  };
  return run;
}

/** The real docker CLI against the daemon at `socket`. */
export function docker(socket: string, args: string[], opts?: CliOptions): Promise<CliResult> {
  return makeCli('docker', socket)(args, opts);
}

/** Our CLI against the daemon at `socket`. */
export function berth(socket: string, args: string[], opts?: CliOptions): Promise<CliResult> {
  return makeCli('berth', socket)(args, opts);
}

/** Collects a spawned process's stdout until `pred` holds for it (or the timeout passes). */
export function waitForOutput(child: ChildProcess, pred: (out: string) => boolean, timeoutMs = 15_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(() => {
      child.stdout!.off('data', onData);
      reject(new Error(`timed out waiting for output; got: ${JSON.stringify(buf)}`));
    }, timeoutMs);
    const onData = (c: Buffer) => {
      buf += c.toString('utf8');
      if (pred(buf)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve(buf);
      }
    };
    child.stdout!.on('data', onData);
  });
}
