import { createHash } from 'node:crypto';
import { invalidParameter } from '../errdefs';
import { BuildCache } from './cache';
import { resolveSources, sourceChecksum, tarsumHeader, type Source } from './copy';
import type { RawInstruction } from './dockerfile';
import { expansionEnv, normalizePath } from './dispatch';
import { type Fetched, fetchUrl, parseChmod, parseChown, placeSources } from './place';
import { withImageRoot, withRootfs } from './rootfs';
import type { BuildRun } from './run-state';
import { type StageState, cacheConfig, commitStep, probeCache, shellOf } from './state';
import { deps } from './steps';
import { parseJsonArray, parseWords } from './words';

const isUrl = (s: string) => /^https?:\/\//i.test(s);

/**
 * COPY and ADD: sources from the context, a heredoc, a URL (ADD) or another stage/image
 * (--from); cached under their checksum; placed through a writable root of the image.
 */
export async function copyStep(b: BuildRun, st: StageState, ins: RawInstruction, isAdd: boolean): Promise<void> {
  const name = isAdd ? 'ADD' : 'COPY';
  const env = expansionEnv(st);
  const flag = (n: string) => ins.flags.find((f) => f.name === n)?.value ?? undefined;
  const heredocNames = new Set(ins.heredocs.map((h) => `<<${h.name}`));
  const rawWords = parseJsonArray(ins.args) ?? parseWords(ins.args.split('\n')[0], b.lex.escape);
  const words = rawWords.map((w) => (heredocNames.has(w.replace(/["']/g, '').replace(/^<<-/, '<<')) ? w : b.lex.word(w, env)));
  if (words.length < 2) throw invalidParameter(`${name} requires at least two arguments, but only one was provided. Destination could not be determined.`);
  const destRaw = words[words.length - 1];
  const srcWords = words.slice(0, -1);
  const from = flag('from') !== undefined ? b.lex.word(flag('from')!, env) : undefined;
  const chown = flag('chown') !== undefined ? b.lex.word(flag('chown')!, env) : undefined;
  const chmod = flag('chmod') !== undefined ? parseChmod(flag('chmod')!) : undefined;
  if (isAdd && from !== undefined) throw invalidParameter('ADD does not support the --from flag');

  const base = st.config.WorkingDir || '/';
  const destIsDir = /\/$/.test(destRaw) || destRaw === '.' || /\/\.$/.test(destRaw);
  let dest = normalizePath(destRaw.startsWith('/') ? destRaw : `${base}/${destRaw}`);
  if (dest === '') dest = '/';

  const run = async (srcRoot: string, fromContext: boolean): Promise<void> => {
    const heredocs = ins.heredocs.filter((h) => srcWords.some((w) => w.replace(/["']/g, '').replace(/^<<-/, '<<') === `<<${h.name}`));
    const urls = isAdd ? srcWords.filter(isUrl) : [];
    const local = srcWords.filter((w) => !isUrl(w) && !heredocNames.has(w.replace(/["']/g, '').replace(/^<<-/, '<<')));
    // from the context, the sources and their checksum come from the tar's entry list when
    // there is one; the files are written out only when the step misses the cache
    const view = fromContext ? b.opts.context.view : undefined;
    let sources: Source[] = local.length ? await resolveSources(srcRoot, local, fromContext, view) : [];
    const fetched: Fetched[] = [];
    for (const u of urls) fetched.push(await fetchUrl(u));
    for (const h of heredocs) fetched.push({ name: h.name, data: Buffer.from(h.expand ? b.lex.word(`"${h.content.replace(/"/g, '\\"')}"`, env) : h.content), mtime: new Date() });
    const count = sources.length + fetched.length;
    if (count > 1 && !destIsDir) throw invalidParameter(`When using ${name} with more than one source file, the destination must be a directory and end with a /`);
    const tSum = Date.now();
    const sums: string[] = [];
    const known = fromContext ? { root: b.opts.context.dir, hashes: b.opts.context.hashes, view } : undefined;
    for (const s of sources) sums.push(await sourceChecksum(s, known, !fromContext));
    for (const f of fetched) sums.push(`file:${createHash('sha256').update(tarsumHeader(f.name, 0o600, 0, 0, f.data.length, '0')).update(f.data).digest('hex')}`);
    const hash = sums.length === 1 ? sums[0] : `multi:${createHash('sha256').update(sums.join(',')).digest('hex')}`;
    const flags = [chown !== undefined ? `--chown=${chown}` : '', chmod !== undefined ? `--chmod=${flag('chmod')}` : '', from !== undefined ? `--from=${from}` : ''].filter(Boolean).join(' ');
    b.deps.log.debug(`build copy checksum ${Date.now() - tSum} ms`);
    // dockerd's comment: one argument after the shell, --chown glued to the checksum, other flags not in it (they still key the cache)
    const cmd = [...shellOf(st), `#(nop) ${name} ${chown !== undefined ? `--chown=${chown}` : ''}${hash} in ${destRaw} `];
    const cc = cacheConfig(st, cmd);
    const key = BuildCache.key(st.imageId, flags ? { ...cc, flags } : cc);
    if (await probeCache(deps(b), st, key, cc, b.opts.nocache)) return;
    if (fromContext && local.length) {
      await b.opts.context.materialize();
      if (view) sources = await resolveSources(srcRoot, local, true);
    }
    const layer = await withRootfs(b, st, async (root) => {
      const identity = chown !== undefined ? parseChown(root, chown) : undefined;
      await placeSources({ root, dest, destIsDir: destIsDir || count > 1, identity, chmod, extract: isAdd && from === undefined }, sources, fetched);
    });
    await commitStep(deps(b), st, { containerCmd: cmd, createdBy: cmd.join(' '), key, layer });
  };

  try {
    await copyFrom(b, from, run);
  } catch (e) {
    if (e instanceof Error && !e.message.startsWith(`${name} failed`)) e.message = `${name} failed: ${e.message}`;
    throw e;
  }
}

async function copyFrom(b: BuildRun, from: string | undefined, run: (root: string, fromContext: boolean) => Promise<void>): Promise<void> {
  if (from === undefined) return run(b.opts.context.dir, true);
  const stageImage = b.stages.get(from.toLowerCase());
  let imageId = stageImage;
  if (!imageId) {
    try { imageId = b.deps.images.get(from).id; } catch {
      throw invalidParameter(`invalid from flag value ${from}: No such image: ${from}`);
    }
  }
  await withImageRoot(b, imageId, (root) => run(root, false));
}
