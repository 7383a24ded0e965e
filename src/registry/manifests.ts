/**
 * Manifests: PUT checks size (4 MiB), JSON, schemaVersion 2, the digest in the URL and that
 * every blob (config, layers) or child manifest (index) it names is already in the
 * repository; only then is it written (blob first, then the revision link, then the tag).
 * A manifest with a `subject` is recorded as a referrer of that subject.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { checkDigestParam, isDigest, isValidTag, regError } from './errors';
import type { Descriptor, ManifestLink, RegistryStorage } from './storage';

export const MAX_MANIFEST = 4 * 1024 * 1024;
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const INDEX_TYPES = new Set([OCI_INDEX, 'application/vnd.docker.distribution.manifest.list.v2+json']);

interface RawDescriptor { mediaType?: unknown; digest?: unknown; size?: unknown; urls?: unknown; annotations?: unknown; artifactType?: unknown }
interface RawManifest {
  schemaVersion?: unknown; mediaType?: unknown; artifactType?: unknown; config?: RawDescriptor;
  layers?: unknown; manifests?: unknown; subject?: RawDescriptor; annotations?: unknown; blobs?: unknown;
}

/**
 * Reads a request body up to `limit` bytes; more is 413 and nothing is kept. The rest of an
 * oversized body (up to 64 MiB) is read and dropped first, so that the client, still
 * writing, gets the answer rather than a reset.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > 64 * 1024 * 1024) break;
    if (n <= limit) parts.push(c);
  }
  if (n > limit) throw regError(413, 'SIZE_INVALID', { limit }, 'manifest too large');
  if (!Number.isNaN(declared) && n !== declared) throw regError(400, 'SIZE_INVALID', { expected: declared, got: n });
  return Buffer.concat(parts);
}

const descList = (v: unknown, field: string): RawDescriptor[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw regError(400, 'MANIFEST_INVALID', { reason: `${field} is not a list` });
  return v as RawDescriptor[];
};
const descDigest = (d: RawDescriptor | undefined, field: string): string => {
  if (!d || typeof d.digest !== 'string' || !isDigest(d.digest) || typeof d.size !== 'number') throw regError(400, 'MANIFEST_INVALID', { reason: `bad descriptor in ${field}` });
  return d.digest;
};

export interface PutResult { digest: string; subject?: string }

export async function putManifest(store: RegistryStorage, name: string, ref: string, contentType: string | undefined, body: Buffer): Promise<PutResult> {
  const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
  const byDigest = ref.includes(':');
  if (byDigest) {
    checkDigestParam(ref);
    if (ref !== digest) throw regError(400, 'DIGEST_INVALID', { expected: ref, computed: digest });
  } else if (!isValidTag(ref)) throw regError(400, 'TAG_INVALID', { tag: ref });
  let m: RawManifest;
  try { m = JSON.parse(body.toString('utf8')) as RawManifest; } catch { throw regError(400, 'MANIFEST_INVALID', { reason: 'not JSON' }); }
  if (!m || typeof m !== 'object' || Array.isArray(m)) throw regError(400, 'MANIFEST_INVALID', { reason: 'not an object' });
  if (m.schemaVersion !== 2) throw regError(400, 'MANIFEST_INVALID', { reason: 'schemaVersion must be 2' });
  const ct = (contentType ?? '').split(';')[0].trim();
  const mediaType = typeof m.mediaType === 'string' ? m.mediaType : ct || 'application/vnd.oci.image.manifest.v1+json';
  if (typeof m.mediaType === 'string' && ct && ct !== m.mediaType) throw regError(400, 'MANIFEST_INVALID', { reason: `Content-Type ${ct} does not match mediaType ${m.mediaType}` });
  const isIndex = INDEX_TYPES.has(mediaType) || (m.manifests !== undefined && m.layers === undefined);
  if (isIndex) {
    for (const d of descList(m.manifests, 'manifests')) {
      const dg = descDigest(d, 'manifests');
      if (!(await store.getManifestLink(name, dg))) throw regError(400, 'MANIFEST_BLOB_UNKNOWN', { digest: dg });
    }
  } else {
    if (m.config === undefined) throw regError(400, 'MANIFEST_INVALID', { reason: 'no config' });
    const blobs = [descDigest(m.config, 'config')];
    for (const d of descList(m.layers, 'layers')) {
      const dg = descDigest(d, 'layers');
      if (!(Array.isArray(d.urls) && d.urls.length)) blobs.push(dg); // foreign layers live elsewhere
    }
    for (const dg of blobs) if (!(await store.hasBlob(name, dg))) throw regError(400, 'MANIFEST_BLOB_UNKNOWN', { digest: dg });
  }
  let subject: string | undefined;
  if (m.subject !== undefined) subject = descDigest(m.subject, 'subject');
  const artifactType = typeof m.artifactType === 'string' ? m.artifactType : (!isIndex && typeof m.config?.mediaType === 'string' ? m.config.mediaType : undefined);
  const link: ManifestLink = { mediaType, size: body.length, ...(artifactType ? { artifactType } : {}) };

  await store.content.writeBuffer(body, digest);
  await store.putManifest(name, digest, link);
  if (!byDigest) await store.tag(name, ref, digest);
  if (subject) {
    const desc: Descriptor = { mediaType, digest, size: body.length, ...(artifactType ? { artifactType } : {}) };
    if (m.annotations && typeof m.annotations === 'object') desc.annotations = m.annotations as Record<string, string>;
    await store.addReferrer(name, subject, desc);
  }
  return { digest, subject };
}

/** The manifest a tag or digest names, or MANIFEST_UNKNOWN. */
export async function resolveManifest(store: RegistryStorage, name: string, ref: string): Promise<{ digest: string; link: ManifestLink }> {
  let digest: string | undefined;
  if (ref.includes(':')) digest = checkDigestParam(ref);
  else if (!isValidTag(ref)) throw regError(400, 'TAG_INVALID', { tag: ref });
  else digest = await store.resolveTag(name, ref);
  const link = digest ? await store.getManifestLink(name, digest) : undefined;
  if (!digest || !link) throw regError(404, 'MANIFEST_UNKNOWN', { name, reference: ref });
  return { digest, link };
}

/** The referrers API's answer: an OCI index, filtered by artifactType when asked. */
export async function referrersIndex(store: RegistryStorage, name: string, subject: string, artifactType: string | null): Promise<{ body: string; filtered: boolean }> {
  checkDigestParam(subject);
  let list = await store.referrers(name, subject);
  if (artifactType) list = list.filter((d) => d.artifactType === artifactType);
  return { body: JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: list }), filtered: !!artifactType };
}
