import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import * as zlib from 'node:zlib';
import { invalidParameter, notFound } from '../errdefs';
import { decompressStream } from '../util/tar-decompress';
import { familiarString, fullName, parseNormalizedNamed, referenceString, type Reference } from '../util/reference';
import { sha256Digest } from '../util/ids';
import { parseStored } from '../images/service';
import type { AuthConfig } from './auth';
import type { RegistrySession } from './client';
import { readBody } from './http';
import { limiter } from './limit';
import { MT, type Descriptor } from './manifest';
import { shortDigest, status, throttled, type ProgressSink } from './progress';
import type { DistributionService } from './service';

/**
 * docker push: for each layer, skip it when the registry has a blob we know it unpacks to
 * (HEAD), else mount it from another repository of the same registry where we saw it, else
 * upload: the exact compressed blob kept from a pull when it is gzip, otherwise the kept
 * uncompressed tar gzipped on the fly (streamed PATCH, then PUT ?digest=). Then the config
 * and a schema2 manifest under the tag. Progress ids are short diff IDs, as dockerd's.
 */
export interface PushOptions { name: string; tag?: string; auth: AuthConfig }

const GZIP_TYPES = new Set<string>([MT.dockerLayer, MT.ociLayerGzip]);

export async function pushImage(svc: DistributionService, o: PushOptions, out: ProgressSink): Promise<void> {
  const named = parseNormalizedNamed(o.name);
  const repo: Reference = { domain: named.domain, path: named.path };
  const images = svc.images;
  let tags: string[];
  if (o.tag || named.tag) tags = [o.tag ?? named.tag!];
  else {
    const prefix = `${fullName(repo)}:`;
    tags = images.records.allRefs().filter((r) => !r.is_digest && r.ref.startsWith(prefix)).map((r) => parseStored(r.ref).tag!);
    if (!tags.length) throw notFound(`An image does not exist locally with the tag: ${familiarString(repo)}`);
  }
  for (const t of tags) {
    try { images.resolve(referenceString({ ...repo, tag: t })); } catch {
      throw notFound(`An image does not exist locally with the tag: ${familiarString({ ...repo, tag: t })}`);
    }
  }
  out({ status: `The push refers to repository [${fullName(repo)}]` });
  const s = await svc.session(repo.domain, repo.path, o.auth, ['pull', 'push']);
  for (const t of tags) await pushTag(svc, s, repo, t, out);
}

async function blobExists(s: RegistrySession, digest: string): Promise<boolean> {
  const res = await s.send('HEAD', s.url(`blobs/${digest}`));
  res.body.resume();
  return res.status === 200;
}

function uploadUrl(s: RegistrySession, location: string, extra: Record<string, string>): string {
  const u = new URL(location, s.endpoint.url);
  for (const [k, v] of Object.entries(extra)) u.searchParams.set(k, v);
  return u.href;
}

async function startUpload(s: RegistrySession, query = ''): Promise<{ status: number; location: string }> {
  const res = await s.send('POST', s.url(`blobs/uploads/${query}`), { 'Content-Length': '0' });
  await readBody(res).catch(() => undefined);
  if (res.status !== 201 && res.status !== 202) {
    await s.check({ ...res, body: res.body }, [202], 'starting upload');
  }
  return { status: res.status, location: String(res.headers.location ?? '') };
}

/** Streams `body` to the registry (PATCH), then finishes with PUT ?digest= of the bytes sent. */
async function upload(s: RegistrySession, body: Readable, onBytes: (n: number) => void): Promise<{ digest: string; size: number }> {
  const start = await startUpload(s);
  const hash = createHash('sha256');
  let n = 0;
  const counter = new Transform({ transform(c: Buffer, _e, cb) { hash.update(c); n += c.length; onBytes(n); cb(null, c); } });
  body.on('error', (e) => counter.destroy(e));
  body.pipe(counter);
  const patched = await s.send('PATCH', uploadUrl(s, start.location, {}), { 'Content-Type': 'application/octet-stream' }, () => counter);
  await s.check(patched, [202, 204], 'uploading blob');
  patched.body.resume();
  const digest = `sha256:${hash.digest('hex')}`;
  const put = await s.send('PUT', uploadUrl(s, String(patched.headers.location ?? start.location), { digest }), { 'Content-Length': '0' }, Buffer.alloc(0));
  await s.check(put, [201, 204], 'completing upload');
  put.body.resume();
  return { digest, size: n };
}

async function pushLayer(svc: DistributionService, s: RegistrySession, diffId: string, out: ProgressSink): Promise<Descriptor> {
  const id = shortDigest(diffId);
  const known = svc.meta.blobsForDiff(diffId).filter((b) => GZIP_TYPES.has(b.media_type));
  for (const b of known) {
    if (await blobExists(s, b.digest)) {
      out(status(id, 'Layer already exists'));
      return { mediaType: MT.dockerLayer, digest: b.digest, size: b.size };
    }
  }
  for (const b of known) {
    for (const from of svc.meta.sources(b.digest, s.endpoint.host).filter((r) => r !== s.repo)) {
      // a refused mount (no pull access to the source, say) is not an error: the blob is uploaded
      const m = await startUpload(s, `?mount=${encodeURIComponent(b.digest)}&from=${encodeURIComponent(from)}`).catch(() => undefined);
      if (m?.status === 201) {
        out(status(id, `Mounted from ${from}`));
        svc.meta.addSource(b.digest, s.endpoint.host, s.repo);
        return { mediaType: MT.dockerLayer, digest: b.digest, size: b.size };
      }
    }
  }
  const draw = throttled(out);
  const release = svc.hold(diffId);
  try {
    const stored = [];
    for (const b of known) if (await svc.images.content.exists(b.digest)) stored.push(b);
    if (stored.length) {
      const b = stored[0];
      const r = await upload(s, await svc.images.content.read(b.digest), (n) => draw(id, 'Pushing', n, b.size));
      if (r.digest !== b.digest) throw invalidParameter(`blob ${b.digest} changed while pushing`);
      out(status(id, 'Pushed'));
      svc.meta.addSource(b.digest, s.endpoint.host, s.repo);
      return { mediaType: MT.dockerLayer, digest: b.digest, size: b.size };
    }
    let plain: Readable;
    let total = 0;
    if (await svc.images.content.exists(diffId)) {
      total = (await svc.images.content.info(diffId)).size;
      plain = await svc.images.content.read(diffId);
    } else {
      const any = svc.meta.blobsForDiff(diffId);
      const src = [];
      for (const b of any) if (await svc.images.content.exists(b.digest)) src.push(b);
      if (!src.length) throw notFound(`layer ${diffId}: its content is not kept by this daemon (made before it kept layer tars); rebuild or re-pull the image`);
      plain = (await decompressStream(await svc.images.content.read(src[0].digest))).stream;
    }
    let read = 0;
    const counting = new Transform({ transform(c: Buffer, _e, cb) { read += c.length; draw(id, 'Pushing', read, total || read); cb(null, c); } });
    const gz = zlib.createGzip({ level: 6 });
    plain.pipe(counting).pipe(gz);
    plain.on('error', (e) => gz.destroy(e));
    const r = await upload(s, gz, () => undefined);
    out(status(id, 'Pushed'));
    svc.images.records.tx(() => {
      svc.meta.addLayerBlob({ digest: r.digest, diff_id: diffId, media_type: MT.dockerLayer, size: r.size });
      svc.meta.addSource(r.digest, s.endpoint.host, s.repo);
    });
    return { mediaType: MT.dockerLayer, digest: r.digest, size: r.size };
  } finally {
    release();
  }
}

async function pushTag(svc: DistributionService, s: RegistrySession, repo: Reference, tag: string, out: ProgressSink): Promise<void> {
  const images = svc.images;
  const row = images.resolve(referenceString({ ...repo, tag }));
  const configBytes = await images.content.readBuffer(row.id);
  const config = JSON.parse(configBytes.toString('utf8')) as { rootfs?: { diff_ids?: string[] } };
  const diffIds = config.rootfs?.diff_ids ?? [];
  for (const d of diffIds) out(status(shortDigest(d), 'Preparing'));
  const limit = limiter(svc.opts.maxConcurrentUploads ?? 5);
  const layers = await Promise.all(diffIds.map((d) => limit(() => pushLayer(svc, s, d, out))));
  if (!(await blobExists(s, row.id))) {
    const st = await startUpload(s);
    const put = await s.send('PUT', uploadUrl(s, st.location, { digest: row.id }), { 'Content-Type': 'application/octet-stream' }, configBytes);
    await s.check(put, [201, 204], 'uploading config');
    put.body.resume();
  }
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2, mediaType: MT.dockerManifest,
    config: { mediaType: MT.dockerConfig, size: configBytes.length, digest: row.id },
    layers,
  }, null, 3));
  const res = await s.send('PUT', s.url(`manifests/${tag}`), { 'Content-Type': MT.dockerManifest }, manifest);
  await s.check(res, [201, 200], `pushing manifest for ${fullName(repo)}:${tag}`);
  res.body.resume();
  const digest = sha256Digest(manifest);
  images.records.setRef(referenceString({ ...repo, digest }), row.id, true);
  out({ status: `${tag}: digest: ${digest} size: ${manifest.length}` });
  out({ progressDetail: {}, aux: { Tag: tag, Digest: digest, Size: manifest.length } });
  images.events?.publish('image', 'push', familiarString({ ...repo, tag }), { name: familiarString({ ...repo, tag }) });
}
