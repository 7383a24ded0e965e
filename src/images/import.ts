import type { ContainerConfig } from '../api/types';
import { invalidParameter } from '../errdefs';
import { parseRepoTag, type Reference } from '../util/reference';
import { applyChanges } from './changes';
import { commitImage, unpackLayer } from './commit';
import type { LocalImageService, StoredConfig } from './service';
import type { ImageRecord, ImportOptions } from './types';
import { ENGINE_VERSION } from '../api/version';

/**
 * `docker import`: one layer from a root file system tar (plain, gzip, bzip2 or xz).
 *
 * Crash safety, step by step (see ./commit.ts): the tar is unpacked into overlay2/.tmp-*
 * (flushed with syncfs); the config blob goes through the content store's ingest (temp,
 * verify, fsync, rename); then, under the store's lock, the layer dir is renamed to its
 * chain id and one SQLite transaction records layer, image and tag. Until that commit
 * nothing is visible; reconcile() removes whatever an interrupted import left.
 */

/** container.Config as Go marshals an empty one, so that inspect shows Docker's shape. */
export function emptyContainerConfig(): ContainerConfig {
  return {
    Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false,
    Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null,
    WorkingDir: '', Entrypoint: null, OnBuild: null, Labels: null,
  };
}

const GOARCH: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
export const hostArch = (): string => GOARCH[process.arch] ?? process.arch;

function parsePlatform(p: string | undefined): { os: string; architecture: string; variant?: string } {
  if (!p) return { os: 'linux', architecture: hostArch() };
  const [os, arch, variant] = p.toLowerCase().split('/');
  if (os !== 'linux') throw invalidParameter(`"${p}": unsupported platform: operating system "${os}" is not supported`);
  const out: { os: string; architecture: string; variant?: string } = { os, architecture: arch || hostArch() };
  if (variant) out.variant = variant;
  return out;
}

/** Docker's key order for an image config (V1Image then RootFS and History). */
export function buildImportConfig(diffId: string, opts: { changes?: string[]; message?: string; platform?: string }, now = new Date()): StoredConfig {
  const platform = parsePlatform(opts.platform);
  const created = now.toISOString();
  const comment = opts.message ?? '';
  const cfg: StoredConfig = {
    ...(comment ? { comment } : {}),
    created,
    docker_version: ENGINE_VERSION,
    config: applyChanges(emptyContainerConfig(), opts.changes ?? []),
    architecture: platform.architecture,
    ...(platform.variant ? { variant: platform.variant } : {}),
    os: platform.os,
    rootfs: { type: 'layers', diff_ids: [diffId] },
    history: [{ created, ...(comment ? { comment } : {}) }],
  } as StoredConfig;
  return cfg;
}

export async function importImage(s: LocalImageService, opts: ImportOptions, progress?: (line: object) => void): Promise<ImageRecord> {
  // Bad arguments fail before a byte is read, as in dockerd.
  const tags: Reference[] = opts.repo ? [parseRepoTag(opts.repo, opts.tag)] : [];
  const message = opts.message || 'Imported from -';
  buildImportConfig('sha256:' + '0'.repeat(64), { changes: opts.changes, platform: opts.platform });
  // dockerd sends no progress for an import from the request body, only the final id
  void progress;
  const layer = await unpackLayer(s, opts.source);
  const config = buildImportConfig(layer.diffId, { changes: opts.changes, message, platform: opts.platform });
  const id = await commitImage(s, { config: Buffer.from(JSON.stringify(config)), layers: [layer], tags });
  s.emit('import', id, id);
  return s.get(id);
}
