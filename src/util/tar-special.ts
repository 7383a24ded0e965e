import { collect } from './spawn';
import { promises as fs } from 'node:fs';
import { system } from '../errdefs';

/**
 * The two things Node's fs cannot do, done with one process spawn per batch:
 * device nodes and fifos (`mknod`, coreutils) and the overlay opaque xattr (`setfattr`,
 * Debian package `attr`; spawned only when a layer has an opaque directory).
 * Paths are passed as argv, never through a shell's parser.
 */
export interface SpecialFile {
  abs: string;
  kind: 'c' | 'b' | 'p';
  major: number;
  minor: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: Date;
}

/** Owners are kept; without root (unit tests, rootless) EPERM is ignored, as Docker does rootless. */
export async function chown(abs: string, uid: number, gid: number, lchown: (p: string, uid: number, gid: number) => Promise<void> = fs.lchown): Promise<void> {
  try { await lchown(abs, uid, gid); } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM' || process.getuid?.() === 0) throw e;
  }
}

async function run(cmd: string, args: string[]): Promise<void> {
  const r = await collect(cmd, args).catch((e: Error) => { throw system(`${cmd}: cannot run: ${e.message}`, e); });
  if (r.code !== 0) throw system(`${cmd} failed: ${r.stderr.slice(0, 4096).trim() || `exit code ${r.code}`}`);
}

/** Arguments per spawn, well under ARG_MAX even with long paths. */
const BATCH = 500;

// "$@" is consumed four at a time: path kind major minor (fifos ignore major/minor).
const MKNOD_LOOP = 'while [ $# -gt 0 ]; do if [ "$2" = p ]; then mknod -- "$1" p || exit 1; else mknod -- "$1" "$2" "$3" "$4" || exit 1; fi; shift 4; done';

export async function makeSpecialFiles(files: SpecialFile[]): Promise<void> {
  for (let i = 0; i < files.length; i += BATCH) {
    const batch = files.slice(i, i + BATCH);
    const args = ['-c', MKNOD_LOOP, 'berth-mknod'];
    for (const f of batch) args.push(f.abs, f.kind, String(f.major), String(f.minor));
    await run('sh', args);
  }
  for (const f of files) {
    await chown(f.abs, f.uid, f.gid);
    await fs.chmod(f.abs, f.mode & 0o7777);
    await fs.utimes(f.abs, f.mtime, f.mtime);
  }
}

/** Extended attributes from the tar (pax SCHILY.xattr.*), values as raw bytes. */
export interface Xattr { abs: string; name: string; value: Buffer }

/** getfattr --dump's path quoting: anything but a safe character as a 3-digit octal escape. */
function quotePath(p: string): string {
  let out = '';
  for (const b of Buffer.from(p, 'utf8')) {
    const c = String.fromCharCode(b);
    out += /[A-Za-z0-9._/+,:@%-]/.test(c) ? c : `\\${b.toString(8).padStart(3, '0')}`;
  }
  return out;
}

/**
 * Sets extended attributes with one `setfattr -h --restore=-` (never following symlinks).
 * As Docker, attributes the file system refuses (ENOTSUP, EPERM) are skipped; other
 * failures fail the extraction.
 */
export async function setXattrs(list: Xattr[]): Promise<void> {
  if (list.length === 0) return;
  let dump = '';
  for (const x of list) dump += `# file: ${quotePath(x.abs)}\n${x.name}=0s${x.value.toString('base64')}\n\n`;
  const r = await collect('setfattr', ['-h', '--restore=-'], { input: dump, maxBuffer: 64 << 20 }).catch((e: Error) => { throw system(`setfattr: cannot run: ${e.message}`, e); });
  const serious = r.stderr.slice(0, 65536).split('\n').filter((l) => l.trim() && !/Operation not supported|Operation not permitted/.test(l));
  if (r.code !== 0 && serious.length > 0) throw system(`setfattr failed: ${serious.slice(0, 3).join('; ')}`);
}

/** Marks directories opaque for overlayfs (trusted.overlay.opaque=y), never following symlinks. */
export async function setOpaque(dirs: string[]): Promise<void> {
  for (let i = 0; i < dirs.length; i += BATCH) {
    await run('setfattr', ['-h', '-n', 'trusted.overlay.opaque', '-v', 'y', '--', ...dirs.slice(i, i + BATCH)]);
  }
}
