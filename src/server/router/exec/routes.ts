import { compareVersions } from '../../../api/version';
import { invalidParameter } from '../../../errdefs';
import { MULTIPLEXED, RAW_STREAM } from '../../../util/stdcopy';
import { type Router, intParam } from '../../router';
import type { ContainerBackend } from '../containers/backend';

export function registerExecRoutes(router: Router, b: ContainerBackend): void {
  router.post('/containers/{name}/exec', async (ctx) => {
    const body = await ctx.json();
    ctx.send(201, b.execs.create(ctx.params.name, body));
  });

  router.post('/exec/{id}/start', async (ctx) => {
    const body = ((await ctx.json()) ?? {}) as { Detach?: boolean; Tty?: boolean; ConsoleSize?: [number, number] | null };
    if (typeof body !== 'object') throw invalidParameter('invalid exec start body');
    const e = b.execs.get(ctx.params.id);
    if (body.ConsoleSize) e.config.ConsoleSize = body.ConsoleSize;
    const tty = body.Tty ?? !!e.config.Tty;
    if (body.Detach) {
      await b.execs.start(ctx.params.id, { detach: true, tty });
      ctx.send(200, {});
      return;
    }
    const type = !tty && compareVersions(ctx.apiVersion, '1.42') >= 0 ? MULTIPLEXED : RAW_STREAM;
    let sock: ReturnType<typeof ctx.hijack> | undefined;
    // An unknown or already started exec, or a stopped container, gets an HTTP answer; once
    // start has hijacked the connection (before it makes the process), errors go into the stream.
    await b.execs.start(ctx.params.id, { detach: false, tty }, () => (sock ??= ctx.hijack(type)));
    if (!sock) ctx.hijack(type).end();
  });

  router.post('/exec/{id}/resize', async (ctx) => {
    await b.execs.resize(ctx.params.id, intParam(ctx.query, 'h', 0) ?? 0, intParam(ctx.query, 'w', 0) ?? 0);
    ctx.text(200, '');
  });

  router.get('/exec/{id}/json', (ctx) => ctx.send(200, b.execs.inspect(ctx.params.id)));
}
