import { collect } from '../util/spawn';
import { system } from '../errdefs';

/**
 * The only place that changes the kernel's network state. Each call is ONE process spawn
 * (`sh -c` running unshare / ip -batch / iptables-restore), so a container's network
 * setup costs one spawn, plus one more when it publishes ports.
 */
export async function runScript(script: string, input?: string): Promise<string> {
  const r = await collect('sh', ['-ec', script], { input, maxBuffer: 64 << 20 }).catch((e: Error) => { throw system(`network setup failed: ${e.message}`); });
  if (r.code !== 0) throw system(`network setup failed: ${r.stderr.trim() || `exit status ${r.code}`}`);
  return r.stdout;
}

/** One command with `input` on its stdin; rejects with its stderr. No shell in between. */
export async function runCommand(cmd: string, args: string[], input: string): Promise<string> {
  const r = await collect(cmd, args, { input, maxBuffer: 64 << 20 }).catch((e: Error) => { throw system(`network setup failed: ${cmd}: ${e.message}`); });
  if (r.code !== 0) throw system(`network setup failed: ${r.stderr.trim() || `${cmd}: exit status ${r.code}`}`);
  return r.stdout;
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
