/**
 * Registry storage under <root>:
 *
 *   blobs/sha256/<hex>                         every blob and manifest, once (ContentStore)
 *   ingest/.tmp-*                              one-request uploads, commits (gone after a crash)
 *   uploads/<id>, uploads/<id>.json            upload sessions, kept across restarts (uploads.ts)
 *   repositories/<name>/_layers/<hex>          the repository may serve this blob
 *   repositories/<name>/_manifests/revisions/<hex>   JSON {mediaType,size,artifactType?}
 *   repositories/<name>/_manifests/tags/<tag>  the tag's manifest digest
 *   repositories/<name>/_referrers/<subject-hex>/<hex>  the referrer's descriptor (JSON)
 *
 * Blobs become visible only through ContentStore's temp -> verify -> fsync -> rename; the
 * small link files are written with atomicWriteFile (blob links, whose content nothing
 * reads, with O_EXCL and a directory fsync), and a link is written only after the blob it
 * points to is committed. Names, tags and digests are validated (errors.ts) before
 * they are joined into a path.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ContentStore } from '../content/store';
import { atomicWriteFile, fsyncDir } from '../util/atomic';
import { checkName, isDigest, isValidName, isValidTag } from './errors';

export interface ManifestLink { mediaType: string; size: number; artifactType?: string }
export interface Descriptor { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }

const hex = (digest: string) => {
  if (!isDigest(digest)) throw new Error(`bad digest ${digest}`);
  return digest.slice(7);
};
const exists = (p: string) => fs.access(p).then(() => true, () => false);

export class RegistryStorage {
  readonly content: ContentStore;
  readonly reposDir: string;

  constructor(readonly root: string) {
    this.content = new ContentStore(root);
    this.reposDir = path.join(root, 'repositories');
  }

  async init(): Promise<void> {
    await this.content.reconcile();
    await fs.mkdir(this.reposDir, { recursive: true, mode: 0o700 });
  }

  repoDir(name: string): string { return path.join(this.reposDir, checkName(name)); }

  async repoExists(name: string): Promise<boolean> { return (await exists(path.join(this.repoDir(name), '_manifests'))) || exists(path.join(this.repoDir(name), '_layers')); }

  // ---- blobs linked into a repository
  /**
   * A blob link is an existence marker (its content, the digest, is informational and read
   * by nothing): made with O_EXCL after the blob is committed, then the directory fsynced;
   * an existing link is left as it is.
   */
  async linkBlob(name: string, digest: string): Promise<void> {
    const dir = path.join(this.repoDir(name), '_layers');
    const link = path.join(dir, hex(digest));
    if (await exists(link)) return;
    await fs.mkdir(dir, { recursive: true });
    try { await fs.writeFile(link, digest, { flag: 'wx' }); } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') return;
      throw e;
    }
    await fsyncDir(dir);
  }
  async hasBlob(name: string, digest: string): Promise<boolean> {
    return (await exists(path.join(this.repoDir(name), '_layers', hex(digest)))) && this.content.exists(digest);
  }
  async unlinkBlob(name: string, digest: string): Promise<boolean> {
    const p = path.join(this.repoDir(name), '_layers', hex(digest));
    if (!(await exists(p))) return false;
    await fs.rm(p, { force: true });
    return true;
  }

  // ---- manifests and tags
  async putManifest(name: string, digest: string, link: ManifestLink): Promise<void> {
    const dir = path.join(this.repoDir(name), '_manifests', 'revisions');
    await fs.mkdir(dir, { recursive: true });
    await atomicWriteFile(path.join(dir, hex(digest)), JSON.stringify(link));
  }
  async getManifestLink(name: string, digest: string): Promise<ManifestLink | undefined> {
    try {
      const raw = await fs.readFile(path.join(this.repoDir(name), '_manifests', 'revisions', hex(digest)), 'utf8');
      if (!(await this.content.exists(digest))) return undefined;
      return JSON.parse(raw) as ManifestLink;
    } catch { return undefined; }
  }
  async listManifests(name: string): Promise<string[]> {
    const names = await fs.readdir(path.join(this.repoDir(name), '_manifests', 'revisions')).catch(() => [] as string[]);
    return names.map((n) => `sha256:${n}`).filter(isDigest);
  }
  async deleteManifest(name: string, digest: string): Promise<boolean> {
    const p = path.join(this.repoDir(name), '_manifests', 'revisions', hex(digest));
    if (!(await exists(p))) return false;
    for (const t of await this.listTags(name)) if ((await this.resolveTag(name, t)) === digest) await this.deleteTag(name, t);
    await fs.rm(p, { force: true });
    // drop it from the referrers of whatever it refers to
    const refDir = path.join(this.repoDir(name), '_referrers');
    for (const s of await fs.readdir(refDir).catch(() => [] as string[])) await fs.rm(path.join(refDir, s, hex(digest)), { force: true });
    return true;
  }
  async tag(name: string, tag: string, digest: string): Promise<void> {
    if (!isValidTag(tag)) throw new Error(`bad tag ${tag}`);
    const dir = path.join(this.repoDir(name), '_manifests', 'tags');
    await fs.mkdir(dir, { recursive: true });
    await atomicWriteFile(path.join(dir, tag), digest);
  }
  async resolveTag(name: string, tag: string): Promise<string | undefined> {
    if (!isValidTag(tag)) return undefined;
    const d = await fs.readFile(path.join(this.repoDir(name), '_manifests', 'tags', tag), 'utf8').catch(() => undefined);
    return d && isDigest(d) ? d : undefined;
  }
  async deleteTag(name: string, tag: string): Promise<boolean> {
    const p = path.join(this.repoDir(name), '_manifests', 'tags', tag);
    if (!isValidTag(tag) || !(await exists(p))) return false;
    await fs.rm(p, { force: true });
    return true;
  }
  async listTags(name: string): Promise<string[]> {
    const names = await fs.readdir(path.join(this.repoDir(name), '_manifests', 'tags')).catch(() => [] as string[]);
    return names.filter(isValidTag).sort();
  }

  // ---- referrers
  async addReferrer(name: string, subject: string, desc: Descriptor): Promise<void> {
    const dir = path.join(this.repoDir(name), '_referrers', hex(subject));
    await fs.mkdir(dir, { recursive: true });
    await atomicWriteFile(path.join(dir, hex(desc.digest)), JSON.stringify(desc));
  }
  async referrers(name: string, subject: string): Promise<Descriptor[]> {
    const dir = path.join(this.repoDir(name), '_referrers', hex(subject));
    const out: Descriptor[] = [];
    for (const n of (await fs.readdir(dir).catch(() => [] as string[])).sort()) {
      if (n.startsWith('.')) continue;
      const d = JSON.parse(await fs.readFile(path.join(dir, n), 'utf8')) as Descriptor;
      if (await this.getManifestLink(name, d.digest)) out.push(d);
    }
    return out;
  }

  /** Every repository (a directory with _manifests or _layers), sorted. */
  async catalog(): Promise<string[]> {
    const out: string[] = [];
    const walk = async (rel: string): Promise<void> => {
      const entries = await fs.readdir(path.join(this.reposDir, rel), { withFileTypes: true }).catch(() => []);
      if (rel && entries.some((e) => e.name === '_manifests')) out.push(rel);
      for (const e of entries) if (e.isDirectory() && !e.name.startsWith('_') && !e.name.startsWith('.')) await walk(rel ? `${rel}/${e.name}` : e.name);
    };
    await walk('');
    return out.filter(isValidName).sort();
  }
}
