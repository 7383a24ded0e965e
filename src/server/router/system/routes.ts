import { compareVersions } from '../../../api/version';
import type { EventMessage } from '../../../api/types';
import { invalidParameter } from '../../../errdefs';
import { type Router, filtersParam } from '../../router';
import type { SystemBackend } from './backend';

const PING_HEADERS = { 'Builder-Version': '1', Swarm: 'inactive', 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache' };

/** Unix seconds, with fractions, from Docker's `since`/`until` (the CLI sends timestamps; RFC 3339 is accepted too). */
export function parseTimestamp(v: string | null, name: string): number | undefined {
  if (v === null || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw invalidParameter(`invalid value for ${name}: ${v}`);
  return ms / 1000;
}

const EVENT_FILTERS = new Set(['config', 'container', 'daemon', 'event', 'image', 'label', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'type', 'volume']);

export function eventMatcher(filters: Map<string, string[]>): (ev: EventMessage) => boolean {
  for (const k of filters.keys()) if (!EVENT_FILTERS.has(k)) throw invalidParameter(`invalid filter '${k}'`);
  /** Exact match on any of `values`; with `idPrefix` the first value (an id) may match by prefix. */
  const any = (k: string, values: (string | undefined)[], idPrefix = false) => {
    const want = filters.get(k);
    return !want || want.some((w) => values.some((v, i) => v !== undefined && (v === w || (idPrefix && i === 0 && v.startsWith(w)))));
  };
  return (ev) => {
    const a = ev.Actor.Attributes;
    if (!any('type', [ev.Type])) return false;
    // "exec_create: sh -c x" matches the filter "exec_create".
    if (!any('event', [ev.Action, ev.Action.split(':')[0]])) return false;
    if (filters.has('container') && (ev.Type !== 'container' || !any('container', [ev.Actor.ID, a.name], true))) return false;
    if (filters.has('image') && !any('image', [ev.Type === 'image' ? ev.Actor.ID : undefined, a.image, a.name])) return false;
    if (filters.has('scope') && !any('scope', [ev.scope])) return false;
    for (const t of ['network', 'volume', 'daemon', 'plugin', 'node', 'service', 'secret', 'config']) {
      if (filters.has(t) && (ev.Type !== t || !any(t, [ev.Actor.ID, a.name]))) return false;
    }
    const labels = filters.get('label');
    if (labels && !labels.every((l) => {
      const i = l.indexOf('=');
      return i < 0 ? l in a : a[l.slice(0, i)] === l.slice(i + 1);
    })) return false;
    return true;
  };
}

export function registerSystemRoutes(router: Router, b: SystemBackend): void {
  const ping = (ctx: Parameters<Parameters<Router['get']>[1]>[0]) => {
    for (const [k, v] of Object.entries(PING_HEADERS)) ctx.res.setHeader(k, v);
    if (ctx.method === 'HEAD') { ctx.res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': 0 }); ctx.res.end(); return; }
    ctx.text(200, 'OK');
  };
  router.get('/_ping', ping);
  router.head('/_ping', ping);
  router.get('/version', async (ctx) => ctx.send(200, await b.version()));
  router.get('/info', async (ctx) => ctx.send(200, legacyInfo(await b.info(), ctx.apiVersion)));

  router.get('/events', async (ctx) => {
    const since = parseTimestamp(ctx.query.get('since'), 'since');
    const until = parseTimestamp(ctx.query.get('until'), 'until');
    if (since !== undefined && until !== undefined && until < since) throw invalidParameter('`since` time cannot be after `until` time');
    const match = eventMatcher(filtersParam(ctx.query));
    const inWindow = (ev: EventMessage) => {
      const t = ev.timeNano / 1e9;
      return (since === undefined || t >= since) && (until === undefined || t <= until);
    };
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' });
    ctx.res.flushHeaders();
    const write = (ev: EventMessage) => { if (match(ev) && inWindow(ev)) ctx.res.write(`${JSON.stringify(ev)}\n`); };
    const live: EventMessage[] = [];
    let replaying = true;
    const sub = b.events.subscribe((ev) => { if (replaying) live.push(ev); else write(ev); });
    if (since !== undefined) for (const ev of sub.past) write(ev);
    replaying = false;
    for (const ev of live) write(ev);
    const nowS = Date.now() / 1000;
    await new Promise<void>((resolve) => {
      const end = () => { sub.unsubscribe(); resolve(); };
      ctx.req.socket.on('close', end);
      if (until !== undefined) {
        if (until <= nowS) { sub.unsubscribe(); ctx.res.end(); resolve(); return; }
        setTimeout(() => { sub.unsubscribe(); ctx.res.end(); resolve(); }, (until - nowS) * 1000);
      }
    });
  });
}

/**
 * Fields moby still sends to older API versions although newer ones dropped them: clients
 * pinned to an old version (docker-py, compose v1) may read them.
 */
function legacyInfo(info: Record<string, unknown>, apiVersion: string): Record<string, unknown> {
  const out = { ...info };
  const older = (v: string) => compareVersions(apiVersion, v) < 0;
  if (older('1.50')) { out.BridgeNfIptables = false; out.BridgeNfIp6tables = false; }
  if (older('1.49')) {
    for (const k of ['ContainerdCommit', 'RuncCommit', 'InitCommit']) {
      const c = (out[k] ?? {}) as { ID?: string };
      out[k] = { ...c, Expected: c.ID ?? '' };
    }
  }
  if (older('1.47')) {
    out.RegistryConfig = { AllowNondistributableArtifactsCIDRs: null, AllowNondistributableArtifactsHostnames: null, ...(out.RegistryConfig as object) };
  }
  return out;
}
