import { lstatSync, readlinkSync } from 'node:fs';
import * as path from 'node:path';

/**
 * Resolves `unsafePath` as if `root` were `/`: every symlink on the way is followed inside
 * root (absolute targets restart at root, `..` never climbs above it). The result always lies
 * under root. Like Go's filepath-securejoin; a missing component ends the walk and the rest
 * is joined as is. Races with a concurrent rename can still swap a component afterwards:
 * callers that write must open with O_NOFOLLOW on the last component.
 */
export function secureJoin(root: string, unsafePath: string): string {
  const rootAbs = path.resolve(root);
  const pending = unsafePath.split('/').filter((p) => p !== '' && p !== '.');
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '..') { done.pop(); continue; }
    const candidate = path.join(rootAbs, ...done, part);
    let st;
    try { st = lstatSync(candidate); } catch { done.push(part, ...pending.filter((p) => p !== '..')); break; }
    if (!st.isSymbolicLink()) { done.push(part); continue; }
    if (++hops > 255) throw new Error(`too many levels of symbolic links: ${unsafePath}`);
    const target = readlinkSync(candidate);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter((p) => p !== '' && p !== '.'));
  }
  return path.join(rootAbs, ...done);
}
