import type { RawInstruction } from './dockerfile';
import { BuildCache } from './cache';
import { BUILTIN_ARGS } from './dispatch';
import type { BuildRun } from './run-state';
import { containerLayer, runStep } from './run';
import { type StageState, cacheConfig, commitStep, probeCache, shellOf } from './state';
import { parseJsonArray } from './words';
import { invalidParameter } from '../errdefs';
import { entriesTar } from './copy';
import { Extractor } from '../containers/archive-extract';
import { withRootfs } from './rootfs';
import { mountKeys, runMounts } from './mounts';
import { missingDirs } from './place';
import { mapTarOwners } from '../util/tar-owners';
import { storeIds } from '../containers/userns';

/** Commits a metadata-only step (no layer) under its "#(nop)" comment, or takes it from the cache. */
export async function metaStep(b: BuildRun, st: StageState, comment: string, author?: string): Promise<void> {
  const cmd = [...shellOf(st), `#(nop) `, comment];
  const cc = cacheConfig(st, cmd);
  const key = BuildCache.key(st.imageId, cc);
  if (await probeCache(deps(b), st, key, cc, b.opts.nocache)) return;
  await commitStep(deps(b), st, { containerCmd: cmd, createdBy: cmd.join(' '), key, author });
}

export const deps = (b: BuildRun) => ({ images: b.deps.images, cache: b.deps.cache, out: b.out, cacheFrom: b.opts.cacheFrom, containers: b.deps.containers });

/** WORKDIR: the directory is made now (root, 0755) in a layer of its own, as dockerd does. */
export async function workdirStep(b: BuildRun, st: StageState): Promise<void> {
  const cmd = [...shellOf(st), `#(nop) WORKDIR ${st.config.WorkingDir}`];
  const cc = cacheConfig(st, cmd);
  const key = BuildCache.key(st.imageId, cc);
  if (await probeCache(deps(b), st, key, cc, b.opts.nocache)) return;
  const wd = st.config.WorkingDir!;
  const layer = await withRootfs(b, st, async (root) => {
    const cfs = { root, mounts: [], readonlyRoot: false };
    const entries = await missingDirs(root, wd, { uid: 0, gid: 0 }, new Set());
    if (entries.length) await new Extractor(cfs, '/', { noOverwriteDirNonDir: false, readonlyMessage: 'read-only file system' }).extract(mapTarOwners(entriesTar(entries), storeIds()?.toHost));
  });
  await commitStep(deps(b), st, { containerCmd: cmd, createdBy: cmd.join(' '), key, layer });
}

/** The build args a RUN sees (declared ARGs with values, and given proxy args), not shadowed by ENV. */
function runArgs(b: BuildRun, st: StageState): { env: string[]; keyed: string[] } {
  const envKeys = new Set((st.config.Env ?? []).map((e) => e.split('=', 1)[0]));
  const env: string[] = [];
  const keyed: string[] = [];
  for (const [k, v] of st.args) {
    if (v === undefined || envKeys.has(k)) continue;
    env.push(`${k}=${v}`);
    keyed.push(`${k}=${v}`);
  }
  for (const [k, v] of b.buildArgs) {
    if (!BUILTIN_ARGS.has(k) || st.args.has(k) || v === null || envKeys.has(k)) continue;
    b.usedArgs.add(k);
    env.push(`${k}=${v}`);
  }
  return { env, keyed: keyed.sort() };
}

/** RUN: shell or exec form (heredocs included), in a container, committed as a layer. */
export async function runInstruction(b: BuildRun, st: StageState, ins: RawInstruction): Promise<void> {
  const mounts = ins.flags.filter((f) => f.name === 'mount');
  for (const f of ins.flags) {
    if (f.name !== 'mount' && f.name !== 'network' && f.name !== 'security') throw invalidParameter(`Unknown flag: ${f.name}`);
  }
  let cmd: string[];
  const json = parseJsonArray(ins.args);
  if (json) cmd = json;
  else if (ins.heredocs.length === 1 && /^<<-?\s*["']?\w+["']?\s*$/.test(ins.args.split('\n')[0].trim())) {
    cmd = [...shellOf(st), ins.heredocs[0].content];
  } else if (ins.heredocs.length) {
    const body = ins.heredocs.map((h) => `${h.content}${h.name}`).join('\n');
    cmd = [...shellOf(st), `${ins.args.split('\n')[0]}\n${body}`];
  } else cmd = [...shellOf(st), ins.args];
  const { env, keyed } = runArgs(b, st);
  const saveCmd = keyed.length ? [`|${keyed.length}`, ...keyed, ...cmd] : cmd;
  const cc = cacheConfig(st, saveCmd);
  const specs = mounts.map((m) => m.value ?? '');
  const key = BuildCache.key(st.imageId, specs.length ? { ...cc, mounts: await mountKeys(b, specs) } : cc);
  if (await probeCache(deps(b), st, key, cc, b.opts.nocache)) return;
  const fullEnv = [...(st.config.Env ?? []), ...env];
  const extra = await runMounts(b, specs);
  const hostConfig = { ...b.opts.hostConfig, ...(extra.mounts.length ? { Mounts: extra.mounts } : {}) };
  let r;
  try {
    r = await runStep({ ...deps(b), created: (id) => b.pendingContainers.push(id), signal: b.signal }, st.imageId, st.config, fullEnv, cmd, hostConfig);
  } finally {
    await extra.cleanup();
  }
  if (r.exitCode !== 0) {
    throw Object.assign(new Error(`The command '${cmd.join(' ')}' returned a non-zero code: ${r.exitCode}`), { buildFailure: true });
  }
  const layer = await containerLayer(deps(b), r.containerId);
  await commitStep(deps(b), st, { containerCmd: saveCmd, createdBy: saveCmd.join(' '), key, layer, containerId: r.containerId });
}
