import { Readable } from 'node:stream';
import { compareVersions } from '../../../api/version';
import type { EventBus } from '../../../engine/events';
import { invalidParameter, notImplemented } from '../../../errdefs';
import { type Ctx, type Router, boolParam, filtersParam } from '../../router';
import type { ImageRoutesBackend } from './backend';

/**
 * The image endpoints of the Engine API (moby api/server/router/image):
 *
 *   GET    /images/json                 list (all, filters, shared-size; legacy `filter`)
 *   GET    /images/{name}/json          inspect
 *   GET    /images/{name}/history       history
 *   POST   /images/{name}/tag           tag (201)
 *   DELETE /images/{name}               rmi (force, noprune)
 *   POST   /images/create               import (fromSrc=- or a URL); pull (fromImage) is handed to `pull`
 *   POST   /images/prune                prune (dangling, label, label!, until)
 *
 * Streams use Docker's JSON lines ending in \r\n, as streamformatter writes them.
 */
const jsonLine = (obj: unknown) => JSON.stringify(obj) + '\r\n';

function startStream(ctx: Ctx): (obj: unknown) => void {
  let started = false;
  return (obj) => {
    if (!started) {
      ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
      started = true;
    }
    ctx.res.write(jsonLine(obj));
  };
}

async function importFromUrl(src: string): Promise<{ stream: Readable; url: string; size: number }> {
  let url: URL;
  try {
    url = /^[a-z][a-z0-9+.-]*:\/\//i.test(src) ? new URL(src) : new URL(`http://${src}`);
  } catch { throw invalidParameter(`invalid import source: ${src}`); }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalidParameter(`unsupported import source: ${src}`);
  const res = await fetch(url);
  if (!res.ok || !res.body) throw invalidParameter(`error downloading ${url.href}: ${res.status} ${res.statusText}`);
  const stream = Readable.fromWeb(res.body as unknown as import('node:stream/web').ReadableStream<Uint8Array>);
  return { stream, url: url.href, size: Number(res.headers.get('content-length') ?? -1) };
}

async function postImagesCreate(ctx: Ctx, backend: ImageRoutesBackend, pull?: (ctx: Ctx) => Promise<void>): Promise<void> {
  const q = ctx.query;
  if (q.get('fromImage')) {
    if (!pull) throw notImplemented('pull is not implemented yet in berth');
    return pull(ctx);
  }
  const src = q.get('fromSrc');
  if (src === null || src === '') throw invalidParameter('fromImage or fromSrc is required');
  const platform = compareVersions(ctx.apiVersion, '1.32') >= 0 ? q.get('platform') || undefined : undefined;
  const opts = {
    repo: q.get('repo') || undefined,
    tag: q.get('tag') || undefined,
    message: q.get('message') || `Imported from ${src}`,
    changes: q.getAll('changes').filter((c) => c !== ''),
    platform,
  };
  if (src === '-') {
    // Nothing is written before the import ends, so a failure gets a real status code.
    const img = await backend.import({ ...opts, source: ctx.req });
    startStream(ctx)({ status: img.id });
    ctx.res.end();
    return;
  }
  // As dockerd: a failing download is a plain error; once lines flow, errors go in the stream.
  const dl = await importFromUrl(src);
  const write = startStream(ctx);
  try {
    write({ status: `Downloading from ${dl.url}` });
    let seen = 0;
    let last = 0;
    dl.stream.on('data', (c: Buffer) => {
      seen += c.length;
      if (seen - last >= 512 * 1024 || seen === dl.size) {
        last = seen;
        write({ status: 'Importing', progressDetail: { current: seen, ...(dl.size > 0 ? { total: dl.size } : {}) }, id: '' });
      }
    });
    const img = await backend.import({ ...opts, source: dl.stream });
    write({ status: img.id });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    write({ errorDetail: { message }, error: message });
  }
  ctx.res.end();
}

/** `pull` serves POST /images/create?fromImage= (src/server/router/distribution/routes.ts). */
export function registerImageRoutes(router: Router, backend: ImageRoutesBackend, events?: EventBus, pull?: (ctx: Ctx) => Promise<void>): void {
  router.get('/images/json', (ctx) => {
    const filters = filtersParam(ctx.query);
    const legacy = ctx.query.get('filter');
    if (legacy) filters.set('reference', [...(filters.get('reference') ?? []), legacy]);
    ctx.send(200, backend.listImages({
      all: boolParam(ctx.query, 'all'),
      filters,
      apiVersion: ctx.apiVersion,
      sharedSize: compareVersions(ctx.apiVersion, '1.42') >= 0 && boolParam(ctx.query, 'shared-size'),
    }));
  });

  router.post('/images/create', (ctx) => postImagesCreate(ctx, backend, pull));

  router.post('/images/prune', async (ctx) => {
    const report = await backend.pruneImages(filtersParam(ctx.query));
    events?.publish('image', 'prune', '', { reclaimed: String(report.SpaceReclaimed) });
    ctx.send(200, report);
  });

  router.get('/images/{name:.*}/json', async (ctx) => {
    ctx.send(200, await backend.inspectImage(ctx.params.name, ctx.apiVersion));
  });

  router.get('/images/{name:.*}/history', (ctx) => {
    ctx.send(200, backend.history(ctx.params.name));
  });

  router.post('/images/{name:.*}/tag', (ctx) => {
    const repo = ctx.query.get('repo') ?? '';
    if (repo === '') throw invalidParameter('repository name must have at least one component');
    backend.tag(ctx.params.name, repo, ctx.query.get('tag') || undefined);
    ctx.noContent(201);
  });

  router.delete('/images/{name:.*}', (ctx) => {
    const name = ctx.params.name;
    if (name.trim() === '') throw invalidParameter('image name cannot be blank');
    ctx.send(200, backend.remove(name, { force: boolParam(ctx.query, 'force'), noprune: boolParam(ctx.query, 'noprune') }));
  });
}
