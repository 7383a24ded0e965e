import { rmSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { BerthError, invalidParameter } from '../errdefs';
import { familiarString, parseRepoTag, referenceString, type Reference } from '../util/reference';
import { shortId } from '../util/ids';
import { planBuild, runBuild, type StreamOut } from './build';
import { openContext } from './context';
import type { BuildOptions, BuilderDeps } from './run-state';

/**
 * The builder as the API sees it: a build from a context (request body or remote URL) to
 * tagged image, and the clean-up of the build cache (POST /build/prune, system df).
 */
export interface BuildRequest extends Omit<BuildOptions, 'dockerfile' | 'context'> {
  body?: Readable;
  remote?: string;
  dockerfileName?: string;
  // `signal` is aborted when the client went away: the build stops (dockerd cancels it the same way)
}

export interface BuildCacheRecord { ID: string; Parent: string; Type: string; Description: string; InUse: boolean; Shared: boolean; Size: number; CreatedAt: string; LastUsedAt: string; UsageCount: number }

export class BuilderService {
  constructor(private readonly deps: BuilderDeps) {
    // contexts and staging roots of builds a previous daemon life was running
    rmSync(deps.tmpDir, { recursive: true, force: true });
  }

  /** Parses every tag first: a bad one fails the request before any work (as dockerd). */
  parseTags(tags: string[]): Reference[] {
    return tags.map((t) => parseRepoTag(t));
  }

  /**
   * Reads the context and checks the Dockerfile, then calls `started` (the caller answers
   * 200 and streams from there: errors before it are plain API errors, as dockerd's).
   */
  async build(req: BuildRequest, w: StreamOut, started: () => void = () => undefined): Promise<string> {
    const refs = this.parseTags(req.tags);
    const t0 = Date.now();
    const ctx = await openContext(this.deps.tmpDir, { body: req.body, remote: req.remote, dockerfile: req.dockerfileName, eager: req.nocache, log: (m) => this.deps.log.debug(m) });
    try {
      const opts: BuildOptions = {
        dockerfile: ctx.dockerfile, context: ctx, tags: req.tags, buildArgs: req.buildArgs, target: req.target,
        nocache: req.nocache, pull: req.pull, rm: req.rm, forcerm: req.forcerm, labels: req.labels, cacheFrom: req.cacheFrom,
        hostConfig: req.hostConfig, platform: req.platform, quiet: req.quiet, signal: req.signal,
      };
      const plan = planBuild(opts);
      started();
      const t1 = Date.now();
      const { imageId } = await runBuild(this.deps, opts, w, plan);
      this.deps.log.debug(`build: context ${t1 - t0} ms, steps ${Date.now() - t1} ms`);
      if (req.quiet) w.stream(`${imageId}\n`);
      else w.stream(`Successfully built ${shortId(imageId)}\n`);
      for (const r of refs) {
        this.tag(imageId, r);
        if (!req.quiet) w.stream(`Successfully tagged ${familiarString(r)}\n`);
      }
      return imageId;
    } finally {
      // the answer does not wait for the context's removal (a new daemon clears tmpDir too)
      ctx.close().catch((e) => this.deps.log.warn(`build: remove context: ${String(e)}`));
    }
  }

  /**
   * Tags the built image as dockerd's builder does (LastTagTime and a "tag" event every
   * time). A tag that already names the image, as after every rebuild with nothing
   * changed, changes no record of what the user stored: no durable (fsynced) transaction.
   */
  private tag(imageId: string, r: Reference): void {
    const images = this.deps.images;
    if (images.records.refTarget(referenceString(r)) !== imageId) { images.tagResolved(imageId, r); return; }
    images.records.touchTagTime(imageId, new Date().toISOString());
    images.emit('tag', imageId, familiarString(r));
  }

  /** Cache entries as `system df` lists them (classic cache: one per step image). */
  records(): BuildCacheRecord[] {
    return this.deps.cache.all().map((e) => {
      const row = this.deps.images.records.image(e.image_id);
      return {
        ID: e.key.slice(0, 25), Parent: row?.parent ?? '', Type: 'regular', Description: `step of ${shortId(e.image_id)}`,
        InUse: false, Shared: false, Size: row ? e.size : 0, CreatedAt: e.created, LastUsedAt: e.last_used, UsageCount: 1,
      };
    });
  }

  /**
   * POST /build/prune: forgets cache entries and removes their images when nothing else
   * holds them (no tag, no child image, no container). `all` is implied: the classic cache
   * has no notion of shared or internal records.
   */
  async prune(filters: Map<string, string[]>): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }> {
    for (const k of filters.keys()) if (!['until', 'id', 'parent', 'type', 'description', 'inuse', 'shared', 'private'].includes(k)) throw invalidParameter(`invalid filter '${k}'`);
    const images = this.deps.images;
    const deleted: string[] = [];
    let reclaimed = 0;
    let progress = true;
    const entries = this.deps.cache.all();
    const until = filters.get('until')?.[0];
    const cutoff = until ? Date.now() - parseUntil(until) : Infinity;
    const pending = entries.filter((e) => Date.parse(e.last_used) <= cutoff);
    while (progress) {
      progress = false;
      for (const e of [...pending]) {
        const row = images.records.image(e.image_id);
        if (row) {
          if (images.records.refsOf(row.id).length || images.records.children(row.id).length || images.usersOf(row.id).length) continue;
          try { images.remove(row.id, {}); } catch (err) { if (!(err instanceof BerthError)) throw err; continue; }
          reclaimed += e.size;
        }
        this.deps.cache.delete(e.key);
        deleted.push(e.key.slice(0, 25));
        pending.splice(pending.indexOf(e), 1);
        progress = true;
      }
    }
    for (const e of pending) {
      // entries whose image stays (tagged or a parent of one) only leave the index
      if (!images.records.image(e.image_id)) { this.deps.cache.delete(e.key); deleted.push(e.key.slice(0, 25)); }
    }
    await images.pendingCleanup;
    return { CachesDeleted: deleted.length ? deleted : null, SpaceReclaimed: reclaimed };
  }
}

function parseUntil(s: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(s);
  if (!m) throw invalidParameter(`invalid filter 'until': ${s}`);
  return Number(m[1]) * ({ ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] ?? 's'] ?? 1000);
}
