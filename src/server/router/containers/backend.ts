import type { ContainerService } from '../../../containers/service';
import type { ExecService } from '../../../containers/exec';
import type { ContainerRecord } from '../../../containers/record';
import type { LogEntry } from '../../../runtime/logs';

/** What the container and exec routes need from the engine. */
export interface ContainerBackend {
  containers: ContainerService;
  execs: ExecService;
  inspect(ref: string, size: boolean): Promise<Record<string, unknown>>;
  list(opts: { all: boolean; limit?: number; size: boolean; filters: Map<string, string[]> }): Promise<Record<string, unknown>[]>;
  prune(filters: Map<string, string[]>): Promise<{ ContainersDeleted: string[]; SpaceReclaimed: number }>;
  logs(c: ContainerRecord, opts: { follow: boolean; since?: number; until?: number; tail: number | 'all'; stdout: boolean; stderr: boolean; signal: AbortSignal }): AsyncGenerator<LogEntry>;
}
