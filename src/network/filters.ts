import { invalidParameter } from '../errdefs';
import type { NetworkRecord } from './types';

const KEYS = new Set(['driver', 'id', 'label', 'label!', 'name', 'scope', 'type', 'dangling', 'until']);

function labelMatch(labels: Record<string, string>, f: string): boolean {
  const eq = f.indexOf('=');
  if (eq < 0) return f in labels;
  return labels[f.slice(0, eq)] === f.slice(eq + 1);
}

/** GET /networks and prune filters, with dockerd's semantics (each key ORs its values, keys AND). */
export function filterNetworks(nets: NetworkRecord[], filters: Map<string, string[]>, inUse: (n: NetworkRecord) => boolean): NetworkRecord[] {
  for (const k of filters.keys()) if (!KEYS.has(k)) throw invalidParameter(`invalid filter '${k}'`);
  const builtin = (n: NetworkRecord) => n.isDefault || n.driver !== 'bridge';
  for (const t of filters.get('type') ?? []) if (t !== 'custom' && t !== 'builtin') throw invalidParameter(`invalid filter: 'type'='${t}'`);
  const until = filters.get('until')?.map((u) => (/^\d+(\.\d+)?$/.test(u) ? Number(u) * 1000 : Date.parse(u)));
  return nets.filter((n) => {
    const any = (k: string, fn: (v: string) => boolean) => { const v = filters.get(k); return !v?.length || v.some(fn); };
    return any('driver', (v) => n.driver === v)
      && any('id', (v) => n.id.startsWith(v))
      && any('name', (v) => n.name.includes(v))
      && any('scope', (v) => v === 'local')
      && any('type', (v) => (v === 'builtin') === builtin(n))
      && any('dangling', (v) => (/^(1|true)$/i.test(v)) === (!builtin(n) && !inUse(n)))
      && (filters.get('label') ?? []).every((l) => labelMatch(n.labels, l))
      && !(filters.get('label!') ?? []).some((l) => labelMatch(n.labels, l))
      && (!until || until.every((t) => Date.parse(n.created.replace(/\.(\d{3})\d*Z$/, '.$1Z')) < t));
  });
}
