/**
 * `berth registry gc`: mark every blob a stored manifest (tagged or not) names — the manifest
 * itself, its config and layers, its child manifests — then sweep the rest and the
 * repositories' links to blobs that are gone. Like the reference registry's garbage-collect,
 * run it while the registry is stopped or --read-only: a push in flight has blobs that no
 * manifest names yet.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isDigest } from './errors';
import { RegistryStorage } from './storage';

export interface GcResult { marked: number; removed: string[]; freedBytes: number }

export async function garbageCollect(root: string, opts: { dryRun?: boolean; log?: (s: string) => void } = {}): Promise<GcResult> {
  const store = new RegistryStorage(root);
  await store.init();
  const marked = new Set<string>();
  for (const repo of await store.catalog()) {
    for (const m of await store.listManifests(repo)) {
      if (!(await store.content.exists(m))) continue;
      marked.add(m);
      let doc: { config?: { digest?: unknown }; layers?: { digest?: unknown }[]; manifests?: { digest?: unknown }[]; blobs?: { digest?: unknown }[] };
      try { doc = JSON.parse((await store.content.readBuffer(m)).toString('utf8')) as typeof doc; } catch { continue; }
      for (const d of [doc.config, ...(doc.layers ?? []), ...(doc.manifests ?? []), ...(doc.blobs ?? [])]) {
        if (d && typeof d.digest === 'string' && isDigest(d.digest)) marked.add(d.digest);
      }
      opts.log?.(`${repo}: marking manifest ${m}`);
    }
  }
  const removed: string[] = [];
  let freedBytes = 0;
  for (const b of await store.content.list()) {
    if (marked.has(b)) continue;
    const { size } = await store.content.info(b);
    removed.push(b);
    freedBytes += size;
    opts.log?.(`blob eligible for deletion: ${b}`);
    if (!opts.dryRun) await store.content.delete(b);
  }
  if (!opts.dryRun) {
    for (const repo of await store.catalog().then(async (r) => [...new Set([...r, ...(await layerRepos(store))])])) {
      const dir = path.join(store.repoDir(repo), '_layers');
      for (const n of await fs.readdir(dir).catch(() => [] as string[])) {
        if (!(await store.content.exists(`sha256:${n}`))) await fs.rm(path.join(dir, n), { force: true });
      }
    }
  }
  return { marked: marked.size, removed, freedBytes };
}

/** Repositories that have only blob links (a push that never got its manifest). */
async function layerRepos(store: RegistryStorage): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await fs.readdir(path.join(store.reposDir, rel), { withFileTypes: true }).catch(() => []);
    if (rel && entries.some((e) => e.name === '_layers')) out.push(rel);
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.')) await walk(rel ? `${rel}/${e.name}` : e.name);
  };
  await walk('');
  return out;
}
