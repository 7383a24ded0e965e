import type { ContainerConfig, HostConfig, NetworkingConfig } from '../api/types';

/** Zero time as Docker prints it for "never". */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

export interface ContainerState {
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  RemovalInProgress: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
}

/** Everything Berth keeps about a container; persisted as one JSON row. */
export interface ContainerRecord {
  id: string;
  /** With the leading slash, as Docker stores it. */
  name: string;
  created: string;
  path: string;
  args: string[];
  config: ContainerConfig;
  hostConfig: HostConfig;
  networkingConfig?: NetworkingConfig;
  /** Image id (sha256:...) and the reference the user gave. */
  image: string;
  imageRef: string;
  state: ContainerState;
  restartCount: number;
  /** Set once the container was started at least once with these host files. */
  hostnamePath: string;
  hostsPath: string;
  resolvConfPath: string;
  logPath: string;
  /** Monitor pid while running (conmon), to check liveness after a daemon restart. */
  monitorPid: number;
  /** True when the user stopped it (restart policies honour it). */
  hasBeenManuallyStopped: boolean;
  execIds: string[];
}

export function initialState(): ContainerState {
  return {
    Running: false, Paused: false, Restarting: false, OOMKilled: false, RemovalInProgress: false, Dead: false,
    Pid: 0, ExitCode: 0, Error: '', StartedAt: ZERO_TIME, FinishedAt: ZERO_TIME,
  };
}

export type StatusName = 'created' | 'running' | 'paused' | 'restarting' | 'removing' | 'exited' | 'dead';

/** Docker's State.Status. */
export function statusOf(s: ContainerState): StatusName {
  if (s.Running) return s.Paused ? 'paused' : s.Restarting ? 'restarting' : 'running';
  if (s.RemovalInProgress) return 'removing';
  if (s.Dead) return 'dead';
  if (s.StartedAt === ZERO_TIME) return 'created';
  return 'exited';
}

/** Go's time.Time as RFC 3339 with nanoseconds, like Docker's JSON. */
export function nowRfc3339Nano(): string {
  const ns = process.hrtime.bigint() % 1_000_000n;
  const iso = new Date().toISOString(); // 2024-01-01T00:00:00.123Z
  return `${iso.slice(0, -1)}${ns.toString().padStart(6, '0')}Z`;
}

/** Parses Docker's RFC 3339 (nanosecond) timestamps to milliseconds; zero time gives 0. */
export function parseTime(t: string): number {
  if (!t || t.startsWith('0001-')) return 0;
  const ms = Date.parse(t.replace(/\.(\d{3})\d*Z$/, '.$1Z'));
  return Number.isNaN(ms) ? 0 : ms;
}
