import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { changesTar } from '../containers/commit-changes';
import type { UnpackedLayer } from '../images/commit';
import { newId } from '../util/ids';
import { adoptUpperDir } from '../images/child';
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { BuildRun } from './run-state';
import type { StageState } from './state';
import { storeIds } from '../containers/userns';

/**
 * A writable root of the stage's current image for steps that place files without running
 * anything (COPY, ADD, WORKDIR): a container layer with no container, mounted, changed by
 * `fn`, and turned into a layer tar of its changes. FROM scratch uses an empty staging dir.
 */
export async function withRootfs(b: BuildRun, st: StageState, fn: (root: string) => Promise<void>): Promise<UnpackedLayer> {
  const images = b.deps.images;
  if (!st.imageId) {
    await fs.mkdir(b.deps.tmpDir, { recursive: true, mode: 0o700 });
    const dir = await fs.mkdtemp(path.join(b.deps.tmpDir, 'root-'));
    try {
      await fn(dir);
      return await images.unpackLayer(await changesTar(dir, [], storeIds()?.toContainer));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  const id = newId();
  await images.createContainerLayer(id, st.imageId);
  try {
    const t = [Date.now()];
    const root = await images.mountContainerLayer(id);
    await fn(root);
    t.push(Date.now());
    await images.unmountContainerLayer(id);
    const g = images.containerGraphDriver(id);
    const upper = g.Data?.UpperDir ?? images.containerLayerDiffDir(id);
    const lowers = (g.Data?.LowerDir ?? '').split(':').filter(Boolean);
    const { diffId, size } = await digestTar(await changesTar(upper, lowers, storeIds()?.toContainer), upper);
    t.push(Date.now());
    const l = await adoptUpperDir(images, upper, diffId, size);
    t.push(Date.now());
    b.deps.log.debug(`build rootfs: place ${t[1] - t[0]} digest ${t[2] - t[1]} adopt ${t[3] - t[2]} ms`);
    return l;
  } finally {
    await images.removeContainerLayer(id).catch((e) => b.deps.log.warn(`build: remove scratch layer ${id}: ${String(e)}`));
  }
}

/** Read access to an image's root file system (COPY --from). */
export async function withImageRoot<T>(b: BuildRun, imageId: string, fn: (root: string) => Promise<T>): Promise<T> {
  const images = b.deps.images;
  const id = newId();
  await images.createContainerLayer(id, imageId);
  try {
    return await fn(await images.mountContainerLayer(id));
  } finally {
    await images.removeContainerLayer(id).catch((e) => b.deps.log.warn(`build: remove scratch layer ${id}: ${String(e)}`));
  }
}

/** The sha256 of a layer tar (its diffID), and the bytes of the regular files in `upper`. */
async function digestTar(tar: Readable, upper: string): Promise<{ diffId: string; size: number }> {
  const hash = createHash('sha256');
  for await (const c of tar) hash.update(c as Buffer);
  let size = 0;
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true })) {
      if (e.isDirectory()) await walk(path.join(dir, e.name));
      else if (e.isFile()) size += (await fs.lstat(path.join(dir, e.name))).size;
    }
  };
  await walk(upper);
  return { diffId: `sha256:${hash.digest('hex')}`, size };
}
