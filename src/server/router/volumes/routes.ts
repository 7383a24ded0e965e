import { compareVersions } from '../../../api/version';
import { invalidParameter } from '../../../errdefs';
import { type Router, boolParam, filtersParam } from '../../router';
import type { VolumeRoutesBackend } from './backend';

/**
 * The volume endpoints of the Engine API (moby api/server/router/volume):
 *
 *   GET    /volumes              list (filters dangling, name, label, driver)
 *   POST   /volumes/create       create (201); an existing name is returned as is
 *   GET    /volumes/{name}       inspect
 *   DELETE /volumes/{name}       remove (force), 204
 *   POST   /volumes/prune        prune (label, label!, all; before API 1.42 every unused volume)
 *
 * PUT /volumes/{name} updates cluster volumes, which need swarm: it stays unimplemented.
 */
export function registerVolumeRoutes(router: Router, backend: VolumeRoutesBackend): void {
  router.get('/volumes', (ctx) => {
    ctx.send(200, { Volumes: backend.list(filtersParam(ctx.query)), Warnings: null });
  });
  router.post('/volumes/create', async (ctx) => {
    const body = (await ctx.json<Record<string, unknown>>()) ?? {};
    if (typeof body !== 'object' || Array.isArray(body)) throw invalidParameter('invalid JSON body');
    const str = (k: string) => {
      const v = body[k];
      if (v !== undefined && v !== null && typeof v !== 'string') throw invalidParameter(`json: cannot unmarshal ${typeof v} into Go struct field CreateOptions.${k} of type string`);
      return (v as string | undefined) ?? undefined;
    };
    const map = (k: string) => {
      const v = body[k];
      if (v === undefined || v === null) return null;
      if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string')) {
        throw invalidParameter(`json: cannot unmarshal into Go struct field CreateOptions.${k} of type map[string]string`);
      }
      return v as Record<string, string>;
    };
    ctx.send(201, await backend.create({ Name: str('Name'), Driver: str('Driver'), DriverOpts: map('DriverOpts'), Labels: map('Labels') }));
  });
  router.get('/volumes/{name}', (ctx) => { ctx.send(200, backend.inspect(ctx.params.name)); });
  router.delete('/volumes/{name}', async (ctx) => {
    await backend.remove(ctx.params.name, { force: boolParam(ctx.query, 'force') });
    ctx.noContent();
  });
  router.post('/volumes/prune', async (ctx) => {
    const filters = filtersParam(ctx.query);
    // Before API 1.42 prune removed every unused volume, named ones included.
    if (compareVersions(ctx.apiVersion, '1.42') < 0 && !filters.has('all')) filters.set('all', ['true']);
    ctx.send(200, await backend.prune(filters));
  });
}
