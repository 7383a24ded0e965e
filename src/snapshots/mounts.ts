import { collect } from '../util/spawn';
import { promises as fs, readFileSync } from 'node:fs';
import { system } from '../errdefs';

/** Runs a command to completion; rejects with its stderr. */
export async function run(cmd: string, args: string[], opts: { cwd?: string } = {}): Promise<void> {
  const r = await collect(cmd, args, { cwd: opts.cwd }).catch((e: Error) => { throw system(`${cmd}: cannot run: ${e.message}`, e); });
  if (r.code !== 0) throw system(`${cmd} ${args.join(' ')}: ${r.stderr.slice(0, 4096).trim() || `exit code ${r.code}`}`);
}

/** Mount points in this mount namespace, from /proc/self/mountinfo (octal escapes decoded). */
export async function mountPoints(): Promise<Set<string>> {
  return parseMountInfo(await fs.readFile('/proc/self/mountinfo', 'utf8'));
}

/** mountPoints() without a thread-pool round trip (the file is made by the kernel on read). */
export function mountPointsSync(): Set<string> {
  return parseMountInfo(readFileSync('/proc/self/mountinfo', 'utf8'));
}

function parseMountInfo(text: string): Set<string> {
  const out = new Set<string>();
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    if (f.length > 4) out.add(f[4].replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8))));
  }
  return out;
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountPoints()).has(dir);
}

/** Unmounts; a lazy unmount when the mount is busy, so that removal can go on. */
export async function unmount(dir: string): Promise<void> {
  if (!(await isMountPoint(dir))) return;
  try { await run('umount', [dir]); } catch {
    if (await isMountPoint(dir)) await run('umount', ['-l', dir]);
  }
}

/** Flushes the file system holding `dir` (syncfs): one call instead of an fsync per file. */
export async function syncFs(dir: string): Promise<void> {
  await run('sync', ['-f', dir]);
}
