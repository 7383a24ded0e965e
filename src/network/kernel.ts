import { spawn } from 'node:child_process';
import { system } from '../errdefs';

/**
 * The only place that changes the kernel's network state. Each call is ONE process spawn
 * (`sh -c` running unshare / ip -batch / iptables-restore), so a container's network
 * setup costs one spawn, plus one more when it publishes ports.
 */
export function runScript(script: string, input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-ec', script], { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { err += d; });
    p.on('error', (e) => reject(system(`network setup failed: ${e.message}`)));
    p.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(system(`network setup failed: ${err.trim() || `exit status ${code}`}`));
    });
    if (input !== undefined) p.stdin!.end(input);
  });
}

/** One command with `input` on its stdin; rejects with its stderr. No shell in between. */
export function runCommand(cmd: string, args: string[], input: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout!.on('data', (d) => { out += d; });
    p.stderr!.on('data', (d) => { err += d; });
    p.on('error', (e) => reject(system(`network setup failed: ${cmd}: ${e.message}`)));
    p.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(system(`network setup failed: ${err.trim() || `${cmd}: exit status ${code}`}`));
    });
    p.stdin!.on('error', () => undefined);
    p.stdin!.end(input);
  });
}

/** A heredoc that feeds `lines` to `cmd`; empty when there is nothing to do. */
export function heredoc(cmd: string, lines: string[]): string {
  if (!lines.length) return '';
  return `${cmd} <<'BERTH_EOF'\n${lines.join('\n')}\nBERTH_EOF\n`;
}

export const ipBatch = (lines: string[]) => heredoc('ip -batch -', lines);
/** Applies iptables-restore input without flushing the tables (one spawn, no shell). */
export const iptablesRestore = (text: string) => runCommand('iptables-restore', ['-w', '--noflush'], text);

export function shq(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** A FIFO lock: iptables changes are applied in the order they were computed. */
export class Serial {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn);
    this.tail = next.catch(() => undefined);
    return next;
  }
}
