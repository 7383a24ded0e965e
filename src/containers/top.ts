import { execFile } from '../util/spawn';
import { conflict, invalidParameter, system } from '../errdefs';
import type { ContainerService } from './service';

/**
 * GET /containers/{id}/top as dockerd does it: the host's `ps` with the caller's options
 * (default -ef), lines kept when their PID column is one of the container's processes.
 */
export interface TopResult { Titles: string[]; Processes: string[][] }

/** dockerd refuses renaming the PID column ("-o pid=PID" is fine, "-o user=PID" is not). */
export function validatePsArgs(psArgs: string): void {
  const re = /\s+(\S*)=\s*(PID\S*)/g;
  for (const m of psArgs.matchAll(re)) {
    if (m[1] !== 'pid') throw invalidParameter(`specifying "${m[1]}=${m[2]}" is not allowed`);
  }
}

function fields(line: string): string[] { return line.trim().split(/[ \t\n\v\f\r]+/).filter(Boolean); }

/** Parses ps output; the last column keeps its spaces (CMD). */
export function parsePsOutput(output: string, pids: number[]): TopResult {
  const lines = output.split('\n');
  const titles = fields(lines[0] ?? '');
  const pidIndex = titles.indexOf('PID');
  if (pidIndex < 0) throw system('Couldn\'t find PID field in ps output');
  const want = new Set(pids);
  const processes: string[][] = [];
  for (const line of lines.slice(1)) {
    if (!line.trim()) continue;
    const f = fields(line);
    if (f.length > titles.length) f.splice(titles.length - 1, f.length, f.slice(titles.length - 1).join(' '));
    const pid = Number(f[pidIndex]);
    if (Number.isInteger(pid) && want.has(pid)) processes.push(f);
  }
  return { Titles: titles, Processes: processes };
}

function runPs(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('ps', args, { maxBuffer: 32 << 20, timeoutMs: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(stderr.trim().split('\n')[0] || err.message.split('\n')[0])); else resolve(stdout);
    });
  });
}

export async function top(svc: ContainerService, ref: string, psArgs = '-ef'): Promise<TopResult> {
  validatePsArgs(psArgs);
  const c = svc.get(ref);
  if (!c.state.Running) throw conflict(`container ${c.id} is not running`);
  if (c.state.Restarting) throw conflict(`Container ${c.id} is restarting, wait until the container is running`);
  const pids = await svc.runtime.pids(c.id);
  const args = psArgs.split(' ').filter(Boolean);
  let out: string;
  try {
    // Asking ps for just these pids is much cheaper on a busy host; older ps lack -q.
    out = await runPs([...args, '-q', pids.join(',') || '0']).catch(() => runPs(args));
  } catch (e) {
    throw system(`ps: ${(e as Error).message}`);
  }
  svc.emit(c, 'top');
  return parsePsOutput(out, pids);
}
