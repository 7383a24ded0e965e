import type { Readable } from 'node:stream';
import { decodeAuthHeader, type AuthConfig } from './auth';
import { pullImage } from './pull';
import { pullAllTags } from './pull-all';
import { distributionInspect } from './inspect';
import { pushImage } from './push';
import { saveImages } from '../images/archive';
import { loadImages } from '../images/archive-load';
import type { DistributionService } from './service';

/** Adapts DistributionService to the routes' narrow interface (src/server/router/distribution). */
export function distributionBackend(svc: DistributionService, more: {
  save?: (names: string[]) => Promise<Readable>;
  load?: (src: Readable, quiet: boolean, out: (l: object) => void) => Promise<unknown>;
} = {}) {
  return {
    pull: (o: { name: string; tag?: string; platform?: string; authHeader?: string; allTags?: boolean }, out: (l: object) => void) => {
      const opts = { name: o.name, tag: o.tag, platform: o.platform, auth: decodeAuthHeader(o.authHeader) };
      return o.allTags && !o.tag ? pullAllTags(svc, opts, out) : pullImage(svc, opts, out);
    },
    push: (o: { name: string; tag?: string; authHeader?: string }, out: (l: object) => void) => {
      return pushImage(svc, { name: o.name, tag: o.tag, auth: decodeAuthHeader(o.authHeader) }, out);
    },
    login: (body: Record<string, unknown>) => svc.login(body as AuthConfig),
    inspect: (name: string, authHeader?: string) => distributionInspect(svc, name, decodeAuthHeader(authHeader)),
    save: (names: string[]) => {
      if (more.save) return more.save(names);
      return saveImages(svc.images, names, (diffId) => svc.meta.blobsForDiff(diffId).map((b) => b.digest));
    },
    load: (src: Readable, quiet: boolean, out: (l: object) => void) => {
      if (more.load) return more.load(src, quiet, out);
      return loadImages(svc.images, src, out);
    },
  };
}
