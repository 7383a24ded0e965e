/** Docker's seccomp profile format (the JSON that `--security-opt seccomp=<file>` sends). */
export interface SeccompArg { index: number; value: number; valueTwo?: number; op: string }

export interface SeccompFilter {
  /** Docker arch names (amd64, arm64, x86 ...). */
  arches?: string[];
  /** Capability names with the CAP_ prefix. */
  caps?: string[];
  /** "4.8": the rule applies on kernels at least this new. */
  minKernel?: string;
}

export interface SeccompRule {
  /** Old profiles name one syscall. */
  name?: string;
  names?: string[];
  action: string;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  includes?: SeccompFilter;
  excludes?: SeccompFilter;
  comment?: string;
}

export interface SeccompProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  /** Either the map from a native arch to its sub-architectures, or a flat list. */
  archMap?: { architecture: string; subArchitectures: string[] | null }[];
  architectures?: string[];
  listenerPath?: string;
  flags?: string[];
  syscalls?: SeccompRule[];
}
