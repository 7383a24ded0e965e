import type { HostConfig } from '../api/types';
import type { ContainerService } from '../containers/service';
import type { LocalImageService } from '../images/service';
import type { Logger } from '../util/log';
import type { BuildCache } from './cache';
import type { FsView } from './copy';
import type { ShellLex } from './shell-lex';

/** What the builder needs from the engine. */
export interface BuilderDeps {
  images: LocalImageService;
  containers: ContainerService;
  cache: BuildCache;
  /** private scratch space for contexts and staging roots */
  tmpDir: string;
  log: Logger;
  /** Pulls an image by reference, writing Docker's progress lines (absent: FROM needs local images). */
  pull?: (ref: string, out: (line: object) => void, platform?: string) => Promise<unknown>;
}

/** The build context's files (context.ts). */
export interface ContextFiles {
  /** where the files are, or will be once `materialize` has written them out */
  dir: string;
  /** sha256 of the context's regular files, from its tar (relative path -> hex) */
  hashes: Map<string, string>;
  /** the files as the tar listed them, readable before they are written out */
  view?: FsView;
  /** writes the files out under `dir` (once; later calls wait for the same work) */
  materialize(): Promise<void>;
}

/** POST /build's options, parsed. */
export interface BuildOptions {
  dockerfile: string;
  context: ContextFiles;
  tags: string[];
  buildArgs: Map<string, string | null>;
  target: string;
  nocache: boolean;
  pull: boolean;
  rm: boolean;
  forcerm: boolean;
  labels: Record<string, string>;
  cacheFrom: string[];
  hostConfig: HostConfig;
  platform: string;
  quiet: boolean;
  signal?: AbortSignal;
}

/** One build in progress. */
export interface BuildRun {
  deps: BuilderDeps;
  opts: BuildOptions;
  lex: ShellLex;
  out: (s: string) => void;
  /** final image id of each stage built so far, by lower-case name and by index */
  stages: Map<string, string>;
  metaArgs: Map<string, string | undefined>;
  buildArgs: Map<string, string | null>;
  usedArgs: Set<string>;
  /** containers of the current step, removed after it as --rm / --force-rm say */
  pendingContainers: string[];
  /** aborted when the client disconnects */
  signal?: AbortSignal;
}
