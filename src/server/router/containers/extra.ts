import type { Readable } from 'node:stream';
import { invalidParameter } from '../../../errdefs';
import { type Router, boolParam } from '../../router';
import type { StatsJson } from '../../../containers/stats';
import type { TopResult } from '../../../containers/top';
import type { Change } from '../../../containers/commit-changes';

/**
 * Container endpoints beyond the lifecycle: stats, top, changes, export, update, pause,
 * unpause and POST /commit. The engine provides this narrow backend.
 */
export interface ExtraBackend {
  stats(ref: string, opts: { stream: boolean; oneShot: boolean; signal: AbortSignal }): AsyncGenerator<StatsJson>;
  top(ref: string, psArgs?: string): Promise<TopResult>;
  changes(ref: string): Promise<Change[]>;
  export(ref: string): Promise<{ stream: Readable; done: Promise<void> }>;
  update(ref: string, body: unknown): Promise<{ Warnings: string[] }>;
  pause(ref: string): Promise<void>;
  unpause(ref: string): Promise<void>;
  /** Null when commit is not available in this engine. */
  commit?(opts: { container: string; repo?: string; tag?: string; comment?: string; author?: string; pause: boolean; changes: string[]; config: unknown }): Promise<{ Id: string }>;
}

export function registerContainerExtraRoutes(router: Router, b: ExtraBackend): void {
  router.get('/containers/{name}/stats', async (ctx) => {
    const stream = boolParam(ctx.query, 'stream', true);
    const oneShot = boolParam(ctx.query, 'one-shot');
    if (stream && oneShot) throw invalidParameter('cannot have stream=true and one-shot=true');
    const ac = new AbortController();
    const iter = b.stats(ctx.params.name, { stream, oneShot, signal: ac.signal });
    const first = await iter.next(); // a missing container is a 404 before any header goes out
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.req.socket.on('close', () => ac.abort());
    if (!first.done) ctx.res.write(`${JSON.stringify(first.value)}\n`);
    for await (const s of iter) {
      if (ac.signal.aborted || ctx.res.destroyed) break;
      ctx.res.write(`${JSON.stringify(s)}\n`);
    }
    ac.abort();
    ctx.res.end();
  });

  router.get('/containers/{name}/top', async (ctx) => {
    ctx.send(200, await b.top(ctx.params.name, ctx.query.get('ps_args') || undefined));
  });

  router.get('/containers/{name}/changes', async (ctx) => {
    const changes = await b.changes(ctx.params.name);
    ctx.send(200, changes.length ? changes : null);
  });

  router.get('/containers/{name}/export', async (ctx) => {
    const { stream, done } = await b.export(ctx.params.name);
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    stream.pipe(ctx.res);
    ctx.req.socket.on('close', () => stream.destroy());
    await done.catch(() => ctx.res.destroy());
  });

  router.post('/containers/{name}/update', async (ctx) => {
    ctx.send(200, await b.update(ctx.params.name, (await ctx.json()) ?? {}));
  });
  router.post('/containers/{name}/pause', async (ctx) => { await b.pause(ctx.params.name); ctx.noContent(); });
  router.post('/containers/{name}/unpause', async (ctx) => { await b.unpause(ctx.params.name); ctx.noContent(); });

  const commit = b.commit?.bind(b);
  if (commit) {
    router.post('/commit', async (ctx) => {
      const q = ctx.query;
      const container = q.get('container') ?? '';
      if (!container) throw invalidParameter('No container specified');
      const config = await ctx.json();
      const res = await commit({
        container, repo: q.get('repo') || undefined, tag: q.get('tag') || undefined, comment: q.get('comment') ?? undefined,
        author: q.get('author') ?? undefined, pause: boolParam(q, 'pause', true), changes: q.getAll('changes'), config: config ?? null,
      });
      ctx.send(201, res);
    });
  }
}
