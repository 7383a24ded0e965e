import type { ContainerConfig } from '../api/types';
import { compareVersions } from '../api/version';
import { invalidParameter } from '../errdefs';
import { familiarName, familiarString } from '../util/reference';
import type { ImageRow } from './records';
import { parseStored, type LocalImageService, type StoredConfig } from './service';

/**
 * The API shapes of images: `docker image inspect` (image.InspectResponse) and
 * `GET /images/json` (image.Summary), with their per-version differences, and the list
 * filters (dangling, label, reference, before, since, until).
 */
const lt = (a: string, b: string) => compareVersions(a, b) < 0;

/** Fields API 1.50 dropped from an image's Config (it became Docker's OCI image config). */
const CONTAINER_ONLY_FIELDS = ['Hostname', 'Domainname', 'AttachStdin', 'AttachStdout', 'AttachStderr', 'Tty',
  'OpenStdin', 'StdinOnce', 'Image', 'NetworkDisabled', 'MacAddress', 'StopTimeout'] as const;

function configForApi(cfg: ContainerConfig | undefined, apiVersion: string): object | null {
  if (!cfg) return null;
  if (lt(apiVersion, '1.50')) return cfg;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(cfg)) {
    if ((CONTAINER_ONLY_FIELDS as readonly string[]).includes(k)) continue;
    if (v === null || v === undefined || v === '' || v === false) continue;
    if (Array.isArray(v) && v.length === 0) continue;
    if (typeof v === 'object' && !Array.isArray(v) && Object.keys(v).length === 0) continue;
    out[k] = v;
  }
  return out;
}

export async function inspectImage(s: LocalImageService, ref: string, apiVersion: string): Promise<Record<string, unknown>> {
  const row = s.resolve(ref);
  const rec = s.toRecord(row);
  const cfg = rec.config as StoredConfig;
  const out: Record<string, unknown> = {
    Id: rec.id,
    RepoTags: rec.repoTags,
    RepoDigests: rec.repoDigests,
    Parent: rec.parent,
    Comment: cfg.comment ?? '',
    Created: cfg.created ?? row.created,
  };
  if (lt(apiVersion, '1.45')) {
    out.Container = cfg.container ?? '';
    out.ContainerConfig = cfg.container_config ?? emptyContainerConfigShape();
  }
  out.DockerVersion = cfg.docker_version ?? '';
  out.Author = cfg.author ?? '';
  out.Config = configForApi(cfg.config, apiVersion);
  out.Architecture = cfg.architecture;
  if (cfg.variant) out.Variant = cfg.variant;
  out.Os = cfg.os;
  out.Size = rec.size;
  if (lt(apiVersion, '1.44')) out.VirtualSize = rec.size;
  out.GraphDriver = s.imageGraphDriver(rec.id);
  out.RootFS = { Type: 'layers', Layers: cfg.rootfs?.diff_ids ?? [] };
  out.Metadata = { LastTagTime: s.lastTagTime(rec.id) };
  return out;
}

function emptyContainerConfigShape(): ContainerConfig {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null,
    WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  };
}

/** Docker's timetypes.GetTimestamp subset: RFC 3339 dates, unix seconds, Go durations (ago). */
export function parseTimestamp(v: string, now = Date.now()): number {
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const dur = /^((\d+(\.\d+)?)(ns|us|µs|ms|s|m|h))+$/.exec(v);
  if (dur) {
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60000, h: 3600000 };
    let ms = 0;
    for (const m of v.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * unit[m[2]];
    return now - ms;
  }
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw invalidParameter(`failed to parse value as time or duration: "${v}"`);
  return t;
}

const LIST_FILTERS = new Set(['before', 'dangling', 'label', 'reference', 'since', 'until']);

/** `label=key` or `label=key=value`: true when every one matches. */
export function matchLabels(labels: Record<string, string> | null | undefined, wanted: string[], negate = false): boolean {
  const l = labels ?? {};
  return wanted.every((w) => {
    const i = w.indexOf('=');
    const hit = i < 0 ? w in l : l[w.slice(0, i)] === w.slice(i + 1);
    return negate ? !hit : hit;
  });
}

/** Go's path.Match, as reference filters use it (`*` and `?` do not cross `/`). */
export function globMatch(pattern: string, s: string): boolean {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw invalidParameter('syntax error in pattern');
      const cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
      re += `[${cls}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) { re += '\\' + pattern[++i]; }
    else re += c.replace(/[.+^${}()|\]\\/]/g, '\\$&');
  }
  return new RegExp(re + '$').test(s);
}

export interface ListOptions { all?: boolean; filters?: Map<string, string[]>; apiVersion: string; sharedSize?: boolean }

export function listImages(s: LocalImageService, o: ListOptions): Record<string, unknown>[] {
  const f = o.filters ?? new Map<string, string[]>();
  for (const k of f.keys()) if (!LIST_FILTERS.has(k)) throw invalidParameter(`invalid filter '${k}'`);
  let danglingOnly = false;
  const dangling = f.get('dangling');
  if (dangling) {
    if (dangling.includes('true') || dangling.includes('1')) danglingOnly = true;
    else if (!dangling.every((d) => d === 'false' || d === '0')) throw invalidParameter(`invalid filter 'dangling=${dangling.join(',')}'`);
  }
  const createdOf = (r: ImageRow) => Date.parse(s.config(r.id).created ?? r.created);
  const before = (f.get('before') ?? []).map((x) => createdOf(s.resolve(x)));
  const since = (f.get('since') ?? []).map((x) => createdOf(s.resolve(x)));
  const until = (f.get('until') ?? []).map((x) => parseTimestamp(x));
  const refPatterns = f.get('reference') ?? [];
  const labels = f.get('label') ?? [];

  const layerUse = new Map<string, number>();
  if (o.sharedSize) for (const r of s.records.images()) for (const c of s.layerChain(r.top_layer)) layerUse.set(c, (layerUse.get(c) ?? 0) + 1);

  const out: Record<string, unknown>[] = [];
  // Newest first, as dockerd sorts its summaries
  const rows = s.records.images().sort((a, b) => createdOf(b) - createdOf(a) || b.seq - a.seq);
  for (const row of rows) {
    const created = createdOf(row);
    if (before.some((b) => created >= b) || since.some((x) => created <= x) || until.some((u) => created > u)) continue;
    const cfg = s.config(row.id);
    if (labels.length && !matchLabels(cfg.config?.Labels, labels)) continue;
    let refs = s.records.refsOf(row.id).map((r) => ({ r: parseStored(r.ref), digest: !!r.is_digest }));
    if (refPatterns.length) {
      refs = refs.filter(({ r }) => refPatterns.some((p) => globMatch(p, familiarString(r)) || globMatch(p, familiarName(r))));
      if (!refs.length) continue;
    }
    let repoTags = refs.filter((x) => !x.digest).map((x) => familiarString(x.r));
    let repoDigests = refs.filter((x) => x.digest).map((x) => familiarString(x.r));
    if (repoTags.length === 0 && repoDigests.length === 0) {
      if (!(o.all || s.records.children(row.id).length === 0)) continue;
      if (dangling && !danglingOnly) continue;
      if (lt(o.apiVersion, '1.43')) { repoTags = ['<none>:<none>']; repoDigests = ['<none>@<none>']; }
    } else if (danglingOnly && repoTags.length > 0) continue;
    const shared = o.sharedSize
      ? s.layerChain(row.top_layer).filter((c) => (layerUse.get(c) ?? 0) > 1).reduce((n, c) => n + (s.records.layer(c)?.size ?? 0), 0)
      : -1;
    const item: Record<string, unknown> = {
      Containers: -1,
      Created: Math.floor(created / 1000),
      Id: row.id,
      Labels: cfg.config?.Labels ?? null,
      ParentId: row.parent,
      RepoDigests: repoDigests,
      RepoTags: repoTags,
      SharedSize: shared,
      Size: row.size,
    };
    if (lt(o.apiVersion, '1.44')) item.VirtualSize = row.size;
    out.push(item);
  }
  return out;
}
