import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { changesTar } from '../containers/commit-changes';
import type { UnpackedLayer } from '../images/commit';
import { newId } from '../util/ids';
import type { BuildRun } from './run-state';
import type { StageState } from './state';

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
      return await images.unpackLayer(await changesTar(dir, []));
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  }
  const id = newId();
  await images.createContainerLayer(id, st.imageId);
  try {
    const root = await images.mountContainerLayer(id);
    await fn(root);
    await images.unmountContainerLayer(id);
    const g = images.containerGraphDriver(id);
    const upper = g.Data?.UpperDir ?? images.containerLayerDiffDir(id);
    const lowers = (g.Data?.LowerDir ?? '').split(':').filter(Boolean);
    return await images.unpackLayer(await changesTar(upper, lowers));
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
