import type { LocalImageService } from '../images/service';
import type { DB } from '../metadata/db';
import { invalidParameter, isUnauthorized, system, unauthorized } from '../errdefs';
import { normalizeAuth, type AuthConfig } from './auth';
import { RegistrySession } from './client';
import { RegistryHosts, type Endpoint, type RegistryHostsOptions } from './hosts';
import { readBody, request } from './http';
import { DistributionMetadata } from './metadata';
import { LayerWorkers } from './workers';

/**
 * The registry client's entry point for the engine: endpoint selection (HTTPS, then plain
 * HTTP for insecure registries; mirrors for docker.io), sessions per repository, the
 * metadata of pulled/pushed blobs, and the blobs in flight that GC must not take.
 */
export interface DistributionOptions extends RegistryHostsOptions {
  images: LocalImageService;
  db: DB;
  /** parallel layer downloads and uploads (dockerd: 3 and 5; berth: 8 and 5) */
  maxConcurrentDownloads?: number;
  maxConcurrentUploads?: number;
}

export class DistributionService {
  readonly hosts: RegistryHosts;
  readonly meta: DistributionMetadata;
  readonly images: LocalImageService;
  /** threads that download and unpack layers, so a pull uses every core */
  readonly workers: LayerWorkers;
  /** blob digests being pulled or pushed: kept by GC until their rows exist */
  readonly inflight = new Map<string, number>();
  private picked = new Map<string, { ep: Endpoint; at: number }>();

  constructor(readonly opts: DistributionOptions) {
    this.hosts = new RegistryHosts(opts);
    this.meta = new DistributionMetadata(opts.db);
    this.images = opts.images;
    this.workers = new LayerWorkers(opts.maxConcurrentDownloads ?? undefined);
    opts.images.keepBlobs = () => {
      const keep = this.meta.liveBlobs();
      for (const d of this.inflight.keys()) keep.add(d);
      return keep;
    };
  }

  hold(digest: string): () => void {
    this.inflight.set(digest, (this.inflight.get(digest) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.inflight.get(digest) ?? 1) - 1;
      if (n <= 0) this.inflight.delete(digest); else this.inflight.set(digest, n);
    };
  }

  /**
   * The first endpoint of the registry that answers GET /v2/ at all (any status): a
   * connection or TLS failure moves on to the next (http:// after https:// for insecure
   * registries). Remembered for a minute.
   */
  async endpoint(domain: string, mirrors = true): Promise<Endpoint[]> {
    const all = this.hosts.endpoints(domain).filter((e) => mirrors || !e.mirror);
    const hit = this.picked.get(domain);
    if (hit && Date.now() - hit.at < 60_000) return [hit.ep, ...all.filter((e) => e.mirror && e.url !== hit.ep.url)];
    const errors: string[] = [];
    const usable: Endpoint[] = [];
    for (const ep of all) {
      try {
        const res = await request({ method: 'GET', url: `${ep.url}/v2/`, tls: ep.tls, insecure: ep.insecure });
        res.body.resume();
        usable.push(ep);
        if (!ep.mirror) break;
      } catch (e) {
        errors.push(`Get "${ep.url}/v2/": ${(e as Error).message}`);
      }
    }
    const main = usable.find((e) => !e.mirror);
    if (main) this.picked.set(domain, { ep: main, at: Date.now() });
    if (!usable.length) throw system(errors[errors.length - 1] ?? `no endpoint for ${domain}`);
    return usable.filter((e) => e.mirror).concat(main ? [main] : []);
  }

  async session(domain: string, repo: string, auth: AuthConfig, actions: string[], extraScopes: string[] = []): Promise<RegistrySession> {
    const eps = await this.endpoint(domain, actions.length === 1 && actions[0] === 'pull');
    return new RegistrySession(eps[eps.length - 1], repo, normalizeAuth(auth), actions, extraScopes);
  }

  /** Sessions to try for a pull: mirrors first (docker.io only), then the registry. */
  async pullSessions(domain: string, repo: string, auth: AuthConfig): Promise<RegistrySession[]> {
    const eps = await this.endpoint(domain, true);
    return eps.map((ep) => new RegistrySession(ep, repo, ep.mirror ? {} : normalizeAuth(auth), ['pull']));
  }

  /**
   * POST /auth: checks the credentials against the registry as dockerd's loginV2 does
   * (GET /v2/, answering its challenge). Returns dockerd's status text.
   */
  async login(auth: AuthConfig): Promise<{ Status: string; IdentityToken?: string }> {
    const a = normalizeAuth(auth);
    let server = (a.serveraddress ?? '').trim();
    if (!server) throw invalidParameter('serveraddress is required');
    server = server.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
    if (server === 'index.docker.io' || server === 'docker.io') server = 'docker.io';
    const eps = await this.endpoint(server, false);
    const ep = eps[eps.length - 1];
    const s = new RegistrySession(ep, '', a, []);
    try {
      const res = await s.send('GET', `${ep.url}/v2/`);
      const body = await readBody(res).catch(() => Buffer.alloc(0));
      void body;
      if (res.status === 401 || res.status === 403) throw unauthorized(`login attempt to ${ep.url}/v2/ failed with status: ${res.status} ${res.status === 401 ? 'Unauthorized' : 'Forbidden'}`);
      if (res.status !== 200) throw system(`login attempt to ${ep.url}/v2/ failed with status: ${res.status}`);
    } catch (e) {
      if (isUnauthorized(e) && !/failed with status/.test((e as Error).message)) {
        throw unauthorized(`login attempt to ${ep.url}/v2/ failed with status: 401 Unauthorized`);
      }
      throw e;
    }
    return { Status: 'Login Succeeded', IdentityToken: '' };
  }
}
