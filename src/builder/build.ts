import { BerthError, invalidParameter, notFound } from '../errdefs';
import { familiarString, parseRepoTag } from '../util/reference';
import { shortId } from '../util/ids';
import { parseDockerfile, parseLine, KNOWN, type RawInstruction } from './dockerfile';
import { validateInstruction } from './validate';
import { dispatch } from './dispatch';
import type { BuildOptions, BuildRun, BuilderDeps } from './run-state';
import { ShellLex } from './shell-lex';
import { type StageState, newStage, stepDone } from './state';
import { parseWords } from './words';

/**
 * The classic builder's run of a Dockerfile: meta ARGs, then each stage up to --target
 * (stages the target does not need are skipped), each instruction a numbered step that
 * commits an image, with the JSON stream lines dockerd writes.
 */
export interface Stage { name: string; from: RawInstruction; instructions: RawInstruction[]; index: number }

export interface BuildResult { imageId: string }

export interface StreamOut { stream(s: string): void; aux(o: object): void; progress?(o: object): void }

function splitStages(all: RawInstruction[], escape: string): { meta: RawInstruction[]; stages: Stage[] } {
  const meta: RawInstruction[] = [];
  const stages: Stage[] = [];
  for (const ins of all) {
    validateInstruction(ins, escape);
    if (ins.cmd === 'from') {
      const w = parseWords(ins.args, escape);
      const name = w.length === 3 ? w[2].toLowerCase() : '';
      if (name && stages.some((s) => s.name === name)) throw invalidParameter(`duplicate name ${name}`);
      stages.push({ name, from: ins, instructions: [], index: stages.length });
      continue;
    }
    if (!stages.length) {
      if (ins.cmd !== 'arg') throw invalidParameter('no build stage in current context');
      meta.push(ins);
      continue;
    }
    stages[stages.length - 1].instructions.push(ins);
  }
  if (!stages.length) throw invalidParameter('no build stage in current context');
  return { meta, stages };
}

/** Stages the target needs (FROM <stage>, COPY --from=<stage|index>), in order. */
function neededStages(stages: Stage[], targetIdx: number): Stage[] {
  const need = new Set<number>([targetIdx]);
  for (let i = targetIdx; i >= 0; i--) {
    if (!need.has(i)) continue;
    const s = stages[i];
    const refs = [parseWords(s.from.args)[0].toLowerCase(), ...s.instructions.flatMap((ins) => ins.flags.filter((f) => f.name === 'from').map((f) => (f.value ?? '').toLowerCase()))];
    for (const r of refs) {
      const j = /^\d+$/.test(r) ? Number(r) : stages.findIndex((x) => x.name === r);
      if (j >= 0 && j < i) need.add(j);
    }
  }
  return stages.filter((s) => need.has(s.index));
}

/** The parsed and checked Dockerfile and the stages to build (parse errors throw here, before any output). */
export interface BuildPlan { escape: string; meta: RawInstruction[]; built: Stage[]; total: number }

export function planBuild(opts: Pick<BuildOptions, 'dockerfile' | 'target' | 'labels'>): BuildPlan {
  const parsed = parseDockerfile(opts.dockerfile);
  const { meta, stages } = splitStages(parsed.instructions, parsed.escape);
  let targetIdx = stages.length - 1;
  if (opts.target) {
    targetIdx = stages.findIndex((s) => s.name === opts.target.toLowerCase());
    if (targetIdx < 0) throw invalidParameter(`failed to reach build target ${opts.target} in Dockerfile`);
  }
  const built = neededStages(stages, targetIdx);
  const labelKeys = Object.keys(opts.labels).sort();
  if (labelKeys.length) {
    const line = `LABEL ${labelKeys.map((k) => `${JSON.stringify(k)}='${opts.labels[k]}'`).join(' ')}`;
    built[built.length - 1].instructions.push(parseLine(line));
  }
  const total = meta.length + built.reduce((n, s) => n + 1 + s.instructions.length, 0);
  return { escape: parsed.escape, meta, built, total };
}

export async function runBuild(deps: BuilderDeps, opts: BuildOptions, w: StreamOut, plan: BuildPlan = planBuild(opts)): Promise<BuildResult> {
  const { meta, built, total } = plan;
  const parsed = { escape: plan.escape };
  const out = (s: string) => { if (!opts.quiet) w.stream(s); };
  const b: BuildRun = {
    deps, opts, lex: new ShellLex(parsed.escape), out, stages: new Map(), metaArgs: new Map(), buildArgs: opts.buildArgs,
    usedArgs: new Set(), pendingContainers: [], signal: opts.signal,
  };
  let step = 0;
  const print = (ins: RawInstruction) => out(`Step ${++step}/${total} : ${ins.original}\n`);
  for (const ins of meta) {
    print(ins);
    for (const word of parseWords(ins.args, parsed.escape)) {
      const eq = word.indexOf('=');
      const name = eq < 0 ? word : word.slice(0, eq);
      const def = eq < 0 ? undefined : b.lex.word(word.slice(eq + 1), metaEnv(b));
      const given = b.buildArgs.get(name);
      b.metaArgs.set(name, given !== undefined && given !== null ? given : def);
    }
  }
  let st: StageState | undefined;
  const copiesContext = built.some((s) => s.instructions.some((i) => (i.cmd === 'copy' || i.cmd === 'add') && !i.flags.some((f) => f.name === 'from')));
  try {
    for (const stage of built) {
      print(stage.from);
      st = await fromStage(b, stage, w);
      stepDone(deps0(b), st);
      for (const ins of stage.instructions) {
        if (opts.signal?.aborted) throw new Error('build cancelled: the client went away');
        print(ins);
        const t0 = Date.now();
        await step1(b, st, ins);
        deps.log.debug(`build step ${ins.cmd}: ${Date.now() - t0} ms`);
        // once a step missed, the stage's later COPY/ADD miss too: their files are written
        // out meanwhile (a build that hits the cache never writes them)
        if (st.cacheBusted && copiesContext) b.opts.context.materialize().catch(() => undefined);
        stepDone(deps0(b), st);
      }
      b.stages.set(String(stage.index), st.imageId);
      if (stage.name) b.stages.set(stage.name, st.imageId);
      if (st.imageId) w.aux({ ID: st.imageId });
    }
  } catch (e) {
    if (opts.forcerm) await removeContainers(b);
    throw e;
  }
  const unused = [...b.buildArgs.keys()].filter((k) => !b.usedArgs.has(k) && !b.metaArgs.has(k)).sort();
  if (unused.length) out(`[Warning] One or more build-args [${unused.join(' ')}] were not consumed\n`);
  if (!st || !st.imageId) throw invalidParameter('No image was generated. Is your Dockerfile empty?');
  return { imageId: st.imageId };
}

const deps0 = (b: BuildRun) => ({ images: b.deps.images, cache: b.deps.cache, out: b.out, cacheFrom: b.opts.cacheFrom });

function metaEnv(b: BuildRun): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of b.metaArgs) if (v !== undefined) m.set(k, v);
  return m;
}

async function removeContainers(b: BuildRun): Promise<void> {
  for (const id of b.pendingContainers.splice(0)) {
    await b.deps.containers.remove(id, { force: true, volumes: true }).catch((e) => b.deps.log.warn(`build: remove ${id}: ${String(e)}`));
    b.out(`Removing intermediate container ${shortId(id)}\n`);
  }
}

/** One step with the --rm rule: the step's containers go after it succeeded (or always with --force-rm). */
async function step1(b: BuildRun, st: StageState, ins: RawInstruction): Promise<void> {
  try {
    await dispatch(b, st, ins);
  } catch (e) {
    if (b.opts.forcerm) await removeContainers(b);
    else b.pendingContainers.length = 0;
    throw e;
  }
  if (b.opts.rm || b.opts.forcerm) await removeContainers(b);
  else b.pendingContainers.length = 0;
}

async function fromStage(b: BuildRun, stage: Stage, w: StreamOut): Promise<StageState> {
  const words = parseWords(stage.from.args);
  const baseName = b.lex.word(words[0], metaEnv(b));
  if (!baseName) throw invalidParameter(`base name (${words[0]}) should not be blank`);
  const platformFlag = stage.from.flags.find((f) => f.name === 'platform')?.value;
  const fromStageImg = b.stages.get(baseName.toLowerCase());
  let st: StageState;
  if (fromStageImg !== undefined && !/^\d+$/.test(baseName)) {
    st = newStage(stage.name, stage.index, fromStageImg, b.deps.images.config(fromStageImg));
  } else if (baseName.toLowerCase() === 'scratch') {
    st = newStage(stage.name, stage.index, '', null);
  } else {
    const local = () => { try { return b.deps.images.get(baseName); } catch (e) { if (e instanceof BerthError && e.kind === 'NotFound') return undefined; throw e; } };
    const wanted = platformFlag ? b.lex.word(platformFlag, metaEnv(b)) : b.opts.platform;
    const fits = (id: string) => {
      if (!wanted) return true;
      const c = b.deps.images.config(id);
      const [os, arch, variant] = wanted.toLowerCase().split('/');
      return os === c.os && (!arch || arch === c.architecture) && (!variant || variant === c.variant);
    };
    let img = b.opts.pull ? undefined : local();
    // a local image of another platform is not used: dockerd pulls the wanted one
    if (img && !fits(img.id)) img = undefined;
    if (!img) {
      if (!b.deps.pull) throw notFound(`No such image: ${familiarString(parseRepoTag(baseName))}`);
      await b.deps.pull(baseName, (line) => { if (!b.opts.quiet) w.progress?.(line); }, wanted || undefined);
      img = local();
      if (!img) throw notFound(`No such image: ${familiarString(parseRepoTag(baseName))}`);
    }
    const cfg = b.deps.images.config(img.id);
    if (!fits(img.id)) {
      const actual = [cfg.os, cfg.architecture, cfg.variant].filter(Boolean).join('/');
      throw invalidParameter(`image with reference ${baseName} was found but does not match the specified platform: wanted ${wanted}, actual: ${actual}`);
    }
    st = newStage(stage.name, stage.index, img.id, cfg);
  }
  const triggers = st.config.OnBuild ?? [];
  if (triggers.length) {
    b.out(`# Executing ${triggers.length} build trigger${triggers.length > 1 ? 's' : ''}\n`);
    st.config.OnBuild = null;
    for (const t of triggers) {
      const ins = parseLine(t, b.lex.escape);
      if (!KNOWN.has(ins.cmd)) throw invalidParameter(`unknown instruction: ${ins.cmd.toUpperCase()}`);
      await step1(b, st, ins);
    }
  } else if (st.config.OnBuild) st.config.OnBuild = null;
  return st;
}
