import { invalidParameter } from '../../../errdefs';
import { type Router, boolParam } from '../../router';
import type { ArchiveRoutesBackend, PathStat } from './backend';

/**
 * docker cp (moby api/server/router/container/copy.go):
 *
 *   HEAD /containers/{name}/archive?path=    stat in X-Docker-Container-Path-Stat
 *   GET  /containers/{name}/archive?path=    tar of the resource, with the same header
 *   PUT  /containers/{name}/archive?path=&noOverwriteDirNonDir=&copyUIDGID=   extract a tar
 */
const STAT_HEADER = 'X-Docker-Container-Path-Stat';

const encodeStat = (s: PathStat) => Buffer.from(JSON.stringify(s)).toString('base64');

function pathParam(q: URLSearchParams): string {
  const p = q.get('path');
  if (p === null || p === '') throw invalidParameter('Path cannot be empty');
  return p;
}

export function registerArchiveRoutes(router: Router, backend: ArchiveRoutesBackend): void {
  router.head('/containers/{name}/archive', async (ctx) => {
    const stat = await backend.stat(ctx.params.name, pathParam(ctx.query));
    ctx.res.writeHead(200, { [STAT_HEADER]: encodeStat(stat), 'Content-Type': 'application/json' });
    ctx.res.end();
  });
  router.get('/containers/{name}/archive', async (ctx) => {
    const { stat, stream } = await backend.get(ctx.params.name, pathParam(ctx.query));
    ctx.res.writeHead(200, { [STAT_HEADER]: encodeStat(stat), 'Content-Type': 'application/x-tar' });
    // The stat goes out at once: a copy that fails while streaming (a path swapped under it)
    // then ends as an aborted body after a 200, as with dockerd, not as a reset with no answer.
    ctx.res.flushHeaders();
    stream.on('error', () => ctx.res.destroy());
    ctx.res.on('close', () => stream.destroy());
    stream.pipe(ctx.res);
    await new Promise<void>((resolve) => { ctx.res.on('close', resolve); ctx.res.on('finish', resolve); });
  });
  router.put('/containers/{name}/archive', async (ctx) => {
    await backend.put(ctx.params.name, pathParam(ctx.query), ctx.req, {
      noOverwriteDirNonDir: boolParam(ctx.query, 'noOverwriteDirNonDir'),
      copyUIDGID: boolParam(ctx.query, 'copyUIDGID'),
    });
    ctx.res.writeHead(200, { 'Content-Length': '0' });
    ctx.res.end();
  });
}
