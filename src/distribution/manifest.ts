import { invalidParameter, notFound } from '../errdefs';
import { isValidDigest } from '../util/reference';

/** Manifest media types Berth reads (Docker schema2, OCI) and the ones it refuses (schema1). */
export const MT = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayer: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  schema1: 'application/vnd.docker.distribution.manifest.v1+json',
  schema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export const ACCEPT = [MT.dockerManifest, MT.dockerList, MT.ociManifest, MT.ociIndex, MT.schema1Signed, MT.schema1].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  platform?: Platform;
  annotations?: Record<string, string>;
}

export interface Platform { os: string; architecture: string; variant?: string; 'os.version'?: string }

export interface ImageManifest { schemaVersion: number; mediaType?: string; config: Descriptor; layers: Descriptor[] }
export interface ImageIndex { schemaVersion: number; mediaType?: string; manifests: Descriptor[] }

export type ParsedManifest = { kind: 'manifest'; mediaType: string; manifest: ImageManifest } | { kind: 'index'; mediaType: string; index: ImageIndex };

const LAYER_TYPES = new Set<string>([MT.dockerLayer, MT.ociLayer, MT.ociLayerGzip, MT.ociLayerZstd, MT.dockerForeignLayer,
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip', 'application/vnd.oci.image.layer.nondistributable.v1.tar']);

function checkDescriptor(d: Descriptor, what: string): void {
  if (!d || typeof d.digest !== 'string' || !isValidDigest(d.digest) || typeof d.size !== 'number' || d.size < 0) {
    throw invalidParameter(`invalid ${what} descriptor in manifest: ${JSON.stringify(d)}`);
  }
}

/** Parses a manifest by its Content-Type (or its own mediaType); schema1 gets Docker's refusal. */
export function parseManifest(body: Buffer, contentType: string | undefined): ParsedManifest {
  let j: Record<string, unknown>;
  try { j = JSON.parse(body.toString('utf8')) as Record<string, unknown>; } catch { throw invalidParameter('manifest is not valid JSON'); }
  const ct = (contentType ?? '').split(';')[0].trim();
  let mt = typeof j.mediaType === 'string' ? j.mediaType : ct;
  if (!mt || mt === 'application/json' || mt === 'text/plain') mt = Array.isArray(j.manifests) ? MT.ociIndex : j.schemaVersion === 1 ? MT.schema1 : MT.ociManifest;
  if (mt === MT.schema1 || mt === MT.schema1Signed || j.schemaVersion === 1) {
    throw invalidParameter('[DEPRECATION NOTICE] Docker Image Format v1 and Docker Image manifest version 2, schema 1 support is disabled by default and will be removed in an upcoming release. Suggest the author of this image to upgrade the image to image manifest version 2, schema 2.');
  }
  if (mt === MT.dockerList || mt === MT.ociIndex) {
    const index = j as unknown as ImageIndex;
    if (!Array.isArray(index.manifests)) throw invalidParameter('invalid image index: no manifests');
    index.manifests.forEach((d) => checkDescriptor(d, 'manifest'));
    return { kind: 'index', mediaType: mt, index };
  }
  if (mt === MT.dockerManifest || mt === MT.ociManifest) {
    const manifest = j as unknown as ImageManifest;
    checkDescriptor(manifest.config, 'config');
    if (!Array.isArray(manifest.layers)) throw invalidParameter('invalid manifest: no layers');
    for (const l of manifest.layers) {
      checkDescriptor(l, 'layer');
      if (!LAYER_TYPES.has(l.mediaType)) throw invalidParameter(`unsupported layer media type ${l.mediaType}`);
    }
    return { kind: 'manifest', mediaType: mt, manifest };
  }
  throw invalidParameter(`unsupported manifest media type ${mt}`);
}

/** linux/amd64 style; `variant` for arm. */
export function parsePlatformString(p: string, hostArch: string): Platform {
  const parts = p.toLowerCase().split('/');
  const out: Platform = { os: parts[0] || 'linux', architecture: parts[1] || hostArch };
  if (parts[2]) out.variant = parts[2];
  if (out.architecture === 'aarch64') out.architecture = 'arm64';
  if (out.architecture === 'x86_64' || out.architecture === 'x86-64') out.architecture = 'amd64';
  if (out.architecture === 'arm64' && out.variant === 'v8') delete out.variant;
  return out;
}

export const platformString = (p: Platform): string => [p.os, p.architecture, p.variant].filter(Boolean).join('/');

/** The manifest of an index for the platform (as containerd's platforms.Only: exact variant, else the first). */
export function selectPlatform(index: ImageIndex, want: Platform, refText: string): Descriptor {
  const candidates = index.manifests.filter((d) => {
    if (d.mediaType !== MT.dockerManifest && d.mediaType !== MT.ociManifest) return false;
    const p = d.platform;
    if (!p) return false;
    if (p.os !== want.os || p.architecture !== want.architecture) return false;
    if (want.variant && p.variant && p.variant !== want.variant) return false;
    return true;
  });
  const exact = candidates.find((d) => (d.platform?.variant ?? '') === (want.variant ?? ''));
  const hit = exact ?? candidates[0];
  if (!hit) throw notFound(`no matching manifest for ${platformString(want)} in the manifest list entries`);
  void refText;
  return hit;
}

export function isLayerMediaTypeForeign(mt: string): boolean {
  return mt === MT.dockerForeignLayer || mt.includes('nondistributable');
}
