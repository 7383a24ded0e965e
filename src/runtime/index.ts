export * from './types';
export { RuncConmonRuntime, RuncConmonOptions } from './runc';
export { buildSpec, buildExecProcess, SpecInput, SpecMount, ExecInput, NamespaceMode, UserSpec, DEFAULT_SHM_SIZE } from './spec';
export { readLogs, logFiles, parseLogLine, parseLogTime, LogEntry, LogTime, ReadLogsOptions } from './logs';
export { parseSignal, SIGNALS } from './signals';
export { normalizeCap, resolveCaps, boundingCaps, capMask, DOCKER_DEFAULT_CAPS } from './caps';
export { daemonRlimits, Rlimit } from './spec-defaults';
