import type { Duplex } from 'node:stream';

/**
 * The OCI runtime underneath, behind one small interface so that `--runtime` can name
 * another one. The implementation (runc.ts) runs every container under conmon, which holds
 * stdio, writes the log file, records the exit code, and keeps the container alive while
 * berthd is down. Exec processes run under conmon too (`conmon --exec`).
 *
 * Lifecycle: create -> (attach) -> start -> exits (exit file written) -> delete.
 * Errors: methods throw errdefs errors: NotFound when the runtime has no such container,
 * Conflict when the state forbids the call (e.g. kill of a stopped container), System otherwise.
 */

/** OCI runtime-spec config.json, loosely typed: built by spec.ts. */
export type OciSpec = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
export type OciProcess = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CreateOptions {
  id: string;
  /** Container name for conmon's -n (log tags); defaults to the id. */
  name?: string;
  /** Directory for config.json and conmon's files (attach socket, ctl, winsz, pidfiles). */
  bundleDir: string;
  spec: OciSpec;
  tty: boolean;
  /** Keep a pipe to the container's stdin (docker's OpenStdin). */
  openStdin: boolean;
  /** Close the container's stdin when the first attached client detaches (docker's StdinOnce). */
  stdinOnce: boolean;
  /** k8s-file log path that conmon writes. */
  logPath: string;
  /** Rotate the log above this many bytes (docker's max-size); 0 = unlimited. */
  logMaxSize?: number;
  /** How many rotated files to keep (docker's max-file). */
  logMaxFiles?: number;
}

export interface RuntimeState {
  status: 'created' | 'running' | 'paused' | 'stopped';
  pid: number;
}

/** One attach connection to conmon: container output arrives as frames, stdin goes in. */
export interface AttachStream {
  /** Called with each chunk of output; stream 1 = stdout, 2 = stderr (with a TTY everything is 1). */
  onData(cb: (stream: 1 | 2, data: Buffer) => void): void;
  /** Called once when the container's output ends (container exited or conmon went away). */
  onEnd(cb: () => void): void;
  /** Write to the container's stdin. */
  write(data: Buffer): void;
  /**
   * Deliver EOF to the container's stdin while output keeps flowing (shutdown(SHUT_WR) on the
   * attach socket). Only effective when the container was created with openStdin and stdinOnce
   * (conmon without --leave-stdin-open); otherwise stdin stays open for the next client.
   */
  closeStdin(): void;
  /**
   * Detach this client; the container keeps running. Note: with stdinOnce (no
   * --leave-stdin-open) conmon closes the container's stdin when ANY attach client goes away,
   * including clients that never wrote: keep one attach connection per container and fan out.
   */
  close(): void;
}

export interface ExecOptions {
  execId: string;
  /** OCI process (args, env, cwd, user, terminal, capabilities ...) for the new process. */
  process: OciProcess;
  tty: boolean;
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
  /** Directory the runtime may use for this exec's files (removed by the caller afterwards). */
  execDir: string;
}

export interface ExecHandle {
  /** Host pid of the exec'd process (0 if not known). */
  pid: number;
  /** Output/input stream when anything is attached; null for a detached exec. */
  attach: AttachStream | null;
  /** Resolves with the exit code when the process ends. */
  wait(): Promise<number>;
  resize(height: number, width: number): Promise<void>;
}

export interface OciRuntime {
  readonly name: string;
  /** Starts conmon, which runs `<runtime> create`; resolves when the container is `created`. */
  create(opts: CreateOptions): Promise<{ pid: number; monitorPid: number }>;
  start(id: string): Promise<void>;
  /**
   * Signal number or name ("SIGTERM", "TERM", "15", 9). InvalidParameter "Invalid signal: X";
   * Conflict when the container is not running; NotFound when unknown.
   */
  kill(id: string, signal: string | number): Promise<void>;
  /**
   * Removes the runtime's state (after exit), the exit file, the OOM marker and leftover cgroup
   * dirs. `force` kills first. Idempotent: an unknown id is not an error. Conflict when the
   * container still runs and force is not set.
   */
  delete(id: string, force?: boolean): Promise<void>;
  /** null when the runtime does not know the container. */
  state(id: string): Promise<RuntimeState | null>;
  /** Exit code recorded by conmon, or null if the container has not exited. */
  exitCode(id: string): Promise<number | null>;
  /** Subscribes to exits of every container (from conmon's exit files); also reports exits found at start-up. */
  onExit(cb: (id: string, exitCode: number, at: Date) => void): void;
  /**
   * Connects to conmon's attach socket. Output sent before this call is only in the log.
   * Conflict "You cannot attach to a stopped container, start it first" when conmon is gone.
   */
  attach(id: string, bundleDir: string): Promise<AttachStream>;
  /** TTY size (no-op without a TTY). Works before start too. Conflict when conmon is gone. */
  resize(id: string, bundleDir: string, height: number, width: number): Promise<void>;
  /**
   * Runs a process in the running container under `conmon --exec`. Resolves once the process
   * runs (with attach streams connected before it started, so no output is lost). System error
   * "OCI runtime exec failed: ..." when runc cannot start it (e.g. executable not found);
   * Conflict when the container is not running.
   */
  exec(id: string, bundleDir: string, opts: ExecOptions): Promise<ExecHandle>;
  pause(id: string): Promise<void>;
  resume(id: string): Promise<void>;
  /** Processes inside the container (host pids). */
  pids(id: string): Promise<number[]>;
  /** Monitor (conmon) pid of a container if it is alive. */
  monitorPid(id: string, bundleDir: string): Promise<number | null>;
  /**
   * Optional start-up: create state dirs, start watching exits (exits that happened while the
   * daemon was down are then reported to onExit subscribers, whenever they subscribe) and resume
   * log rotation of live containers. Call once before use; runc.ts also does it lazily.
   */
  init?(): Promise<void>;
  /** Optional: stop watchers at daemon shutdown; containers keep running. */
  close?(): void;
  /** Optional: whether the container was OOM-killed (docker's State.OOMKilled). */
  oomKilled?(id: string): Promise<boolean>;
}

/** Unused helper type so runtime implementations can expose raw duplexes if they need to. */
export type RawDuplex = Duplex;
