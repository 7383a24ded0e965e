import type { ContainerConfig } from '../api/types';
import { ENGINE_VERSION } from '../api/version';
import type { UnpackedLayer } from '../images/commit';
import { commitChildImage } from '../images/child';
import { emptyContainerConfig, hostArch } from '../images/import';
import type { LocalImageService, StoredConfig } from '../images/service';
import { shortId } from '../util/ids';
import { BuildCache } from './cache';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
export const DEFAULT_SHELL = ['/bin/sh', '-c'];

/** Where one stage stands: the image so far and the run config the next step starts from. */
export interface StageState {
  name: string;
  index: number;
  imageId: string;
  image: StoredConfig;
  config: ContainerConfig;
  /** ARGs declared in this stage, with their value (undefined: declared without one) */
  args: Map<string, string | undefined>;
  /** CMD was set in this stage (ENTRYPOINT then keeps it) */
  cmdSet: boolean;
  cacheBusted: boolean;
}

export function newStage(name: string, index: number, imageId: string, base: StoredConfig | null, platform?: { os: string; architecture: string }): StageState {
  const config: ContainerConfig = base?.config ? structuredClone(base.config) : emptyContainerConfig();
  if (!(config.Env ?? []).some((e) => e.startsWith('PATH='))) config.Env = [...(config.Env ?? []), DEFAULT_PATH];
  const image: StoredConfig = base ? structuredClone(base) : {
    architecture: platform?.architecture ?? hostArch(), os: platform?.os ?? 'linux', rootfs: { type: 'layers', diff_ids: [] }, history: [],
  } as StoredConfig;
  return { name, index, imageId, image, config, args: new Map(), cmdSet: false, cacheBusted: false };
}

export const shellOf = (st: StageState): string[] => (st.config.Shell?.length ? st.config.Shell : DEFAULT_SHELL);

/** Go's %q of a []string: ["a" "b"]. */
export const goQuote = (a: string[] | null | undefined): string => `[${(a ?? []).map((s) => JSON.stringify(s)).join(' ')}]`;

export interface CommitDeps { images: LocalImageService; cache: BuildCache; out: (s: string) => void; cacheFrom: string[] }

/** The container config a step is cached under (what the classic builder compares). */
export function cacheConfig(st: StageState, cmd: string[]): ContainerConfig {
  const c = { ...st.config, Cmd: cmd } as ContainerConfig;
  delete c.Image;
  delete c.Hostname;
  return c;
}

/** Looks the step up in the cache (and in --cache-from images); prints " ---> Using cache". */
export async function probeCache(d: CommitDeps, st: StageState, key: string, cc: ContainerConfig, nocache: boolean): Promise<boolean> {
  if (nocache || st.cacheBusted) return false;
  let hit = d.cache.get(key);
  if (hit && !d.images.records.image(hit)) hit = undefined;
  if (!hit && d.cacheFrom.length) hit = fromCacheImages(d, st, cc) ?? await fromCacheHistory(d, st, (cc.Cmd ?? []).join(' '));
  if (!hit) { st.cacheBusted = true; return false; }
  d.out(' ---> Using cache\n');
  adopt(d, st, hit);
  return true;
}

/**
 * --cache-from, as dockerd's image cache for build sources: first an image in a source's
 * parent chain (built here) with this parent and step; then, for sources without that chain
 * (loaded or pulled), a source whose history and layers start with the current image's and
 * whose next history entry was made by this step: the source itself when that entry is its
 * last, else an image restored from its layers up to that entry.
 */
function fromCacheImages(d: CommitDeps, st: StageState, cc: ContainerConfig): string | undefined {
  const parent = st.imageId;
  const want = JSON.stringify(normalize(cc));
  for (const ref of d.cacheFrom) {
    let id: string | undefined;
    try { id = d.images.get(ref).id; } catch { continue; }
    for (let i = 0; id && i < 1000; i++) {
      const row = d.images.records.image(id);
      if (!row) break;
      if (row.parent === parent) {
        const c = d.images.config(id).container_config;
        if (c) {
          const cmp = { ...c };
          delete cmp.Image;
          delete cmp.Hostname;
          if (JSON.stringify(normalize(cmp)) === want) return id;
        }
      }
      id = row.parent || undefined;
    }
  }
  return undefined;
}

/** The history-based half of --cache-from (see fromCacheImages); may commit a restored image. */
async function fromCacheHistory(d: CommitDeps, st: StageState, createdBy: string): Promise<string | undefined> {
  const ph = st.image.history ?? [];
  const pd = st.image.rootfs?.diff_ids ?? [];
  for (const ref of d.cacheFrom) {
    let id: string;
    try { id = d.images.get(ref).id; } catch { continue; }
    const t = d.images.config(id);
    const th = t.history ?? [];
    const td = t.rootfs?.diff_ids ?? [];
    if (th.length <= ph.length || td.length < pd.length) continue;
    if (!ph.every((h, i) => JSON.stringify(h) === JSON.stringify(th[i])) || !pd.every((x, i) => x === td[i])) continue;
    const h = th[ph.length];
    if ((h.created_by ?? '') !== createdBy) continue;
    if (th.length === ph.length + 1) return id;
    const layers = th.slice(0, ph.length + 1).filter((x) => !x.empty_layer).length;
    const existing = h.empty_layer ? undefined : td[layers - 1];
    const file = {
      ...(t.author ? { author: t.author } : {}), architecture: t.architecture, config: { ...st.config, Image: st.imageId },
      created: h.created, docker_version: t.docker_version, history: [...ph, h], os: t.os,
      rootfs: { type: 'layers', diff_ids: existing ? [...pd, existing] : pd },
    };
    return commitChildImage(d.images, { config: Buffer.from(JSON.stringify(file)), parent: st.imageId, existingDiffId: existing });
  }
  return undefined;
}

function normalize(c: ContainerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(c).sort()) out[k] = (c as Record<string, unknown>)[k];
  return out;
}

/** Moves the stage onto an existing image (cache hit). */
export function adopt(d: CommitDeps, st: StageState, imageId: string): void {
  const cfg = d.images.config(imageId);
  st.imageId = imageId;
  st.image = structuredClone(cfg);
  // the run config stays the dispatcher's: it already holds this step's change (an image
  // restored from --cache-from history may carry another Cmd in its own config)
}

/**
 * Commits the stage's run config (and an optional new layer) as a child image of the
 * current one; `containerCmd` is what the step's container ran (or the #(nop) comment).
 */
export async function commitStep(d: CommitDeps, st: StageState, o: { containerCmd: string[]; createdBy: string; layer?: UnpackedLayer; key: string; containerId?: string; author?: string }): Promise<void> {
  const now = new Date().toISOString();
  const config: ContainerConfig = { ...st.config, Image: st.imageId };
  const containerConfig: ContainerConfig = { ...st.config, Image: st.imageId, Cmd: o.containerCmd };
  if (o.containerId) { config.Hostname = o.containerId.slice(0, 12); containerConfig.Hostname = o.containerId.slice(0, 12); }
  const history = [...(st.image.history ?? []), { created: now, created_by: o.createdBy, ...(o.layer ? {} : { empty_layer: true }) }];
  const diffIds = [...(st.image.rootfs?.diff_ids ?? []), ...(o.layer ? [o.layer.diffId] : [])];
  const author = o.author ?? st.image.author;
  const file = {
    ...(author ? { author } : {}),
    architecture: st.image.architecture,
    config,
    container: o.containerId ?? '',
    container_config: containerConfig,
    created: now,
    docker_version: ENGINE_VERSION,
    history,
    os: st.image.os,
    ...(st.image.variant ? { variant: st.image.variant } : {}),
    rootfs: { type: 'layers', diff_ids: diffIds },
  };
  const id = await commitChildImage(d.images, { config: Buffer.from(JSON.stringify(file)), parent: st.imageId, layer: o.layer });
  d.cache.put(o.key, id, o.layer?.size ?? 0);
  st.imageId = id;
  st.image = file as unknown as StoredConfig;
}

/** " ---> <short id>" after a step. */
export const stepDone = (d: CommitDeps, st: StageState): void => d.out(` ---> ${st.imageId ? shortId(st.imageId) : ''}\n`);
