import * as fs from 'node:fs';
import * as path from 'node:path';
import { conflict } from '../errdefs';

/**
 * Two runc steps done in-process, each saving a Go process start (10-15 ms here) on the
 * `docker run` path. Both follow what runc 1.1's libcontainer does itself and fall back to
 * the runc binary whenever the state is not the plain one they handle.
 */

/**
 * `runc start` for a container in state `created`: runc init waits, blocked, until someone
 * opens <runc-root>/<id>/exec.fifo for reading; it then writes one byte, closes, and execs
 * the user process. runc start reads that byte and removes the fifo (which is how runc tells
 * `created` from `running` afterwards). Returns false when there is no fifo (let runc answer).
 */
export async function startThroughFifo(runcRoot: string, id: string, initPid: () => number): Promise<boolean> {
  const fifo = path.join(runcRoot, id, 'exec.fifo');
  try {
    if (!fs.lstatSync(fifo).isFIFO()) return false;
  } catch {
    return false;
  }
  // Opening for reading blocks until runc init opens its end; if init died first, nobody
  // ever will: watch its pid and unblock the open by opening the write end ourselves.
  let dead = false;
  const watchdog = setInterval(() => {
    const pid = initPid();
    if (pid > 0 && isAlive(pid)) return;
    dead = true;
    try { fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK)); } catch { /* reader gone */ }
  }, 100);
  let data: Buffer;
  try {
    const fh = await fs.promises.open(fifo, 'r');
    try { data = await fh.readFile(); } finally { await fh.close(); }
  } finally {
    clearInterval(watchdog);
  }
  // The byte is init's word that it goes on to exec the process: the start happened, even if
  // the watchdog found the (short-lived) process gone by the time the read returned.
  if (data.length === 0) throw conflict(dead ? 'container process is already dead' : 'cannot start an already running container');
  await fs.promises.rm(fifo, { force: true });
  return true;
}

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/**
 * `runc delete` of a container whose init has exited (conmon wrote its exit file): what is
 * left is runc's state dir and the cgroup dirs. Removes the cgroup leaves; if any is still
 * there, processes remain in it and runc must kill them (returns false, nothing else done).
 */
export async function deleteStopped(runcRoot: string, id: string, cgroupDirs: string[]): Promise<boolean> {
  await Promise.all(cgroupDirs.map((d) => fs.promises.rmdir(d).catch(() => undefined)));
  if (cgroupDirs.some((d) => fs.existsSync(d))) return false;
  await fs.promises.rm(path.join(runcRoot, id), { recursive: true, force: true });
  return true;
}
