import { compareVersions } from '../../../api/version';
import { invalidParameter } from '../../../errdefs';
import { MULTIPLEXED, RAW_STREAM, frame, parseDetachKeys } from '../../../util/stdcopy';
import { type Ctx, type Router, boolParam, filtersParam, intParam } from '../../router';
import { parseTimestamp } from '../system/routes';
import type { ContainerBackend } from './backend';
import type { WaitCondition } from '../../../containers/service';

/** Raw stream with a TTY; multiplexed (announced as such from API 1.42 on) without. */
function streamType(ctx: Ctx, tty: boolean): string {
  return !tty && compareVersions(ctx.apiVersion, '1.42') >= 0 ? MULTIPLEXED : RAW_STREAM;
}

function stopOptions(ctx: Ctx): { signal?: string; timeout?: number } {
  const t = ctx.query.get('t');
  if (t !== null && t !== '' && !/^-?\d+$/.test(t)) throw invalidParameter(`strconv.Atoi: parsing "${t}": invalid syntax`);
  return { signal: ctx.query.get('signal') || undefined, timeout: t ? Number(t) : undefined };
}

export function registerContainerRoutes(router: Router, b: ContainerBackend): void {
  const svc = b.containers;

  router.post('/containers/create', async (ctx) => {
    const body = await ctx.json();
    if (body === undefined) throw invalidParameter('config cannot be empty in order to create a container');
    const name = ctx.query.get('name');
    ctx.send(201, await svc.create(body, name || null));
  });

  router.get('/containers/json', async (ctx) => {
    ctx.send(200, await b.list({
      all: boolParam(ctx.query, 'all'), limit: intParam(ctx.query, 'limit'), size: boolParam(ctx.query, 'size'), filters: filtersParam(ctx.query),
    }));
  });

  router.post('/containers/prune', async (ctx) => ctx.send(200, await b.prune(filtersParam(ctx.query))));

  router.get('/containers/{name}/json', async (ctx) => ctx.send(200, legacyAliases(await b.inspect(ctx.params.name, boolParam(ctx.query, 'size')), ctx.apiVersion)));

  router.post('/containers/{name}/start', async (ctx) => {
    if (ctx.query.get('checkpoint')) throw invalidParameter('checkpoint is only supported in experimental mode');
    await svc.start(ctx.params.name);
    ctx.noContent();
  });
  router.post('/containers/{name}/stop', async (ctx) => { await svc.stop(ctx.params.name, stopOptions(ctx)); ctx.noContent(); });
  router.post('/containers/{name}/restart', async (ctx) => { await svc.restart(ctx.params.name, stopOptions(ctx)); ctx.noContent(); });
  router.post('/containers/{name}/kill', async (ctx) => { await svc.kill(ctx.params.name, ctx.query.get('signal') || undefined); ctx.noContent(); });
  router.post('/containers/{name}/rename', async (ctx) => { svc.rename(ctx.params.name, ctx.query.get('name') ?? ''); ctx.noContent(); });

  router.delete('/containers/{name}', async (ctx) => {
    const id = svc.get(ctx.params.name).id;
    await svc.remove(ctx.params.name, { force: boolParam(ctx.query, 'force'), volumes: boolParam(ctx.query, 'v'), link: boolParam(ctx.query, 'link') });
    b.execs.forgetContainer(id);
    ctx.noContent();
  });

  router.post('/containers/{name}/wait', async (ctx) => {
    const cond = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(cond)) throw invalidParameter(`invalid condition: "${cond}"`);
    const { result } = svc.wait(ctx.params.name, cond);
    // Headers go out at once: the docker CLI sends wait before start and waits for the body.
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    const r = await result;
    ctx.res.end(`${JSON.stringify(r)}\n`);
  });

  router.post('/containers/{name}/resize', async (ctx) => {
    const h = intParam(ctx.query, 'h', 0) ?? 0;
    const w = intParam(ctx.query, 'w', 0) ?? 0;
    await svc.resize(ctx.params.name, h, w);
    ctx.text(200, '');
  });

  /**
   * Attach, over a hijacked connection (multiplexed frames without a TTY) or a WebSocket
   * (never multiplexed: dockerd leaves the streams to the client; before API 1.42 it
   * attaches all three whatever the query says, and before 1.28 it sends text frames).
   */
  const attach = async (ctx: Ctx, ws: boolean) => {
    const c = svc.get(ctx.params.name);
    const q = ctx.query;
    const keys = q.get('detachKeys');
    const detachKeys = parseDetachKeys(keys || 'ctrl-p,ctrl-q');
    if (keys && !detachKeys) throw invalidParameter(`Invalid detach keys (${keys}) provided`);
    if (c.state.Paused) throw invalidParameter(`container ${ctx.params.name} is paused, unpause the container before attach`);
    const all = ws && compareVersions(ctx.apiVersion, '1.42') < 0;
    const stdin = all || boolParam(q, 'stdin');
    const stdout = all || boolParam(q, 'stdout');
    const stderr = all || boolParam(q, 'stderr');
    const stream = boolParam(q, 'stream');
    const logs = boolParam(q, 'logs');
    if (!stream && !logs) throw invalidParameter('at least one of stream or logs must be set');
    const tty = !!c.config.Tty;
    const raw = tty || ws;
    const socket = ws ? await ctx.websocket(compareVersions(ctx.apiVersion, '1.28') >= 0) : ctx.hijack(streamType(ctx, tty));
    if (logs) {
      const ac = new AbortController();
      for await (const e of b.logs(c, { follow: false, tail: 'all', stdout, stderr, signal: ac.signal })) {
        socket.write(raw ? e.data : frame(e.stream === 'stdout' ? 1 : 2, e.data));
      }
    }
    if (!stream) { socket.end(); return; }
    const hub = svc.hub(c);
    hub.add({ socket, stdin: stdin && !!c.config.OpenStdin, stdout, stderr, tty, raw, detachKeys });
    if (c.state.Running && !hub.bound) hub.bind(await svc.runtime.attach(c.id, svc.bundleDir(c.id)));
    svc.emit(c, 'attach');
  };
  router.post('/containers/{name}/attach', (ctx) => attach(ctx, false));
  router.get('/containers/{name}/attach/ws', (ctx) => attach(ctx, true));

  router.get('/containers/{name}/logs', async (ctx) => {
    const c = svc.get(ctx.params.name);
    const q = ctx.query;
    const stdout = boolParam(q, 'stdout');
    const stderr = boolParam(q, 'stderr');
    if (!stdout && !stderr) throw invalidParameter('Bad parameters: you must choose at least one stream');
    // dockerd reads tail with Atoi and takes anything else, or a negative number, as "all"
    // (testcontainers sends tail=-1)
    const tailRaw = q.get('tail') ?? '';
    const tail: number | 'all' = /^\+?\d+$/.test(tailRaw) ? Number(tailRaw) : 'all';
    const timestamps = boolParam(q, 'timestamps');
    const tty = !!c.config.Tty;
    const ac = new AbortController();
    const iter = b.logs(c, {
      follow: boolParam(q, 'follow'), since: parseTimestamp(q.get('since'), 'since'), until: parseTimestamp(q.get('until'), 'until'),
      tail, stdout, stderr, signal: ac.signal,
    });
    ctx.res.writeHead(200, { 'Content-Type': streamType(ctx, tty) });
    ctx.res.flushHeaders();
    ctx.req.socket.on('close', () => ac.abort());
    try {
      for await (const e of iter) {
        const data = timestamps ? Buffer.concat([Buffer.from(`${e.time.rfc3339} `), e.data]) : e.data;
        ctx.res.write(tty ? data : frame(e.stream === 'stdout' ? 1 : 2, data));
      }
    } catch (e) {
      if (!ac.signal.aborted) throw e;
    }
    ctx.res.end();
  });

}

/**
 * API < 1.45, as moby: on user-defined networks the aliases also hold the short id and the
 * hostname (newer versions list those under DNSNames only).
 */
function legacyAliases(insp: Record<string, unknown>, apiVersion: string): Record<string, unknown> {
  if (compareVersions(apiVersion, '1.45') >= 0) return insp;
  const nets = (insp.NetworkSettings as { Networks?: Record<string, { Aliases?: string[] | null }> } | undefined)?.Networks ?? {};
  const extra = [String(insp.Id ?? '').slice(0, 12), String((insp.Config as { Hostname?: string } | undefined)?.Hostname ?? '')].filter(Boolean);
  for (const [name, ep] of Object.entries(nets)) {
    if (['bridge', 'host', 'none', 'default'].includes(name) || name.startsWith('container:')) continue;
    ep.Aliases = [...new Set([...(ep.Aliases ?? []), ...extra])];
  }
  return insp;
}
