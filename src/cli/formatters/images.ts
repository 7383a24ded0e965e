/** `docker images` and `docker history` rows, as docker/cli's image and history contexts. */
import type { HistoryItem, ImageSummary } from '../../client';
import { ellipsis, renderList, truncateId, type Column } from './table';
import { humanDuration, humanSize, humanSizeWithPrecision } from './units';
import { goTimeString } from './containers';

interface ImageRow { image: ImageSummary; repo: string; tag: string; digest: string }

/** Split `repo:tag` / `repo@digest` at the right separator (a port in the registry is not a tag). */
function splitRef(ref: string): { repo: string; tag?: string; digest?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { repo: ref.slice(0, at), digest: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  if (colon > slash) return { repo: ref.slice(0, colon), tag: ref.slice(colon + 1) };
  return { repo: ref };
}

/** One row per tag; digests join their repository's rows; untagged images are `<none>`. */
export function imageRows(images: ImageSummary[]): ImageRow[] {
  const rows: ImageRow[] = [];
  for (const image of images) {
    const tags = (image.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const digests = (image.RepoDigests ?? []).filter((d) => d !== '<none>@<none>');
    if (!tags.length && !digests.length) {
      rows.push({ image, repo: '<none>', tag: '<none>', digest: '<none>' });
      continue;
    }
    const repoTags = new Map<string, string[]>();
    const repoDigests = new Map<string, string[]>();
    for (const t of tags) {
      const r = splitRef(t);
      if (!repoTags.has(r.repo)) repoTags.set(r.repo, []);
      if (r.tag) repoTags.get(r.repo)!.push(r.tag);
    }
    for (const d of digests) {
      const r = splitRef(d);
      if (!repoDigests.has(r.repo)) repoDigests.set(r.repo, []);
      if (r.digest) repoDigests.get(r.repo)!.push(r.digest);
      if (!repoTags.has(r.repo)) repoTags.set(r.repo, []);
    }
    for (const [repo, tagList] of repoTags) {
      const ds = repoDigests.get(repo) ?? [];
      if (!tagList.length) {
        for (const d of ds.length ? ds : ['<none>']) rows.push({ image, repo, tag: '<none>', digest: d });
        continue;
      }
      for (const tag of tagList) rows.push({ image, repo, tag, digest: ds[0] ?? '<none>' });
    }
  }
  return rows;
}

function imageContext(r: ImageRow, trunc: boolean, now: number): Record<string, unknown> {
  const i = r.image;
  return {
    ID: trunc ? truncateId(i.Id) : i.Id,
    Repository: r.repo,
    Tag: r.tag,
    Digest: r.digest,
    CreatedSince: `${humanDuration(now - i.Created * 1000)} ago`,
    CreatedAt: goTimeString(i.Created),
    Size: humanSizeWithPrecision(i.Size, 3),
    VirtualSize: humanSize(i.VirtualSize ?? i.Size),
    SharedSize: i.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(i.SharedSize, 3),
    UniqueSize: i.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(i.Size - i.SharedSize, 3),
    Containers: i.Containers < 0 ? 'N/A' : String(i.Containers),
  };
}

export interface ImagesFormatOptions { format: string; quiet: boolean; trunc: boolean; digests: boolean }

export function formatImages(images: ImageSummary[], o: ImagesFormatOptions, now = Date.now()): string {
  const rows = imageRows(images);
  if (o.quiet && !o.format) return rows.map((r) => `${o.trunc ? truncateId(r.image.Id) : r.image.Id}\n`).join('');
  const ctx = (r: ImageRow) => imageContext(r, o.trunc, now);
  const col = (header: string, field: string): Column<ImageRow> => ({ header, field, value: (r) => String(ctx(r)[field]) });
  const columns = [col('REPOSITORY', 'Repository'), col('TAG', 'Tag')];
  if (o.digests) columns.push(col('DIGEST', 'Digest'));
  columns.push(col('IMAGE ID', 'ID'), col('CREATED', 'CreatedSince'), col('SIZE', 'Size'));
  const extra = { CreatedAt: 'CREATED AT', VirtualSize: 'VIRTUAL SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS' };
  return renderList(rows, o.format, columns, ctx, extra);
}

/** Go's time.RFC3339 in UTC. */
function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function historyContext(h: HistoryItem, trunc: boolean, human: boolean, now: number): Record<string, unknown> {
  const createdBy = (h.CreatedBy ?? '').replace(/\t/g, ' ');
  return {
    ID: h.Id === '<missing>' || !trunc ? h.Id : truncateId(h.Id),
    CreatedSince: human ? `${humanDuration(now - h.Created * 1000)} ago` : rfc3339(h.Created),
    CreatedAt: rfc3339(h.Created),
    CreatedBy: trunc ? ellipsis(createdBy, 45) : createdBy,
    Size: human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
    Comment: h.Comment ?? '',
  };
}

export interface HistoryFormatOptions { format: string; quiet: boolean; trunc: boolean; human: boolean }

export function formatHistory(items: HistoryItem[], o: HistoryFormatOptions, now = Date.now()): string {
  if (o.quiet && !o.format) return items.map((h) => `${h.Id === '<missing>' || !o.trunc ? h.Id : truncateId(h.Id)}\n`).join('');
  const ctx = (h: HistoryItem) => historyContext(h, o.trunc, o.human, now);
  const col = (header: string, field: string): Column<HistoryItem> => ({ header, field, value: (h) => String(ctx(h)[field]) });
  const columns = [col('IMAGE', 'ID'), col(o.human ? 'CREATED' : 'CREATED AT', 'CreatedSince'), col('CREATED BY', 'CreatedBy'), col('SIZE', 'Size'), col('COMMENT', 'Comment')];
  return renderList(items, o.format, columns, ctx, { CreatedAt: 'CREATED AT' });
}
