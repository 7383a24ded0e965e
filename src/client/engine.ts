/**
 * EngineClient: a typed client of the Docker Engine API as berthd (and dockerd) serve it.
 * Every method maps to one endpoint; non-2xx answers throw ApiError (statusCode + Docker's
 * message), an unreachable daemon throws ConnectionError.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { ContainerCreateBody } from '../api/types';
import { resolveHost } from './host';
import { Transport, jsonStream, readAll, textLines, type Hijacked, type PingResult, type Query, type TransportOptions } from './transport';
import type {
  ContainerInspect, ContainerPruneReport, ContainerSummary, CreateResponse, EventMessage, ExecCreateOptions,
  ExecInspect, HistoryItem, ImageDeleteItem, ImageInspect, ImageSummary, JSONMessage, SystemInfo, VersionInfo,
  WaitResponse,
} from './types';

/** Docker's filter arguments: `{"key": {"value": true}}` in the `filters` query parameter. */
export type Filters = Record<string, string[]>;

export function encodeFilters(filters?: Filters): string | undefined {
  if (!filters) return undefined;
  const out: Record<string, Record<string, boolean>> = {};
  for (const [k, values] of Object.entries(filters)) {
    if (!values.length) continue;
    out[k] = {};
    for (const v of values) out[k][v] = true;
  }
  return Object.keys(out).length ? JSON.stringify(out) : undefined;
}

const enc = encodeURIComponent;

/**
 * An event as streamed, plus (not enumerable, so JSON.stringify leaves them out) the line
 * the daemon sent and `timeNano` without the rounding of a JS number.
 */
export type StreamedEvent = EventMessage & { readonly raw: string; readonly timeNanoExact?: bigint };

export function parseEvent(line: string): StreamedEvent {
  const m = JSON.parse(line) as EventMessage;
  const nano = /"timeNano":\s*(\d+)/.exec(line);
  Object.defineProperty(m, 'raw', { value: line, enumerable: false });
  Object.defineProperty(m, 'timeNanoExact', { value: nano ? BigInt(nano[1]) : undefined, enumerable: false });
  return m as StreamedEvent;
}

export interface EventsOptions { since?: string; until?: string; filters?: Filters }
export interface StopOptions { signal?: string; timeout?: number }
export interface RemoveOptions { force?: boolean; volumes?: boolean; link?: boolean }
export interface ListOptions { all?: boolean; limit?: number; size?: boolean; filters?: Filters }
export interface LogsOptions {
  follow?: boolean; stdout?: boolean; stderr?: boolean; since?: string; until?: string;
  timestamps?: boolean; tail?: string; details?: boolean;
}
export interface AttachOptions { stream?: boolean; stdin?: boolean; stdout?: boolean; stderr?: boolean; logs?: boolean; detachKeys?: string }
export interface ImportOptions { repo?: string; tag?: string; message?: string; changes?: string[]; platform?: string }
export type WaitCondition = 'not-running' | 'next-exit' | 'removed';

export class EngineClient {
  readonly transport: Transport;

  constructor(host?: string, opts: TransportOptions = {}) {
    this.transport = new Transport(resolveHost(host), opts);
  }

  get host(): string {
    return this.transport.host;
  }

  apiVersion(): Promise<string> {
    return this.transport.apiVersion();
  }

  // ---- system ----
  ping(): Promise<PingResult> {
    return this.transport.ping();
  }

  version(): Promise<VersionInfo> {
    return this.transport.json({ method: 'GET', path: '/version' });
  }

  info(): Promise<SystemInfo> {
    return this.transport.json({ method: 'GET', path: '/info' });
  }

  /** Stream events; stop with `close()` (or by breaking out of the loop). */
  async events(opts: EventsOptions = {}): Promise<{ messages: AsyncGenerator<StreamedEvent>; close: () => void }> {
    const ac = new AbortController();
    const res = await this.transport.request({
      method: 'GET', path: '/events', signal: ac.signal,
      query: { since: opts.since, until: opts.until, filters: encodeFilters(opts.filters) },
    });
    const close = () => { res.destroy(); };
    const messages = (async function* () {
      try {
        for await (const line of textLines(res)) yield parseEvent(line);
      } catch (e) {
        if (!res.destroyed) throw e;
      }
    })();
    return { messages, close };
  }

  // ---- containers ----
  containerCreate(body: ContainerCreateBody, opts: { name?: string; platform?: string } = {}): Promise<CreateResponse> {
    return this.transport.json({ method: 'POST', path: '/containers/create', query: { name: opts.name || undefined, platform: opts.platform || undefined }, body });
  }

  containerStart(id: string, opts: { detachKeys?: string } = {}): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/start`, query: { detachKeys: opts.detachKeys } });
  }

  containerStop(id: string, opts: StopOptions = {}): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/stop`, query: { signal: opts.signal, t: opts.timeout } });
  }

  containerRestart(id: string, opts: StopOptions = {}): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/restart`, query: { signal: opts.signal, t: opts.timeout } });
  }

  containerKill(id: string, signal?: string): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/kill`, query: { signal } });
  }

  containerRemove(id: string, opts: RemoveOptions = {}): Promise<void> {
    return this.transport.empty({
      method: 'DELETE', path: `/containers/${enc(id)}`,
      query: { force: opts.force || undefined, v: opts.volumes || undefined, link: opts.link || undefined },
    });
  }

  /**
   * Send the wait request and resolve once the daemon has accepted it (its headers came
   * back), so that a `start` sent afterwards cannot race it; `result` settles on exit.
   */
  async containerWaitBegin(id: string, condition: WaitCondition = 'not-running'): Promise<{ result: Promise<WaitResponse> }> {
    const res = await this.transport.request({ method: 'POST', path: `/containers/${enc(id)}/wait`, query: { condition } });
    const result = readAll(res).then((b) => {
      const r = JSON.parse(b.toString()) as WaitResponse;
      if (r.Error?.Message) throw new Error(r.Error.Message);
      return r;
    });
    result.catch(() => undefined);
    return { result };
  }

  async containerWait(id: string, condition: WaitCondition = 'not-running'): Promise<WaitResponse> {
    return (await this.containerWaitBegin(id, condition)).result;
  }

  containerRename(id: string, name: string): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/rename`, query: { name } });
  }

  containerInspect(id: string, opts: { size?: boolean } = {}): Promise<ContainerInspect> {
    return this.transport.json({ method: 'GET', path: `/containers/${enc(id)}/json`, query: { size: opts.size || undefined } });
  }

  containerList(opts: ListOptions = {}): Promise<ContainerSummary[]> {
    const query: Query = {
      all: opts.all || undefined, limit: opts.limit && opts.limit > 0 ? opts.limit : undefined,
      size: opts.size || undefined, filters: encodeFilters(opts.filters),
    };
    return this.transport.json({ method: 'GET', path: '/containers/json', query });
  }

  containerPrune(filters?: Filters): Promise<ContainerPruneReport> {
    return this.transport.json({ method: 'POST', path: '/containers/prune', query: { filters: encodeFilters(filters) } });
  }

  /** The log stream: multiplexed frames unless the container has a TTY (then raw bytes). */
  containerLogs(id: string, opts: LogsOptions = {}): Promise<IncomingMessage> {
    return this.transport.request({
      method: 'GET', path: `/containers/${enc(id)}/logs`,
      query: {
        follow: opts.follow || undefined, stdout: opts.stdout ?? true, stderr: opts.stderr ?? true,
        since: opts.since, until: opts.until, timestamps: opts.timestamps || undefined,
        tail: opts.tail, details: opts.details || undefined,
      },
    });
  }

  containerAttach(id: string, opts: AttachOptions = {}): Promise<Hijacked> {
    return this.transport.hijack({
      method: 'POST', path: `/containers/${enc(id)}/attach`,
      query: {
        stream: opts.stream ?? true, stdin: opts.stdin || undefined, stdout: opts.stdout ?? true,
        stderr: opts.stderr ?? true, logs: opts.logs || undefined, detachKeys: opts.detachKeys,
      },
    });
  }

  containerResize(id: string, height: number, width: number): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/containers/${enc(id)}/resize`, query: { h: height, w: width } });
  }

  // ---- exec ----
  execCreate(container: string, opts: ExecCreateOptions): Promise<{ Id: string }> {
    return this.transport.json({ method: 'POST', path: `/containers/${enc(container)}/exec`, body: opts });
  }

  /** Start detached: resolves when the process started. */
  execStartDetached(id: string, opts: { tty?: boolean } = {}): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/exec/${enc(id)}/start`, body: { Detach: true, Tty: !!opts.tty } });
  }

  /** Start attached: the hijacked socket carries stdin one way and output the other. */
  execStartAttached(id: string, opts: { tty?: boolean; consoleSize?: [number, number] } = {}): Promise<Hijacked> {
    const body: Record<string, unknown> = { Detach: false, Tty: !!opts.tty };
    if (opts.consoleSize) body.ConsoleSize = opts.consoleSize;
    return this.transport.hijack({ method: 'POST', path: `/exec/${enc(id)}/start`, body });
  }

  execInspect(id: string): Promise<ExecInspect> {
    return this.transport.json({ method: 'GET', path: `/exec/${enc(id)}/json` });
  }

  execResize(id: string, height: number, width: number): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/exec/${enc(id)}/resize`, query: { h: height, w: width } });
  }

  // ---- images ----
  imageList(opts: { all?: boolean; digests?: boolean; filters?: Filters } = {}): Promise<ImageSummary[]> {
    return this.transport.json({
      method: 'GET', path: '/images/json',
      query: { all: opts.all || undefined, digests: opts.digests || undefined, filters: encodeFilters(opts.filters) },
    });
  }

  imageInspect(name: string): Promise<ImageInspect> {
    return this.transport.json({ method: 'GET', path: `/images/${name}/json` });
  }

  imageTag(source: string, repo: string, tag?: string): Promise<void> {
    return this.transport.empty({ method: 'POST', path: `/images/${source}/tag`, query: { repo, tag: tag || undefined } });
  }

  imagePrune(filters?: Filters): Promise<{ ImagesDeleted: ImageDeleteItem[] | null; SpaceReclaimed: number }> {
    return this.transport.json({ method: 'POST', path: '/images/prune', query: { filters: encodeFilters(filters) } });
  }

  imageRemove(name: string, opts: { force?: boolean; noPrune?: boolean } = {}): Promise<ImageDeleteItem[]> {
    return this.transport.json({ method: 'DELETE', path: `/images/${name}`, query: { force: opts.force || undefined, noprune: opts.noPrune || undefined } });
  }

  imageHistory(name: string): Promise<HistoryItem[]> {
    return this.transport.json({ method: 'GET', path: `/images/${name}/history` });
  }

  /** Import a tarball (`fromSrc=-`) or a URL; the answer is Docker's JSON progress stream. */
  async imageImport(source: Readable | Buffer | URL, opts: ImportOptions = {}): Promise<AsyncGenerator<JSONMessage>> {
    // a URL is fetched by the daemon (`fromSrc=<url>`); anything else is the body (`fromSrc=-`)
    const fromUrl = source instanceof URL;
    const res = await this.transport.request({
      method: 'POST', path: '/images/create',
      body: fromUrl ? undefined : source, headers: fromUrl ? undefined : { 'Content-Type': 'text/plain' },
      query: { fromSrc: fromUrl ? source.toString() : '-', repo: opts.repo, tag: opts.tag, message: opts.message, changes: opts.changes, platform: opts.platform },
    });
    return jsonStream<JSONMessage>(res);
  }

  /** Pull `fromImage` (with `tag`); the answer is Docker's JSON progress stream. */
  async imagePull(fromImage: string, opts: { tag?: string; platform?: string; registryAuth?: string } = {}): Promise<AsyncGenerator<JSONMessage>> {
    const res = await this.transport.request({
      method: 'POST', path: '/images/create', query: { fromImage, tag: opts.tag, platform: opts.platform },
      headers: { 'X-Registry-Auth': opts.registryAuth || 'e30=' },
    });
    return jsonStream<JSONMessage>(res);
  }

  /** Push `name` (with `tag`; all tags without one); `registryAuth` is the base64url X-Registry-Auth. */
  async imagePush(name: string, opts: { tag?: string; registryAuth?: string } = {}): Promise<AsyncGenerator<JSONMessage>> {
    const res = await this.transport.request({
      method: 'POST', path: `/images/${name}/push`, query: { tag: opts.tag }, headers: { 'X-Registry-Auth': opts.registryAuth || 'e30=' },
    });
    return jsonStream<JSONMessage>(res);
  }

  /** POST /auth: checks credentials with the registry. */
  registryLogin(auth: { username?: string; password?: string; serveraddress?: string }): Promise<{ Status: string; IdentityToken?: string }> {
    return this.transport.json({ method: 'POST', path: '/auth', body: auth });
  }

  /** docker save: the tar stream of the named images. */
  imageSave(names: string[]): Promise<import('node:http').IncomingMessage> {
    return this.transport.request({ method: 'GET', path: '/images/get', query: { names } });
  }

  /** docker load from a tar stream; the answer is the JSON progress stream. */
  async imageLoad(source: Readable | Buffer, quiet = false): Promise<AsyncGenerator<JSONMessage>> {
    const res = await this.transport.request({
      method: 'POST', path: '/images/load', query: { quiet: quiet ? '1' : undefined }, body: source, headers: { 'Content-Type': 'application/x-tar' },
    });
    return jsonStream<JSONMessage>(res);
  }
}
