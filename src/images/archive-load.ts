import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract } from 'tar-stream';
import { invalidParameter } from '../errdefs';
import { TEMP_PREFIX } from '../util/atomic';
import { sha256Digest } from '../util/ids';
import { familiarString, isValidDigest, parseNormalizedNamed, type Reference } from '../util/reference';
import type { UnpackedLayer } from './commit';
import type { LocalImageService } from './service';

/**
 * docker load: a docker-archive tar (manifest.json: [{Config, RepoTags, Layers}]; dockerd
 * 20.10's legacy layout and docker 25+'s OCI-based one both carry it) or an OCI image layout
 * (index.json -> manifests -> blobs/sha256/...). Files are spooled into a temp dir inside the
 * content store's ingest dir (removed at start-up after a crash); layers then unpack in
 * parallel and each image is committed in one step. Paths inside the archive are never
 * joined to the file system: files are looked up by their name in a map.
 */
const SMALL = 1 << 20;

interface Spooled { small: Map<string, Buffer>; files: Map<string, string> }

function clean(name: string): string {
  return path.posix.normalize('/' + name).slice(1);
}

async function spool(src: Readable, dir: string): Promise<Spooled> {
  const out: Spooled = { small: new Map(), files: new Map() };
  const ex = extract();
  let n = 0;
  ex.on('entry', (h, stream, next) => {
    const name = clean(h.name);
    if (h.type !== 'file' || !name) { stream.resume(); stream.on('end', next); return; }
    if ((h.size ?? 0) <= SMALL) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => { out.small.set(name, Buffer.concat(chunks)); next(); });
      stream.on('error', next);
      return;
    }
    const file = path.join(dir, String(n++));
    pipeline(stream, createWriteStream(file, { mode: 0o600 })).then(() => { out.files.set(name, file); next(); }, next);
  });
  await pipeline(src, ex);
  return out;
}

interface Entry { config: Buffer; layers: string[]; tags: Reference[] }

function ociEntries(sp: Spooled): Entry[] {
  const idx = sp.small.get('index.json');
  if (!idx) throw invalidParameter('invalid tar archive: no manifest.json or index.json');
  const blob = (d: string) => {
    if (!isValidDigest(d)) throw invalidParameter(`invalid digest ${d}`);
    const b = sp.small.get(`blobs/sha256/${d.slice(7)}`);
    if (!b) throw invalidParameter(`blob ${d} missing from the archive`);
    if (sha256Digest(b) !== d) throw invalidParameter(`blob ${d}: digest mismatch`);
    return JSON.parse(b.toString('utf8')) as Record<string, unknown>;
  };
  const out: Entry[] = [];
  const visit = (desc: { digest: string; mediaType?: string; annotations?: Record<string, string>; platform?: { architecture?: string } }, name?: string) => {
    const m = blob(desc.digest) as { manifests?: typeof desc[]; config?: { digest: string }; layers?: { digest: string }[] };
    if (Array.isArray(m.manifests)) {
      const pick = m.manifests.find((x) => !x.platform || x.platform.architecture === 'amd64') ?? m.manifests[0];
      if (pick) visit(pick, name);
      return;
    }
    if (!m.config) throw invalidParameter(`manifest ${desc.digest} has no config`);
    const cfgDigest = m.config.digest;
    const config = sp.small.get(`blobs/sha256/${cfgDigest.slice(7)}`);
    if (!config || sha256Digest(config) !== cfgDigest) throw invalidParameter(`config ${cfgDigest} missing or corrupt`);
    const tags: Reference[] = [];
    if (name) { try { const r = parseNormalizedNamed(name); if (r.tag) tags.push(r); } catch { /* a bare tag name: no repository */ } }
    out.push({ config, layers: (m.layers ?? []).map((l) => `blobs/sha256/${l.digest.slice(7)}`), tags });
  };
  const index = JSON.parse(idx.toString('utf8')) as { manifests?: { digest: string; annotations?: Record<string, string> }[] };
  for (const d of index.manifests ?? []) visit(d, d.annotations?.['io.containerd.image.name'] ?? d.annotations?.['org.opencontainers.image.ref.name']);
  return out;
}

function entries(sp: Spooled): Entry[] {
  const mf = sp.small.get('manifest.json');
  if (!mf) return ociEntries(sp);
  const list = JSON.parse(mf.toString('utf8')) as { Config: string; RepoTags?: string[] | null; Layers: string[] }[];
  return list.map((m) => {
    const config = sp.small.get(clean(m.Config));
    if (!config) throw invalidParameter(`invalid archive: config ${m.Config} missing`);
    return { config, layers: m.Layers.map(clean), tags: (m.RepoTags ?? []).map((t) => parseNormalizedNamed(t)) };
  });
}

export async function loadImages(s: LocalImageService, src: Readable, out: (l: object) => void): Promise<string[]> {
  await s.content.init();
  const dir = path.join(s.content.ingestDir, `${TEMP_PREFIX}load-${randomBytes(6).toString('hex')}`);
  await fs.mkdir(dir, { mode: 0o700 });
  const loaded: string[] = [];
  try {
    const sp = await spool(src, dir);
    for (const e of entries(sp)) {
      const layers = await Promise.allSettled(e.layers.map(async (name): Promise<UnpackedLayer> => {
        const file = sp.files.get(name);
        const small = sp.small.get(name);
        if (!file && !small) throw invalidParameter(`invalid archive: layer ${name} missing`);
        return s.unpackLayer(file ? createReadStream(file) : Readable.from([small!]));
      }));
      const bad = layers.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      const ok = layers.filter((r): r is PromiseFulfilledResult<UnpackedLayer> => r.status === 'fulfilled').map((r) => r.value);
      if (bad) { for (const l of ok) await s.layers.discard(l.prepared); throw bad.reason; }
      const id = await s.commitImage({ config: e.config, layers: ok, tags: e.tags });
      if (e.tags.length) for (const t of e.tags) { out({ stream: `Loaded image: ${familiarString(t)}\n` }); loaded.push(familiarString(t)); }
      else { out({ stream: `Loaded image ID: ${id}\n` }); loaded.push(id); }
      s.events?.publish('image', 'load', id, { name: id });
    }
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
  return loaded;
}
