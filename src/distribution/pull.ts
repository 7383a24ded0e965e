import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
import { invalidParameter, notFound } from '../errdefs';
import type { UnpackedLayer } from '../images/commit';
import { chainIds } from '../images/commit';
import { hostArch } from '../images/import';
import { sha256Digest } from '../util/ids';
import { familiarString, parseNormalizedNamed, type Reference } from '../util/reference';
import type { AuthConfig } from './auth';
import { RegistryError, type RegistrySession } from './client';
import { readBody } from './http';
import { ACCEPT, MT, parseManifest, parsePlatformString, selectPlatform, type Descriptor, type ImageManifest, type Platform } from './manifest';
import { shortDigest, status, throttled, type ProgressSink } from './progress';
import type { DistributionService } from './service';
import { limiter } from './limit';
import { spawnChild } from '../util/spawn';

/**
 * docker pull: manifest (index -> the platform's manifest), config, then every missing
 * layer downloaded in parallel and unpacked while it streams. Each blob is hashed as it
 * arrives and checked against its digest at the end; a mismatch fails the pull and the
 * temp dirs go, so nothing is left. Layer blobs are also kept in the content store (for
 * push and save). One commit at the end makes the image visible (see images/commit.ts).
 */
export interface PullOptions { name: string; tag?: string; platform?: string; auth: AuthConfig }

export function pullReference(name: string, tag?: string): Reference {
  const ref = parseNormalizedNamed(name);
  if (tag) {
    if (/^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/.test(tag)) return { domain: ref.domain, path: ref.path, digest: tag };
    return { domain: ref.domain, path: ref.path, tag };
  }
  if (!ref.tag && !ref.digest) ref.tag = 'latest';
  return ref;
}

export async function fetchManifest(s: RegistrySession, ref: string): Promise<{ body: Buffer; type: string | undefined; digest: string }> {
  const res = await s.send('GET', s.url(`manifests/${ref}`), { Accept: ACCEPT });
  await s.check(res, [200], `manifest for ${s.endpoint.host}/${s.repo}:${ref} not found`).catch((e: unknown) => {
    if (e instanceof RegistryError && e.status === 404) {
      if (e.codes.includes('NAME_UNKNOWN')) throw notFound(`repository ${s.endpoint.host}/${s.repo} not found: name unknown: repository name not known to registry`);
      throw e;
    }
    if (e instanceof RegistryError) throw new RegistryError(e.kind, e.message.replace(/^manifest for .* not found: /, `${s.endpoint.host}/${s.repo}: `), e.status, e.codes);
    throw e;
  });
  const body = await readBody(res);
  const digest = sha256Digest(body);
  if (ref.startsWith('sha256:') && digest !== ref) throw invalidParameter(`manifest verification failed for digest ${ref}`);
  return { body, type: res.headers['content-type'], digest };
}

export async function fetchBlobBuffer(s: RegistrySession, d: Descriptor): Promise<Buffer> {
  const res = await s.check(await s.send('GET', s.url(`blobs/${d.digest}`)), [200], `fetching blob ${d.digest}`);
  const body = await readBody(res, 64 << 20);
  if (sha256Digest(body) !== d.digest) throw invalidParameter(`failed to verify config ${d.digest}: digest mismatch`);
  return body;
}

/**
 * Counts the bytes going through (for progress) and copies them to `tee`, the content
 * store's ingest, which hashes them and checks the digest at the end (one hash per blob).
 * A blob longer than its descriptor says fails at once.
 */
function counter(d: Descriptor, onBytes: (n: number) => void, tee: PassThrough): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _e, cb) {
      n += chunk.length;
      if (n > d.size) { cb(verifyError(d)); return; }
      onBytes(n);
      if (!tee.write(chunk)) tee.once('drain', () => cb(null, chunk));
      else cb(null, chunk);
    },
    flush(cb) {
      if (n !== d.size) { const e = verifyError(d); tee.destroy(e); cb(e); return; }
      tee.end();
      cb();
    },
  });
}

/** A layer ready to commit; from a worker, its compressed blob still waits in the ingest dir. */
type PulledLayer = UnpackedLayer & { blob?: { tmp: string; digest: string } };

const verifyError = (d: Descriptor) => invalidParameter(`filesystem layer verification failed for digest ${d.digest}`);

/**
 * Write-back while layers download: a small shell runs `sync -f` every 250 ms until stopped,
 * so that little is left for the syncfs before the commit (the one that counts; nothing
 * relies on these). A shell loop, not a spawn from the daemon each time: forking the daemon
 * costs more CPU than the flush. Nothing to do without layers to download.
 */
function flushWhile(root: string, downloads: number): { stop(): void } {
  if (downloads === 0) return { stop: () => undefined };
  // the loop also ends if the daemon dies (kill -9): its parent, the spawner, ends with it
  const sh = spawnChild('sh', ['-c', 'while kill -0 "$PPID" 2>/dev/null; do sleep 0.25; sync -f "$1"; done', 'sh', root], { stdio: ['ignore', 'ignore', 'ignore'] });
  sh.on('error', () => undefined);
  return { stop: () => { sh.kill(); } };
}

/** Where a pull spends its time (ms since it began), for the debug log. */
class Timeline {
  private t0 = Date.now();
  private parts: string[] = [];
  mark(what: string, at = Date.now()): void { this.parts.push(`${what} ${at - this.t0}`); }
  toString(): string { return this.parts.join(', '); }
}

export async function pullImage(svc: DistributionService, o: PullOptions, out: ProgressSink): Promise<string> {
  const tl = new Timeline();
  const ref = pullReference(o.name, o.tag);
  const images = svc.images;
  const want: Platform = o.platform ? parsePlatformString(o.platform, hostArch()) : { os: 'linux', architecture: hostArch() };
  if (want.os !== 'linux') throw invalidParameter(`"${o.platform}": unsupported platform: operating system "${want.os}" is not supported`);
  const sessions = await svc.pullSessions(ref.domain, ref.path, o.auth);
  const refText = ref.digest ?? ref.tag!;
  let s = sessions[sessions.length - 1];
  let m: { body: Buffer; type: string | undefined; digest: string } | undefined;
  for (const cand of sessions) {
    try { m = await fetchManifest(cand, refText); s = cand; break; } catch (e) {
      if (cand === sessions[sessions.length - 1]) throw e;
    }
  }
  if (!m) throw notFound(`manifest for ${familiarString(ref)} not found`);
  tl.mark('manifest');
  out({ status: `Pulling from ${ref.path}`, id: refText });
  const topDigest = m.digest;
  let parsed = parseManifest(m.body, m.type);
  if (parsed.kind === 'index') {
    const d = selectPlatform(parsed.index, want, familiarString(ref));
    const inner = await fetchManifest(s, d.digest);
    parsed = parseManifest(inner.body, inner.type);
    if (parsed.kind !== 'manifest') throw invalidParameter('an index points at another index');
  }
  const manifest: ImageManifest = parsed.manifest;
  const configBytes = await fetchBlobBuffer(s, manifest.config);
  const config = JSON.parse(configBytes.toString('utf8')) as { os?: string; architecture?: string; rootfs?: { diff_ids?: string[] } };
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) throw invalidParameter('layers from manifest don\'t match image configuration');
  if (o.platform && config.architecture && config.architecture !== want.architecture) {
    throw notFound(`image with reference ${familiarString(ref)} was found but does not match the specified platform: wanted ${want.os}/${want.architecture}, actual: ${config.os}/${config.architecture}`);
  }
  const id = sha256Digest(configBytes);
  tl.mark('config');
  await images.pendingCleanup; // layers an rmi just released are gone, not "Already exists"
  const existed = !!images.records.image(id);
  const tagRefs = ref.tag ? [ref] : [];
  const digestRef: Reference = { domain: ref.domain, path: ref.path, digest: topDigest };
  const before = ref.tag ? images.records.refTarget(`${ref.domain}/${ref.path}:${ref.tag}`) : undefined;
  const chains = chainIds(diffIds);
  const limit = limiter(svc.workers.size);
  const emptyTmp = path.join(images.layers.root, '.tmp-absent');
  // Pinned before the check, so that a concurrent clean-up cannot take a layer said to exist.
  const releases: (() => void)[] = [images.pinLayers(chains)];
  const unpacked: Promise<PulledLayer>[] = manifest.layers.map((d, i) => {
    const sid = shortDigest(d.digest);
    const have = images.records.layer(chains[i]);
    if (have) {
      out(status(sid, 'Already exists'));
      return Promise.resolve({ prepared: { tmp: emptyTmp, link: '' }, diffId: diffIds[i], size: have.size });
    }
    out(status(sid, 'Pulling fs layer'));
    return limit(() => { tl.mark(`${sid} start`); return downloadLayer(svc, s, d, sid, out, releases, tl); });
  });
  const early = flushWhile(images.layers.root, unpacked.length - chains.filter((c) => images.records.layer(c)).length);
  const settled = await Promise.allSettled(unpacked);
  early.stop();
  tl.mark('layers');
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  const layers = settled.filter((r): r is PromiseFulfilledResult<PulledLayer> => r.status === 'fulfilled').map((r) => r.value);
  const blobs = layers.flatMap((l) => (l.blob ? [l.blob] : []));
  try {
    if (failed) {
      for (const l of layers) await images.layers.discard(l.prepared);
      throw failed.reason;
    }
    for (let i = 0; i < layers.length; i++) {
      if (layers[i].diffId !== diffIds[i]) {
        for (const l of layers) await images.layers.discard(l.prepared);
        throw invalidParameter(`failed to register layer: layer ${manifest.layers[i].digest} unpacks to ${layers[i].diffId}, the config says ${diffIds[i]}`);
      }
    }
    // The layers and blobs were written without a flush each: one syncfs covers them all (the
    // content store and the layers share the data root's file system), after the layers'
    // renames and before their records; only then are the blobs renamed into the store.
    await images.commitImage({
      config: configBytes, layers, tags: tagRefs, digests: [digestRef],
      syncfs: layers.some((l) => l.prepared.tmp !== emptyTmp),
      afterFlush: async () => { tl.mark('renamed+syncfs'); await images.content.adoptAll(blobs, true); },
    });
    tl.mark('committed');
    images.records.tx(() => {
      manifest.layers.forEach((d, i) => {
        if (d.mediaType === MT.dockerForeignLayer) return;
        if (!images.records.layer(chains[i])) return;
        if (svc.inflight.has(d.digest) || svc.meta.layerBlob(d.digest)) {
          svc.meta.addLayerBlob({ digest: d.digest, diff_id: diffIds[i], media_type: d.mediaType, size: d.size });
          svc.meta.addSource(d.digest, s.endpoint.host, ref.path);
        }
      });
    });
  } finally {
    for (const b of blobs) await fs.rm(b.tmp, { force: true });
    for (const r of releases) r();
  }
  if (images.log?.level === 'debug') images.log.debug(`pull ${familiarString(ref)}: ${tl}`);
  out({ status: `Digest: ${topDigest}` });
  const shown = familiarString(ref);
  const upToDate = existed && (!ref.tag || before === id);
  out({ status: `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${shown}` });
  if (!upToDate && ref.tag) images.emit('tag', id, shown);
  images.events?.publish('image', 'pull', shown, { name: shown });
  return id;
}

/**
 * The layer on a worker thread (./layer-worker.ts). Undefined when the worker's GET did not
 * answer 200 (an expired token, a 404...): the in-process path then fetches it and reports.
 */
async function layerInWorker(svc: DistributionService, s: RegistrySession, d: Descriptor, sid: string, out: ProgressSink, releases: (() => void)[], tl: Timeline): Promise<PulledLayer | undefined> {
  const images = svc.images;
  const draw = throttled(out);
  const blobTmp = path.join(images.content.ingestDir, `.tmp-${randomBytes(8).toString('hex')}`);
  releases.push(svc.hold(d.digest));
  let result: { diffId: string; size: number } | undefined;
  let fallBack = false;
  try {
    const prepared = await images.layers.prepareLayer(async (diffDir) => {
      const r = await svc.workers.run({
        url: s.url(`blobs/${d.digest}`), headers: s.authHeaders(), tls: s.endpoint.tls, insecure: s.endpoint.insecure,
        digest: d.digest, size: d.size, diffDir, blobTmp,
      }, (n) => draw(sid, 'Downloading', n, d.size));
      if ('done' in r) {
        result = r.done;
        tl.mark(`${sid} response`, r.times.response);
        tl.mark(`${sid} downloaded`, r.times.downloaded);
        tl.mark(`${sid} unpacked`, r.times.unpacked);
        return;
      }
      if (r.status !== undefined) { fallBack = true; throw new Error(r.error); }
      throw invalidParameter(r.error);
    }, { sync: false }).catch((e: unknown) => { if (fallBack) return undefined; throw e; });
    if (!prepared || !result) { await fs.rm(blobTmp, { force: true }); return undefined; }
    out(status(sid, 'Verifying Checksum'));
    out(status(sid, 'Download complete'));
    out({ status: 'Extracting', progressDetail: { current: d.size, total: d.size }, progress: '', id: sid });
    out(status(sid, 'Pull complete'));
    return { prepared, diffId: result.diffId, size: result.size, blob: { tmp: blobTmp, digest: d.digest } };
  } catch (e) {
    await fs.rm(blobTmp, { force: true });
    throw e;
  }
}

async function downloadLayer(svc: DistributionService, s: RegistrySession, d: Descriptor, sid: string, out: ProgressSink, releases: (() => void)[], tl: Timeline): Promise<PulledLayer> {
  const viaWorker = await layerInWorker(svc, s, d, sid, out, releases, tl);
  if (viaWorker) return viaWorker;
  const images = svc.images;
  const res = await s.check(await s.send('GET', s.url(`blobs/${d.digest}`)), [200], `fetching layer ${d.digest}`);
  const draw = throttled(out);
  const toStore = new PassThrough();
  releases.push(svc.hold(d.digest));
  const v = counter(d, (n) => draw(sid, 'Downloading', n, d.size), toStore);
  const body: Readable = res.body;
  body.on('error', (e) => v.destroy(e));
  v.on('error', (e) => { body.destroy(); toStore.destroy(e); });
  const stored = images.content.ingest(toStore, d.digest).catch((e: unknown) => {
    const err = /digest mismatch/.test(String((e as Error).message)) ? verifyError(d) : e as Error;
    v.destroy(err);
    throw err;
  });
  v.once('end', () => {
    out(status(sid, 'Verifying Checksum'));
    out(status(sid, 'Download complete'));
  });
  body.pipe(v);
  try {
    // The ingest's verdict comes first: when the unpack fails (a corrupt blob often breaks
    // gunzip before its end), the rest still drains into the ingest, whose digest check
    // then names the real cause.
    const unpacked = images.unpackLayer(v, { keepTar: false, sync: false });
    unpacked.catch(() => { v.unpipe(); v.resume(); });
    await stored.catch(async (e: unknown) => { const l = await unpacked.catch(() => undefined); if (l) await images.layers.discard(l.prepared); throw e; });
    const layer = await unpacked;
    out({ status: 'Extracting', progressDetail: { current: d.size, total: d.size }, progress: '', id: sid });
    out(status(sid, 'Pull complete'));
    return layer;
  } catch (e) {
    body.destroy();
    await stored.catch(() => undefined);
    throw e;
  }
}
