import type { HostConfig } from '../../../api/types';
import type { BuildCacheRecord, BuildRequest } from '../../../builder/service';
import { invalidParameter } from '../../../errdefs';
import { type Ctx, type Router, boolParam, filtersParam, intParam } from '../../router';

/**
 * The classic builder's endpoints (moby api/server/router/build):
 *
 *   POST /build        context tar in the body (plain or compressed) or `remote`; answers the
 *                      JSON stream {"stream":...}, {"aux":{"ID":...}}, {"errorDetail":...}
 *   POST /build/prune  forgets the build cache
 *
 * Query parsing is tolerant as dockerd's: empty or `[]`/`{}` JSON values mean "none".
 */
export interface BuildBackend {
  build(req: BuildRequest, w: { stream(s: string): void; aux(o: object): void; progress(o: object): void }, started: () => void): Promise<string>;
  parseTags(tags: string[]): unknown;
  prune(filters: Map<string, string[]>): Promise<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>;
  records(): BuildCacheRecord[];
}

function jsonParam<T>(q: URLSearchParams, name: string, check: (v: unknown) => v is T, empty: T): T {
  const raw = q.get(name);
  if (raw === null || raw.trim() === '' || raw === 'null') return empty;
  let v: unknown;
  try { v = JSON.parse(raw); } catch { throw invalidParameter(`invalid ${name} value: ${raw}`); }
  if (!check(v)) throw invalidParameter(`invalid ${name} value: ${raw}`);
  return v;
}

const isMap = (v: unknown): v is Record<string, string | null> => !!v && typeof v === 'object' && !Array.isArray(v)
  && Object.values(v as object).every((x) => x === null || typeof x === 'string');
const isList = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

export function parseBuildQuery(q: URLSearchParams): Omit<BuildRequest, 'body'> {
  const version = q.get('version');
  if (version === '2') throw invalidParameter('BuildKit is not supported by berth: use the classic builder (DOCKER_BUILDKIT=0)');
  const hostConfig: HostConfig = {
    NetworkMode: q.get('networkmode') || 'default',
    Memory: intParam(q, 'memory', 0), MemorySwap: intParam(q, 'memswap', 0), CpuShares: intParam(q, 'cpushares', 0),
    CpuPeriod: intParam(q, 'cpuperiod', 0), CpuQuota: intParam(q, 'cpuquota', 0), CpusetCpus: q.get('cpusetcpus') || '', CpusetMems: q.get('cpusetmems') || '',
    ShmSize: intParam(q, 'shmsize', 0) || undefined,
    ExtraHosts: (q.get('extrahosts') ?? '').split(/[,\s]+/).filter(Boolean),
  } as HostConfig;
  for (const k of Object.keys(hostConfig) as (keyof HostConfig)[]) if (hostConfig[k] === 0 || hostConfig[k] === '' || hostConfig[k] === undefined) delete hostConfig[k];
  if (hostConfig.NetworkMode === 'default' || hostConfig.NetworkMode === '') hostConfig.NetworkMode = 'default';
  const buildArgs = jsonParam(q, 'buildargs', isMap, {});
  return {
    remote: q.get('remote') || undefined,
    dockerfileName: q.get('dockerfile') || undefined,
    tags: q.getAll('t').filter((t) => t !== ''),
    buildArgs: new Map(Object.entries(buildArgs)),
    target: q.get('target') || '',
    nocache: boolParam(q, 'nocache'),
    pull: boolParam(q, 'pull'),
    rm: boolParam(q, 'rm', true),
    forcerm: boolParam(q, 'forcerm'),
    labels: jsonParam(q, 'labels', (v): v is Record<string, string> => isMap(v), {}) as Record<string, string>,
    cacheFrom: jsonParam(q, 'cachefrom', isList, []),
    hostConfig,
    platform: q.get('platform') || '',
    quiet: boolParam(q, 'q'),
  };
}

async function postBuild(ctx: Ctx, backend: BuildBackend): Promise<void> {
  const req = parseBuildQuery(ctx.query);
  backend.parseTags(req.tags);
  const cancel = new AbortController();
  ctx.res.on('close', () => { if (!ctx.res.writableFinished) cancel.abort(); });
  let streaming = false;
  const start = () => { if (!streaming) { streaming = true; ctx.res.writeHead(200, { 'Content-Type': 'application/json' }); } };
  const line = (o: object) => { start(); if (!ctx.res.destroyed) ctx.res.write(`${JSON.stringify(o)}\r\n`); };
  try {
    await backend.build({ ...req, body: req.remote ? undefined : ctx.req, signal: cancel.signal },
      { stream: (s) => line({ stream: s }), aux: (o) => line({ aux: o }), progress: (o) => line(o) }, start);
  } catch (e) {
    // before the build started (context, Dockerfile parse errors) dockerd answers an API error
    if (!streaming) throw e;
    const message = e instanceof Error ? e.message : String(e);
    line({ errorDetail: { ...(codeOf(message)), message }, error: message });
  }
  ctx.res.end();
}

function codeOf(message: string): { code?: number } {
  const m = /returned a non-zero code: (\d+)$/.exec(message);
  return m ? { code: Number(m[1]) } : {};
}

export function registerBuildRoutes(router: Router, backend: BuildBackend): void {
  router.post('/build', (ctx) => postBuild(ctx, backend));
  router.post('/build/prune', async (ctx) => {
    const filters = filtersParam(ctx.query);
    if (boolParam(ctx.query, 'all')) filters.set('all', ['true']);
    filters.delete('all');
    ctx.send(200, await backend.prune(filters));
  });
}
