/** Response shapes the client returns (moby api/swagger.yaml), as far as Berth reads them. */
import type { ContainerConfig, HostConfig, EndpointSettings, EventMessage } from '../api/types';

export type { EventMessage };

export interface Port { IP?: string; PrivatePort: number; PublicPort?: number; Type: string }

export interface ContainerSummary {
  Id: string;
  Names: string[];
  Image: string;
  ImageID: string;
  Command: string;
  Created: number;
  Ports: Port[];
  SizeRw?: number;
  SizeRootFs?: number;
  Labels: Record<string, string> | null;
  State: string;
  Status: string;
  HostConfig?: { NetworkMode?: string };
  NetworkSettings?: { Networks?: Record<string, EndpointSettings> };
  Mounts?: { Name?: string; Source?: string; Destination?: string; Type?: string }[];
}

export interface ContainerState {
  Status: string;
  Running: boolean;
  Paused: boolean;
  Restarting: boolean;
  OOMKilled: boolean;
  Dead: boolean;
  Pid: number;
  ExitCode: number;
  Error: string;
  StartedAt: string;
  FinishedAt: string;
  Health?: { Status: string; FailingStreak: number; Log: unknown[] };
}

export interface ContainerInspect {
  Id: string;
  Created: string;
  Path: string;
  Args: string[];
  State: ContainerState;
  Image: string;
  Name: string;
  RestartCount: number;
  HostConfig: HostConfig;
  Config: ContainerConfig;
  NetworkSettings: Record<string, unknown> & { Networks?: Record<string, EndpointSettings> };
  Mounts: unknown[];
  SizeRw?: number;
  SizeRootFs?: number;
  [key: string]: unknown;
}

export interface ImageSummary {
  Id: string;
  ParentId: string;
  RepoTags: string[] | null;
  RepoDigests: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  VirtualSize?: number;
  Labels: Record<string, string> | null;
  Containers: number;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent?: string;
  Comment?: string;
  Created: string;
  Config?: ContainerConfig;
  Architecture: string;
  Os: string;
  Size: number;
  [key: string]: unknown;
}

export interface HistoryItem { Id: string; Created: number; CreatedBy: string; Tags: string[] | null; Size: number; Comment: string }

export interface ImageDeleteItem { Untagged?: string; Deleted?: string }

export interface VersionInfo {
  Platform?: { Name: string };
  Components?: { Name: string; Version: string; Details?: Record<string, string> }[];
  Version: string;
  ApiVersion: string;
  MinAPIVersion?: string;
  GitCommit: string;
  GoVersion: string;
  Os: string;
  Arch: string;
  KernelVersion?: string;
  Experimental?: boolean;
  BuildTime?: string;
}

/** /info is large; the CLI prints whatever is there. */
export type SystemInfo = Record<string, unknown> & { ServerVersion?: string; Name?: string; ID?: string };

export interface CreateResponse { Id: string; Warnings: string[] | null }
export interface WaitResponse { StatusCode: number; Error?: { Message: string } | null }
export interface ContainerPruneReport { ContainersDeleted: string[] | null; SpaceReclaimed: number }

export interface ExecCreateOptions {
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  DetachKeys?: string;
  Tty?: boolean;
  ConsoleSize?: [number, number] | null;
  Env?: string[] | null;
  Cmd: string[];
  Privileged?: boolean;
  User?: string;
  WorkingDir?: string;
}

export interface ExecInspect {
  ID: string;
  Running: boolean;
  ExitCode: number | null;
  ProcessConfig: { tty: boolean; entrypoint: string; arguments: string[]; privileged: boolean; user?: string };
  OpenStdin: boolean;
  OpenStderr: boolean;
  OpenStdout: boolean;
  CanRemove: boolean;
  ContainerID: string;
  DetachKeys: string;
  Pid: number;
}

/** One line of Docker's JSON progress stream (pull, import, load, push). */
export interface JSONMessage {
  status?: string;
  id?: string;
  progress?: string;
  progressDetail?: { current?: number; total?: number };
  stream?: string;
  error?: string;
  errorDetail?: { code?: number; message: string };
  aux?: unknown;
}
