import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { pack } from 'tar-stream';
import { notFound } from '../errdefs';
import { decompressStream } from '../util/tar-decompress';
import { familiarString, fullName, parseAnyReference, referenceString, tagNameOnly, type Reference } from '../util/reference';
import { parseStored, type LocalImageService } from './service';

/**
 * docker save in the docker-archive format that dockerd 20.10 writes and every docker load
 * reads: `<layer>/layer.tar` (+ VERSION, json), `<config hex>.json`, manifest.json
 * ([{Config, RepoTags, Layers}]) and repositories. Layer tars are the exact bytes the layer
 * was made from: the kept uncompressed tar (blob named by the diff ID), else the kept
 * compressed blob of a pull, decompressed once into the content store.
 */

/** Finds the source of a layer's plain tar, materializing it when only a compressed blob is kept. */
export type CompressedLookup = (diffId: string) => string[];

async function plainLayer(s: LocalImageService, diffId: string, compressed: CompressedLookup): Promise<{ size: number }> {
  if (await s.content.exists(diffId)) return s.content.info(diffId);
  for (const d of compressed(diffId)) {
    if (!(await s.content.exists(d))) continue;
    const { stream } = await decompressStream(await s.content.read(d));
    return s.content.ingest(stream, diffId);
  }
  throw notFound(`layer ${diffId}: its content is not kept by this daemon`);
}

interface Picked { id: string; tags: Reference[] }

function pick(s: LocalImageService, names: string[]): Picked[] {
  const byId = new Map<string, Picked>();
  const add = (id: string, tag?: Reference) => {
    let p = byId.get(id);
    if (!p) { p = { id, tags: [] }; byId.set(id, p); }
    if (tag && !p.tags.some((t) => referenceString(t) === referenceString(tag))) p.tags.push(tag);
  };
  for (const n of names) {
    const any = parseAnyReference(n);
    if (any.kind === 'named' && !any.ref.tag && !any.ref.digest) {
      const prefix = `${fullName(any.ref)}:`;
      const refs = s.records.allRefs().filter((r) => !r.is_digest && r.ref.startsWith(prefix));
      if (refs.length) { for (const r of refs) add(r.image_id, parseStored(r.ref)); continue; }
    }
    const row = s.resolve(n);
    if (any.kind === 'named' && !any.ref.digest && s.records.refTarget(referenceString(tagNameOnly(any.ref))) === row.id) add(row.id, tagNameOnly(any.ref));
    else add(row.id);
  }
  return [...byId.values()];
}

export async function saveImages(s: LocalImageService, names: string[], compressed: CompressedLookup): Promise<Readable> {
  const picked = pick(s, names);
  // everything that can fail does so before the first byte
  const plans = [];
  for (const p of picked) {
    const config = await s.content.readBuffer(p.id);
    const diffIds = (JSON.parse(config.toString('utf8')) as { rootfs?: { diff_ids?: string[] } }).rootfs?.diff_ids ?? [];
    const chain = s.layerChain(s.records.image(p.id)?.top_layer ?? null);
    const layers = [];
    for (let i = 0; i < diffIds.length; i++) layers.push({ diffId: diffIds[i], dir: (chain[i] ?? diffIds[i]).slice(7), ...(await plainLayer(s, diffIds[i], compressed)) });
    plans.push({ ...p, config, layers });
  }
  const tar = pack();
  const out = new PassThrough();
  const mtime = new Date(0);
  const entry = (name: string, data: Buffer) => new Promise<void>((resolve, reject) => tar.entry({ name, mtime, mode: 0o644 }, data, (e) => (e ? reject(e) : resolve())));
  void (async () => {
    const written = new Set<string>();
    const manifest: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
    const repositories: Record<string, Record<string, string>> = {};
    for (const p of plans) {
      let parent = '';
      for (const l of p.layers) {
        if (!written.has(l.dir)) {
          written.add(l.dir);
          tar.entry({ name: `${l.dir}/`, type: 'directory', mtime, mode: 0o755 });
          await entry(`${l.dir}/VERSION`, Buffer.from('1.0'));
          await entry(`${l.dir}/json`, Buffer.from(JSON.stringify({ id: l.dir, ...(parent ? { parent } : {}), created: '1970-01-01T00:00:00Z', container_config: { Cmd: null } })));
          await new Promise<void>((resolve, reject) => {
            const w = tar.entry({ name: `${l.dir}/layer.tar`, size: l.size, mtime, mode: 0o644 }, (e) => (e ? reject(e) : resolve()));
            s.content.read(l.diffId).then((r) => pipeline(r, w)).catch(reject);
          });
        }
        parent = l.dir;
      }
      const cfgName = `${p.id.slice(7)}.json`;
      if (!written.has(cfgName)) { written.add(cfgName); await entry(cfgName, p.config); }
      s.emit('save', p.id, p.id); // as dockerd's export: once an image is in the archive
      const tags = p.tags.map((t) => familiarString(t));
      manifest.push({ Config: cfgName, RepoTags: tags.length ? tags : null, Layers: p.layers.map((l) => `${l.dir}/layer.tar`) });
      for (const t of p.tags) {
        const repo = familiarString({ domain: t.domain, path: t.path });
        (repositories[repo] ??= {})[t.tag!] = p.layers[p.layers.length - 1]?.dir ?? '';
      }
    }
    await entry('manifest.json', Buffer.from(JSON.stringify(manifest)));
    if (Object.keys(repositories).length) await entry('repositories', Buffer.from(JSON.stringify(repositories)));
    tar.finalize();
  })().catch((e: unknown) => tar.destroy(e as Error));
  tar.on('error', (e) => out.destroy(e));
  tar.pipe(out);
  return out;
}
