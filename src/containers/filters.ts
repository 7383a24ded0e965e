import { invalidParameter } from '../errdefs';
import { type ContainerRecord, parseTime, statusOf } from './record';

const STATUSES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];
const KNOWN = new Set(['ancestor', 'before', 'expose', 'exited', 'health', 'id', 'isolation', 'is-task', 'label', 'name', 'network', 'publish', 'since', 'status', 'volume']);

/** Docker's label filter: "key" (present) or "key=value". */
export function matchLabels(labels: Record<string, string> | null | undefined, wanted: string[] | undefined): boolean {
  if (!wanted?.length) return true;
  const l = labels ?? {};
  return wanted.every((w) => {
    const i = w.indexOf('=');
    if (i < 0) return w in l;
    return l[w.slice(0, i)] === w.slice(i + 1);
  });
}

export interface ListOptions {
  all: boolean;
  limit?: number;
  filters: Map<string, string[]>;
  /** Resolves a container ref for before/since (throws NotFound). */
  resolve: (ref: string) => ContainerRecord;
  /** Whether the container's image matches an ancestor filter value. */
  imageMatches: (c: ContainerRecord, ref: string) => boolean;
}

/** GET /containers/json selection: newest first, Docker's filters, `all` and `limit`. */
export function selectContainers(all: ContainerRecord[], o: ListOptions): ContainerRecord[] {
  for (const k of o.filters.keys()) if (!KNOWN.has(k)) throw invalidParameter(`invalid filter '${k}'`);
  const f = (k: string) => o.filters.get(k);
  for (const s of f('status') ?? []) if (!STATUSES.includes(s)) throw invalidParameter(`invalid filter 'status=${s}'`);
  const exited = (f('exited') ?? []).map((e) => {
    if (!/^-?\d+$/.test(e)) throw invalidParameter(`invalid filter 'exited=${e}'`);
    return Number(e);
  });
  const before = f('before')?.map((r) => parseTime(o.resolve(r).created));
  const since = f('since')?.map((r) => parseTime(o.resolve(r).created));
  const sorted = [...all].sort((a, b) => parseTime(b.created) - parseTime(a.created) || (b.created > a.created ? 1 : -1));
  const out: ContainerRecord[] = [];
  // Docker: a status filter or a limit implies --all.
  const showAll = o.all || !!f('status') || (o.limit !== undefined && o.limit > 0) || !!f('exited');
  for (const c of sorted) {
    const st = statusOf(c.state);
    if (!showAll && st !== 'running' && st !== 'paused' && st !== 'restarting') continue;
    if (f('status') && !f('status')!.includes(st)) continue;
    if (exited.length && (st !== 'exited' || !exited.includes(c.state.ExitCode))) continue;
    if (f('id') && !f('id')!.some((p) => c.id.startsWith(p))) continue;
    if (f('name') && !f('name')!.some((n) => nameMatches(c.name, n))) continue;
    if (!matchLabels(c.config.Labels, f('label'))) continue;
    if (f('ancestor') && !f('ancestor')!.some((a) => o.imageMatches(c, a))) continue;
    const created = parseTime(c.created);
    if (before && !before.every((t) => created < t)) continue;
    if (since && !since.every((t) => created > t)) continue;
    if (f('network') && !f('network')!.includes(c.hostConfig.NetworkMode ?? 'default')) continue;
    if (f('health') && !f('health')!.includes((c.state as { Health?: { Status: string } }).Health?.Status ?? 'none')) continue;
    out.push(c);
    if (o.limit && o.limit > 0 && out.length >= o.limit) break;
  }
  return out;
}

/** Docker matches the name filter as a regular expression against "/name". */
function nameMatches(name: string, pattern: string): boolean {
  try { return new RegExp(pattern).test(name); } catch { return name.includes(pattern); }
}
