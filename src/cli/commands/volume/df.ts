import type { ContainerSummary, ImageSummary } from '../../../client';
import { type DiskUsage, systemDf as fetchDf } from '../../../client/volumes';
import { FORMAT_USAGE_TABLE, type CommandDef } from '../../command';
import { containerContext } from '../../formatters/containers';
import { imageRows } from '../../formatters/images';
import { truncateId } from '../../formatters/table';
import { renderList, type Column } from '../../formatters/table';
import { humanDuration, humanSize, humanSizeWithPrecision } from '../../formatters/units';

interface Row { Type: string; TotalCount: string; Active: string; Size: string; Reclaimable: string }

const pct = (part: number, total: number) => (total > 0 ? `${humanSize(part)} (${Math.floor((part * 100) / total)}%)` : humanSize(part));
const isActive = (state: string) => ['running', 'paused', 'restarting'].some((s) => state.includes(s));

/** The summary rows, computed as the docker CLI's disk usage contexts do. */
export function dfRows(du: DiskUsage): Row[] {
  const images = du.Images ?? [];
  const total = du.LayersSize ?? 0;
  let used = 0;
  for (const i of images) if (i.Containers !== 0 && i.Size !== -1 && i.SharedSize !== -1) used += i.Size - i.SharedSize;
  const containers = du.Containers ?? [];
  const cSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const cFree = containers.filter((c) => !isActive(c.State)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const vols = du.Volumes ?? [];
  const vSize = vols.reduce((n, v) => n + (v.UsageData && v.UsageData.Size > 0 ? v.UsageData.Size : 0), 0);
  const vFree = vols.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + (v.UsageData && v.UsageData.Size > 0 ? v.UsageData.Size : 0), 0);
  const bc = du.BuildCache ?? [];
  const bSize = bc.filter((b) => !b.Shared).reduce((n, b) => n + b.Size, 0);
  const bFree = bc.filter((b) => !b.Shared && !b.InUse).reduce((n, b) => n + b.Size, 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(total), Reclaimable: pct(total - used, total) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter((c) => isActive(c.State)).length), Size: humanSize(cSize), Reclaimable: pct(cFree, cSize) },
    { Type: 'Local Volumes', TotalCount: String(vols.length), Active: String(vols.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(vSize), Reclaimable: pct(vFree, vSize) },
    { Type: 'Build Cache', TotalCount: String(bc.length), Active: String(bc.filter((b) => b.InUse).length), Size: humanSize(bSize), Reclaimable: humanSize(bFree) },
  ];
}

function verbose(du: DiskUsage, now: number): string {
  let out = 'Images space usage:\n\n';
  const irows = imageRows((du.Images ?? []) as unknown as ImageSummary[]);
  const ictx = (r: (typeof irows)[number]): Record<string, unknown> => ({
    Repository: r.repo, Tag: r.tag, ID: truncateId(r.image.Id), CreatedSince: `${humanDuration(now - r.image.Created * 1000)} ago`,
    Size: humanSizeWithPrecision(r.image.Size, 3), SharedSize: r.image.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(r.image.SharedSize, 3),
    UniqueSize: r.image.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(r.image.Size - r.image.SharedSize, 3), Containers: String(r.image.Containers),
  });
  const icol = (h: string, f: string): Column<(typeof irows)[number]> => ({ header: h, field: f, value: (r) => String(ictx(r)[f]) });
  out += renderList(irows, '', [icol('REPOSITORY', 'Repository'), icol('TAG', 'Tag'), icol('IMAGE ID', 'ID'), icol('CREATED', 'CreatedSince'),
    icol('SIZE', 'Size'), icol('SHARED SIZE', 'SharedSize'), icol('UNIQUE SIZE', 'UniqueSize'), icol('CONTAINERS', 'Containers')], ictx);
  out += '\nContainers space usage:\n\n';
  const cs = (du.Containers ?? []) as unknown as ContainerSummary[];
  const cctx = (c: ContainerSummary) => ({ ...containerContext(c, true, now), Size: humanSize(c.SizeRw ?? 0) });
  const ccol = (h: string, f: string): Column<ContainerSummary> => ({ header: h, field: f, value: (c) => String(cctx(c)[f as keyof ReturnType<typeof cctx>]) });
  out += renderList(cs, '', [ccol('CONTAINER ID', 'ID'), ccol('IMAGE', 'Image'), ccol('COMMAND', 'Command'), ccol('LOCAL VOLUMES', 'LocalVolumes'),
    ccol('SIZE', 'Size'), ccol('CREATED', 'RunningFor'), ccol('STATUS', 'Status'), ccol('NAMES', 'Names')], cctx);
  out += '\nLocal Volumes space usage:\n\n';
  const vols = du.Volumes ?? [];
  type V = (typeof vols)[number];
  const vctx = (v: V) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: v.UsageData && v.UsageData.Size >= 0 ? humanSize(v.UsageData.Size) : 'N/A' });
  const vcol = (h: string, f: 'Name' | 'Links' | 'Size'): Column<V> => ({ header: h, field: f, value: (v) => vctx(v)[f] });
  out += renderList(vols, '', [vcol('VOLUME NAME', 'Name'), vcol('LINKS', 'Links'), vcol('SIZE', 'Size')], vctx);
  const bc = du.BuildCache ?? [];
  out += `\nBuild cache usage: ${humanSize(bc.reduce((n, b) => n + b.Size, 0))}\n\n`;
  type B = (typeof bc)[number];
  const bctx = (b: B) => ({
    ID: b.ID, CacheType: b.Type, Size: humanSize(b.Size), CreatedSince: `${humanDuration(now - Date.parse(b.CreatedAt))} ago`,
    LastUsedSince: b.LastUsedAt ? `${humanDuration(now - Date.parse(b.LastUsedAt))} ago` : '', UsageCount: String(b.UsageCount), Shared: String(b.Shared),
  });
  const bcol = (h: string, f: keyof ReturnType<typeof bctx>): Column<B> => ({ header: h, field: f, value: (b) => bctx(b)[f] });
  out += renderList(bc, '', [bcol('CACHE ID', 'ID'), bcol('CACHE TYPE', 'CacheType'), bcol('SIZE', 'Size'), bcol('CREATED', 'CreatedSince'),
    bcol('LAST USED', 'LastUsedSince'), bcol('USAGE', 'UsageCount'), bcol('SHARED', 'Shared')], bctx);
  return out;
}

export const systemDf: CommandDef = {
  path: 'system df',
  use: 'df [OPTIONS]',
  short: 'Show berth disk usage',
  flags: [
    { name: 'format', kind: 'string', usage: FORMAT_USAGE_TABLE },
    { name: 'verbose', short: 'v', kind: 'bool', usage: 'Show detailed information on space usage' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const du = await fetchDf(ctx.client());
    const format = String(v.format ?? '');
    if (v.verbose && !format) { ctx.stdout.write(verbose(du, Date.now())); return; }
    const col = (h: string, f: keyof Row): Column<Row> => ({ header: h, field: f, value: (r) => r[f] });
    ctx.stdout.write(renderList(dfRows(du), format, [col('TYPE', 'Type'), col('TOTAL', 'TotalCount'), col('ACTIVE', 'Active'), col('SIZE', 'Size'), col('RECLAIMABLE', 'Reclaimable')], (r) => ({ ...r })));
  },
};
