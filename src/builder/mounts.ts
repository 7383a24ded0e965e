import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { HostConfig } from '../api/types';
import { invalidParameter } from '../errdefs';
import { newId } from '../util/ids';
import { secureJoin } from '../util/securejoin';
import { resolveSources, sourceChecksum } from './copy';
import type { BuildRun } from './run-state';

/**
 * RUN --mount (BuildKit syntax): type=cache (a directory kept under the builder's dir, by
 * id or target, shared between builds), type=bind (the context, or with from= a stage or
 * image, read-only unless rw), type=tmpfs. What a bind shows is part of the step's cache
 * key: the checksum of the bound context path, or the image id it comes from.
 */
type Mount = NonNullable<HostConfig['Mounts']>[number];

interface Spec { type: string; target: string; kv: Map<string, string> }

function parseSpec(spec: string): Spec {
  const kv = new Map<string, string>();
  for (const part of spec.split(',')) {
    const eq = part.indexOf('=');
    kv.set(eq < 0 ? part : part.slice(0, eq), eq < 0 ? 'true' : part.slice(eq + 1));
  }
  const type = kv.get('type') ?? 'bind';
  const target = kv.get('target') ?? kv.get('dst') ?? kv.get('destination');
  if (!target) throw invalidParameter(`mount type=${type} requires a target`);
  if (!['cache', 'bind', 'tmpfs'].includes(type)) throw invalidParameter(`unsupported mount type ${type}`);
  return { type, target, kv };
}

function fromImage(b: BuildRun, from: string): string {
  const stage = b.stages.get(from.toLowerCase());
  if (stage) return stage;
  try { return b.deps.images.get(from).id; } catch { throw invalidParameter(`invalid from flag value ${from}: No such image: ${from}`); }
}

/** What the mounts add to the step's cache key (computed before the cache is probed). */
export async function mountKeys(b: BuildRun, specs: string[]): Promise<string[]> {
  const keys: string[] = [];
  for (const raw of specs) {
    const s = parseSpec(raw);
    const src = s.kv.get('source') ?? s.kv.get('src') ?? '.';
    if (s.type === 'bind' && s.kv.get('from')) keys.push(`${raw}@${fromImage(b, s.kv.get('from')!)}`);
    else if (s.type === 'bind') {
      // from the context's entry list when there is one (the files are written out only if the step runs)
      const { dir, hashes, view } = b.opts.context;
      const [source] = await resolveSources(dir, [src], true, view);
      keys.push(`${raw}@${await sourceChecksum(source, { root: dir, hashes, view })}`);
    } else keys.push(raw);
  }
  return keys;
}

/** The container mounts; `cleanup` releases the image roots that binds with from= mounted. */
export async function runMounts(b: BuildRun, specs: string[]): Promise<{ mounts: Mount[]; cleanup: () => Promise<void> }> {
  const mounts: Mount[] = [];
  const layers: string[] = [];
  const cleanup = async () => {
    for (const id of layers) await b.deps.images.removeContainerLayer(id).catch((e) => b.deps.log.warn(`build: remove mount layer ${id}: ${String(e)}`));
  };
  try {
    for (const raw of specs) {
      const s = parseSpec(raw);
      const ro = s.kv.has('ro') || s.kv.has('readonly');
      if (s.type === 'cache') {
        const id = (s.kv.get('id') ?? s.target).replace(/[^A-Za-z0-9_.-]/g, '_');
        const dir = path.join(b.deps.tmpDir, '..', 'cache-mounts', id);
        await fs.mkdir(dir, { recursive: true, mode: 0o755 });
        mounts.push({ Type: 'bind', Source: dir, Target: s.target, ReadOnly: ro });
        continue;
      }
      if (s.type === 'tmpfs') { mounts.push({ Type: 'tmpfs', Target: s.target }); continue; }
      const src = s.kv.get('source') ?? s.kv.get('src') ?? '.';
      const rw = s.kv.get('rw') === 'true' || s.kv.has('readwrite');
      let root = b.opts.context.dir;
      const from = s.kv.get('from');
      if (!from) await b.opts.context.materialize();
      else {
        const layer = newId();
        await b.deps.images.createContainerLayer(layer, fromImage(b, from));
        layers.push(layer);
        root = await b.deps.images.mountContainerLayer(layer);
      }
      mounts.push({ Type: 'bind', Source: secureJoin(root, src), Target: s.target, ReadOnly: !rw });
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { mounts, cleanup };
}
