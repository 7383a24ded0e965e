import { notFound } from '../errdefs';
import { parseNormalizedNamed } from '../util/reference';
import { readBody } from './http';
import { pullImage, type PullOptions } from './pull';
import type { ProgressSink } from './progress';
import type { DistributionService } from './service';

/**
 * POST /images/create with fromImage and no tag (`docker pull -a`): every tag of the
 * repository (GET /v2/<name>/tags/list, following Link pagination), pulled one after the other.
 */
export async function pullAllTags(svc: DistributionService, o: PullOptions, out: ProgressSink): Promise<void> {
  const ref = parseNormalizedNamed(o.name);
  if (ref.tag || ref.digest) { await pullImage(svc, o, out); return; }
  const sessions = await svc.pullSessions(ref.domain, ref.path, o.auth);
  const s = sessions[sessions.length - 1];
  const tags: string[] = [];
  let url: string | undefined = s.url('tags/list?n=1000');
  for (let pages = 0; url && pages < 100; pages++) {
    const res = await s.check(await s.send('GET', url), [200], `listing tags of ${ref.domain}/${ref.path}`);
    const body = JSON.parse((await readBody(res)).toString('utf8')) as { tags?: string[] | null };
    tags.push(...(body.tags ?? []));
    const link = /<([^>]+)>;\s*rel="?next"?/.exec(String(res.headers.link ?? ''));
    url = link ? new URL(link[1], s.endpoint.url).href : undefined;
  }
  if (!tags.length) throw notFound(`repository ${ref.domain}/${ref.path} has no tags`);
  for (const tag of tags.sort()) await pullImage(svc, { ...o, tag }, out);
}
