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

function portKey(p: Port): string {
  return `${p.IP ?? ''}|${p.Type}|${p.PublicPort === undefined ? 'u' : 'p'}`;
}

/** docker's DisplayablePorts: `0.0.0.0:8080->80/tcp, 53/udp`, with consecutive ports as ranges. */
export function displayablePorts(ports: Port[]): string {
  type Group = { first: Port; last: Port; lastPriv: number; lastPub?: number };
  const sorted = [...ports].sort((a, b) =>
    (a.Type ?? '').localeCompare(b.Type ?? '') || (a.IP ?? '').localeCompare(b.IP ?? '') ||
    (a.PublicPort ?? 0) - (b.PublicPort ?? 0) || a.PrivatePort - b.PrivatePort);
  const groups: Group[] = [];
  for (const p of sorted) {
    const g = groups[groups.length - 1];
    if (g && portKey(g.first) === portKey(p) && p.PrivatePort === g.lastPriv + 1 &&
      (p.PublicPort === undefined || p.PublicPort === (g.lastPub ?? -2) + 1)) {
      g.last = p;
      g.lastPriv = p.PrivatePort;
      g.lastPub = p.PublicPort;
      continue;
    }
    groups.push({ first: p, last: p, lastPriv: p.PrivatePort, lastPub: p.PublicPort });
  }
  const range = (a: number, b: number) => (a === b ? `${a}` : `${a}-${b}`);
  return groups.map((g) => {
    const priv = `${range(g.first.PrivatePort, g.last.PrivatePort)}/${g.first.Type}`;
    if (g.first.PublicPort === undefined) return priv;
    const ip = g.first.IP ?? '';
    const host = ip.includes(':') ? `[${ip}]` : ip;
    return `${host}:${range(g.first.PublicPort, g.last.PublicPort ?? g.first.PublicPort)}->${priv}`;
  }).join(', ');
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

export interface PsFormatOptions { format: string; quiet: boolean; trunc: boolean; size: boolean }

export function formatContainers(list: ContainerSummary[], o: PsFormatOptions): string {
  const ctx = (c: ContainerSummary) => containerContext(c, o.trunc);
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
