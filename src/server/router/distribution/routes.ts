import type { Readable } from 'node:stream';
import { compareVersions } from '../../../api/version';
import { invalidParameter } from '../../../errdefs';
import type { Ctx, Router } from '../../router';
import { boolParam } from '../../router';

/**
 * Registry and archive endpoints (moby api/server/router/image + system /auth):
 *
 *   POST /images/create?fromImage=   pull (tag or digest in `tag`, `platform`), X-Registry-Auth
 *   POST /images/{name}/push         push (`tag`; all tags of the repository without one)
 *   POST /auth                       check credentials against a registry
 *   GET  /distribution/{name}/json   the registry's descriptor and platforms of a reference
 *   GET  /images/{name}/get, GET /images/get?names=   docker save (docker-archive tar)
 *   POST /images/load                docker load (docker-archive or OCI layout tar; quiet)
 *
 * Progress streams are written lazily: an error before the first line is an HTTP error
 * with a status code (as dockerd does); after it, an errorDetail line.
 */
export interface DistributionRoutesBackend {
  /** allTags: the request named no tag (dockerd then pulls every tag of the repository) */
  pull(o: { name: string; tag?: string; platform?: string; authHeader?: string; allTags?: boolean }, out: (l: object) => void): Promise<unknown>;
  push(o: { name: string; tag?: string; authHeader?: string }, out: (l: object) => void): Promise<unknown>;
  login(body: Record<string, unknown>): Promise<{ Status: string; IdentityToken?: string }>;
  inspect(name: string, authHeader?: string): Promise<unknown>;
  save(names: string[]): Promise<Readable>;
  load(src: Readable, quiet: boolean, out: (l: object) => void): Promise<unknown>;
}

function lazyStream(ctx: Ctx): { write: (obj: object) => void; started: () => boolean } {
  let started = false;
  return {
    write: (obj) => {
      if (!started) { ctx.res.writeHead(200, { 'Content-Type': 'application/json' }); started = true; }
      ctx.res.write(JSON.stringify(obj) + '\r\n');
    },
    started: () => started,
  };
}

async function streamed(ctx: Ctx, fn: (write: (obj: object) => void) => Promise<unknown>): Promise<void> {
  const s = lazyStream(ctx);
  try {
    await fn(s.write);
  } catch (e) {
    if (!s.started()) throw e;
    const message = e instanceof Error ? e.message : String(e);
    s.write({ errorDetail: { message }, error: message });
  }
  ctx.res.end();
}

const header = (ctx: Ctx, name: string): string | undefined => {
  const v = ctx.req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
};

/** The pull half of POST /images/create (the images router hands fromImage requests here). */
export function pullHandler(backend: DistributionRoutesBackend): (ctx: Ctx) => Promise<void> {
  return (ctx) => {
    const q = ctx.query;
    const platform = compareVersions(ctx.apiVersion, '1.32') >= 0 ? q.get('platform') || undefined : undefined;
    return streamed(ctx, (write) => backend.pull({
      name: q.get('fromImage') ?? '', tag: q.get('tag') || undefined, platform, authHeader: header(ctx, 'X-Registry-Auth'), allTags: !q.get('tag'),
    }, write));
  };
}

export function registerDistributionRoutes(router: Router, backend: DistributionRoutesBackend): void {
  router.post('/images/{name:.*}/push', (ctx) => streamed(ctx, (write) => backend.push({
    name: ctx.params.name, tag: ctx.query.get('tag') || undefined, authHeader: header(ctx, 'X-Registry-Auth'),
  }, write)));

  router.get('/distribution/{name:.*}/json', async (ctx) => {
    ctx.send(200, await backend.inspect(ctx.params.name, header(ctx, 'X-Registry-Auth')));
  });

  router.post('/auth', async (ctx) => {
    const body = (await ctx.json<Record<string, unknown>>()) ?? {};
    ctx.send(200, await backend.login(body));
  });

  const save = async (ctx: Ctx, names: string[]) => {
    if (!names.length) throw invalidParameter('no images specified');
    const tar = await backend.save(names);
    ctx.res.writeHead(200, { 'Content-Type': 'application/x-tar' });
    tar.on('error', (e) => ctx.res.destroy(e));
    tar.pipe(ctx.res);
    await new Promise<void>((resolve) => ctx.res.on('close', () => resolve()));
  };
  router.get('/images/get', (ctx) => save(ctx, ctx.query.getAll('names').filter(Boolean)));
  router.get('/images/{name:.*}/get', (ctx) => save(ctx, [ctx.params.name]));

  router.post('/images/load', (ctx) => streamed(ctx, (write) => backend.load(ctx.req, boolParam(ctx.query, 'quiet'), write)));
}
