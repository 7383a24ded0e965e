import { conflict } from '../errdefs';
import { shortId } from '../util/ids';
import { familiarString, parseNormalizedNamed, referenceString, tagNameOnly } from '../util/reference';
import type { ImageRow } from './records';
import { parseStored, type LocalImageService } from './service';

/**
 * `docker rmi` with dockerd's rules (daemon/images/image_delete.go):
 *
 * - By name: untag it. Refused without force when it is the image's only reference and a
 *   container uses the image. Digest references of the same repository go with the last tag.
 *   The image itself is deleted only when no reference is left.
 * - By id: with references in more than one repository, refused without force; else its
 *   references are removed and it is deleted.
 * - Deleting: a running container is a hard conflict (even with force); a stopped one
 *   and remaining references are soft conflicts (force overrides); child images are hard.
 *
 * Returns the [{Untagged}|{Deleted}] list. Layers are released afterwards by the caller.
 */
export type DeleteItem = { Untagged?: string; Deleted?: string };

const HARD_CHILD = 1;
const HARD_RUNNING = 2;
const SOFT_REFERENCE = 4;
const SOFT_STOPPED = 8;
const HARD = HARD_CHILD | HARD_RUNNING;
const SOFT = SOFT_REFERENCE | SOFT_STOPPED;

class DeleteConflict {
  constructor(readonly id: string, readonly hard: boolean, readonly used: boolean, readonly message: string) {}
  error() {
    return conflict(`conflict: unable to delete ${shortId(this.id)} (${this.hard ? 'cannot be forced' : 'must be forced'}) - ${this.message}`);
  }
}

function checkConflict(s: LocalImageService, id: string, mask: number): DeleteConflict | undefined {
  if (mask & HARD_CHILD && s.records.children(id).length > 0) return new DeleteConflict(id, true, false, 'image has dependent child images');
  if (mask & HARD_RUNNING) {
    const running = s.runningUsersOf(id);
    if (running.length) return new DeleteConflict(id, true, true, `image is being used by running container ${shortId(running[0])}`);
  }
  if (mask & SOFT_REFERENCE && s.records.refsOf(id).length > 0) return new DeleteConflict(id, false, false, 'image is referenced in multiple repositories');
  if (mask & SOFT_STOPPED) {
    const running = new Set(s.runningUsersOf(id));
    const stopped = s.usersOf(id).filter((c) => !running.has(c));
    if (stopped.length) return new DeleteConflict(id, false, true, `image is being used by stopped container ${shortId(stopped[0])}`);
  }
  return undefined;
}

const repoName = (ref: string) => { const r = parseStored(ref); return `${r.domain}/${r.path}`; };

function isIdPrefix(id: string, ref: string): boolean {
  return id.startsWith(ref) || id.slice('sha256:'.length).startsWith(ref);
}

/** All references of the image sit in one repository and at most one of them is a tag. */
function isSingleReference(refs: { ref: string; is_digest: number }[]): boolean {
  if (refs.length === 0) return false;
  const names = new Set(refs.map((r) => repoName(r.ref)));
  return names.size === 1 && refs.filter((r) => !r.is_digest).length <= 1;
}

export function removeImage(s: LocalImageService, ref: string, opts: { force?: boolean; noprune?: boolean }): DeleteItem[] {
  const force = !!opts.force;
  const img = s.resolve(ref);
  const id = img.id;
  const records: DeleteItem[] = [];

  return s.records.tx(() => {
    let refs = s.records.refsOf(id);
    let quiet = false;
    if (!isIdPrefix(id, ref)) {
      const users = s.usersOf(id);
      if (!force && users.length && refs.length === 1) {
        throw conflict(`conflict: unable to remove repository reference "${ref}" (must force) - container ${shortId(users[0])} is using its referenced image ${shortId(id)}`);
      }
      const parsed = tagNameOnly(parseNormalizedNamed(ref));
      const canonical = referenceString(parsed);
      s.records.deleteRef(canonical);
      records.push({ Untagged: familiarString(parsed) });
      s.emit('untag', id, id);
      refs = s.records.refsOf(id);
      if (parsed.digest === undefined) {
        const name = `${parsed.domain}/${parsed.path}`;
        const tagLeft = refs.some((r) => !r.is_digest && repoName(r.ref) === name);
        if (!tagLeft) {
          for (const r of refs.filter((x) => x.is_digest && repoName(x.ref) === name)) {
            s.records.deleteRef(r.ref);
            records.push({ Untagged: familiarString(parseStored(r.ref)) });
          }
          refs = s.records.refsOf(id);
        }
      }
      if (refs.length > 0) return records;
      quiet = true;
    } else if (isSingleReference(refs)) {
      const c = checkConflict(s, id, HARD | (force ? 0 : SOFT & ~SOFT_REFERENCE));
      if (c) throw c.error();
      for (const r of refs) {
        s.records.deleteRef(r.ref);
        records.push({ Untagged: familiarString(parseStored(r.ref)) });
        s.emit('untag', id, id);
      }
    }
    deleteHelper(s, img, records, force, !opts.noprune, quiet);
    return records;
  });
}

function deleteHelper(s: LocalImageService, img: ImageRow, records: DeleteItem[], force: boolean, prune: boolean, quiet: boolean): void {
  const id = img.id;
  const c = checkConflict(s, id, HARD | (force ? 0 : SOFT));
  if (c) {
    // Pruning parents (quiet) skips images still in use or tagged, without an error.
    if (quiet && (!isDangling(s, id) || c.used)) return;
    throw c.error();
  }
  for (const r of s.records.refsOf(id)) {
    s.records.deleteRef(r.ref);
    records.push({ Untagged: familiarString(parseStored(r.ref)) });
    s.emit('untag', id, id);
  }
  s.records.deleteImage(id);
  s.emit('delete', id, id);
  records.push({ Deleted: id });
  for (const layer of layersFreedBy(s, img)) records.push({ Deleted: layer });
  if (prune && img.parent) {
    const parent = s.records.image(img.parent);
    if (parent) deleteHelper(s, parent, records, false, true, true);
  }
}

function isDangling(s: LocalImageService, id: string): boolean {
  return s.records.refsOf(id).length === 0 && s.records.children(id).length === 0;
}

/** Chain ids that the deleted image alone held (reported as Deleted, as dockerd does). */
function layersFreedBy(s: LocalImageService, img: ImageRow): string[] {
  if (!img.top_layer) return [];
  const unref = new Set(s.records.unreferencedLayers().map((l) => l.chain_id));
  return s.layerChain(img.top_layer).reverse().filter((c) => unref.has(c));
}
