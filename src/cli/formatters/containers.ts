/** `docker ps` rows: docker/cli's ContainerContext fields, table columns and Go date format. */
import type { ContainerSummary, Port } from '../../client';
import { ellipsis, renderList, truncateId, type Column } from './table';
import { humanDuration, humanSizeWithPrecision } from './units';

/** Go's time.Time.String() in UTC: `2006-01-02 15:04:05 +0000 UTC`. */
export function goTimeString(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000 UTC`;
}

function joinHostPort(ip: string, port: string): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function comparePorts(a: Port, b: Port): number {
  if (a.PrivatePort !== b.PrivatePort) return a.PrivatePort - b.PrivatePort;
  if ((a.IP ?? '') !== (b.IP ?? '')) return (a.IP ?? '') < (b.IP ?? '') ? -1 : 1;
  if ((a.PublicPort ?? 0) !== (b.PublicPort ?? 0)) return (a.PublicPort ?? 0) - (b.PublicPort ?? 0);
  return a.Type < b.Type ? -1 : a.Type > b.Type ? 1 : 0;
}

/**
 * docker's DisplayablePorts: ports published on the same number are grouped into ranges
 * (`0.0.0.0:80-81->80-81/tcp`, `53/udp`), other host mappings follow one by one.
 */
export function displayablePorts(ports: Port[]): string {
  const groups = new Map<string, { first: number; last: number }>();
  const result: string[] = [];
  const hostMappings: string[] = [];
  const formGroup = (key: string, first: number, last: number) => {
    const slash = key.lastIndexOf('/');
    const ip = slash >= 0 ? key.slice(0, slash) : '';
    const type = slash >= 0 ? key.slice(slash + 1) : key;
    let group = first === last ? `${first}` : `${first}-${last}`;
    if (ip) group = `${joinHostPort(ip, group)}->${group}`;
    return `${group}/${type}`;
  };
  for (const p of [...ports].sort(comparePorts)) {
    const current = p.PrivatePort;
    let key = p.Type;
    if (p.IP) {
      if (p.PublicPort !== current) {
        hostMappings.push(`${joinHostPort(p.IP, String(p.PublicPort ?? 0))}->${p.PrivatePort}/${p.Type}`);
        continue;
      }
      key = `${p.IP}/${p.Type}`;
    }
    const g = groups.get(key);
    if (!g) {
      groups.set(key, { first: current, last: current });
      continue;
    }
    if (current === g.last + 1) {
      g.last = current;
      continue;
    }
    result.push(formGroup(key, g.first, g.last));
    // re-insert so that the key keeps its first-seen position for the final flush
    g.first = current;
    g.last = current;
  }
  for (const [key, g] of groups) result.push(formGroup(key, g.first, g.last));
  return [...result, ...hostMappings].join(', ');
}

function names(c: ContainerSummary, trunc: boolean): string {
  let list = (c.Names ?? []).map((n) => (n.startsWith('/') ? n.slice(1) : n));
  if (trunc) {
    const first = list.find((n) => !n.includes('/'));
    if (first !== undefined) list = [first];
  }
  return list.join(',');
}

function size(c: ContainerSummary): string {
  const rw = humanSizeWithPrecision(c.SizeRw ?? 0, 3);
  if ((c.SizeRootFs ?? 0) > 0) return `${rw} (virtual ${humanSizeWithPrecision(c.SizeRootFs ?? 0, 3)})`;
  return rw;
}

function labels(c: ContainerSummary): string {
  return Object.entries(c.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
}

export function containerContext(c: ContainerSummary, trunc: boolean, now = Date.now()): Record<string, unknown> {
  const image = trunc && c.Image.startsWith('sha256:') ? truncateId(c.Image) : c.Image;
  const command = trunc ? ellipsis(c.Command ?? '', 20) : c.Command ?? '';
  return {
    ID: trunc ? truncateId(c.Id) : c.Id,
    Image: image,
    Command: JSON.stringify(command),
    CreatedAt: goTimeString(c.Created),
    RunningFor: `${humanDuration(now - c.Created * 1000)} ago`,
    Ports: displayablePorts(c.Ports ?? []),
    State: c.State,
    Status: c.Status,
    Size: size(c),
    Names: names(c, trunc),
    Labels: labels(c),
    Mounts: (c.Mounts ?? []).map((m) => (m.Name ? (trunc ? ellipsis(m.Name, 15) : m.Name) : m.Source ?? '')).join(','),
    Networks: Object.keys(c.NetworkSettings?.Networks ?? {}).sort().join(','),
    LocalVolumes: String((c.Mounts ?? []).filter((m) => m.Type === 'volume').length),
    Platform: null,
    Label: (name: string) => (c.Labels ?? {})[name] ?? '',
  };
}

export interface PsFormatOptions { format: string; quiet: boolean; trunc: boolean; size: boolean; now?: number }

export function formatContainers(list: ContainerSummary[], o: PsFormatOptions): string {
  const ctx = (c: ContainerSummary) => containerContext(c, o.trunc, o.now);
  let format = o.format;
  if (o.quiet && !format) format = '{{.ID}}';
  if (o.quiet && format === '{{.ID}}') return list.map((c) => `${o.trunc ? truncateId(c.Id) : c.Id}\n`).join('');
  const col = (header: string, field: string): Column<ContainerSummary> => ({ header, field, value: (c) => String(ctx(c)[field]) });
  const columns = [
    col('CONTAINER ID', 'ID'), col('IMAGE', 'Image'), col('COMMAND', 'Command'), col('CREATED', 'RunningFor'),
    col('STATUS', 'Status'), col('PORTS', 'Ports'), col('NAMES', 'Names'),
  ];
  if (o.size) columns.push(col('SIZE', 'Size'));
  const extra = { CreatedAt: 'CREATED AT', State: 'STATE', Labels: 'LABELS', Mounts: 'MOUNTS', Networks: 'NETWORKS', LocalVolumes: 'LOCAL VOLUMES', Label: 'LABEL' };
  return renderList(list, format, columns, ctx, extra);
}
