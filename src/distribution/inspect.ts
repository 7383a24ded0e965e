import type { AuthConfig } from './auth';
import { parseManifest, type Platform } from './manifest';
import { fetchBlobBuffer, fetchManifest, pullReference } from './pull';
import type { DistributionService } from './service';

/**
 * GET /distribution/{name}/json: the registry's descriptor of a reference and the platforms
 * it offers (from the index, or from the image config of a single manifest), as dockerd answers.
 */
export async function distributionInspect(svc: DistributionService, name: string, auth: AuthConfig): Promise<{ Descriptor: { mediaType: string; digest: string; size: number }; Platforms: Platform[] }> {
  const ref = pullReference(name);
  const sessions = await svc.pullSessions(ref.domain, ref.path, auth);
  const s = sessions[sessions.length - 1];
  const m = await fetchManifest(s, ref.digest ?? ref.tag!);
  const parsed = parseManifest(m.body, m.type);
  const Descriptor = { mediaType: parsed.mediaType, digest: m.digest, size: m.body.length };
  if (parsed.kind === 'index') {
    return { Descriptor, Platforms: parsed.index.manifests.filter((d) => d.platform).map((d) => d.platform!) };
  }
  const cfg = JSON.parse((await fetchBlobBuffer(s, parsed.manifest.config)).toString('utf8')) as { os?: string; architecture?: string; variant?: string };
  const p: Platform = { architecture: cfg.architecture ?? '', os: cfg.os ?? '' };
  if (cfg.variant) p.variant = cfg.variant;
  return { Descriptor, Platforms: [p] };
}
