import { invalidParameter } from '../../../errdefs';
import { type Router, filtersParam } from '../../router';
import type { NetworkBackend } from './backend';

function object(body: unknown, what: string): Record<string, unknown> {
  if (body === undefined || body === null) throw invalidParameter(`${what}: request body is empty`);
  if (typeof body !== 'object' || Array.isArray(body)) throw invalidParameter(`${what}: invalid JSON body`);
  return body as Record<string, unknown>;
}

/** /networks: list, inspect, create, remove, prune, connect, disconnect (Docker's shapes). */
export function registerNetworkRoutes(router: Router, b: NetworkBackend): void {
  router.get('/networks', (ctx) => ctx.send(200, b.list(filtersParam(ctx.query))));
  router.post('/networks/create', async (ctx) => ctx.send(201, await b.create(object(await ctx.json(), 'network create'))));
  router.post('/networks/prune', async (ctx) => ctx.send(200, await b.prune(filtersParam(ctx.query))));
  router.get('/networks/{id}', (ctx) => ctx.send(200, b.inspect(ctx.params.id)));
  router.delete('/networks/{id}', async (ctx) => { await b.remove(ctx.params.id); ctx.noContent(); });
  router.post('/networks/{id}/connect', async (ctx) => {
    const body = object(await ctx.json(), 'network connect');
    await b.connect(ctx.params.id, body as never);
    ctx.text(200, '');
  });
  router.post('/networks/{id}/disconnect', async (ctx) => {
    const body = object(await ctx.json(), 'network disconnect');
    await b.disconnect(ctx.params.id, body as never);
    ctx.text(200, '');
  });
}
