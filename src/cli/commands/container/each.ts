/** Helpers of the container verbs that act on each named container in turn. */
import { ApiError } from '../../../client';
import type { CliContext } from '../../command';
import type { FlagValues } from '../../flags';

/** Run `fn` for each name; errors go to stderr one per line, and the exit code becomes 1. */
export async function eachContainer(ctx: CliContext, names: string[], fn: (name: string) => Promise<void>, summary?: (failed: string[]) => string): Promise<number> {
  const failed: string[] = [];
  for (const n of names) {
    try {
      await fn(n);
    } catch (e) {
      failed.push(n);
      ctx.stderr.write(e instanceof ApiError ? `Error response from daemon: ${e.message}\n` : `${(e as Error).message}\n`);
    }
  }
  if (failed.length && summary) ctx.stderr.write(`${summary(failed)}\n`);
  return failed.length ? 1 : 0;
}

export const timeFlags = [
  { name: 'timeout', short: 't', kind: 'int' as const, usage: 'Seconds to wait before killing the container' },
  { name: 'time', kind: 'int' as const, usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true },
];

export function stopOptions(v: FlagValues, changed: Set<string>): { signal?: string; timeout?: number } {
  const timeout = changed.has('timeout') ? Number(v.timeout) : changed.has('time') ? Number(v.time) : undefined;
  return { signal: String(v.signal ?? '') || undefined, timeout };
}
export const signalFlag = { name: 'signal', short: 's', kind: 'string' as const, usage: 'Signal to send to the container' };

/** Ask like docker's command.PromptForConfirmation; true on "y"/"Y". */
export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  ctx.stdout.write(`${message}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const done = (s: string) => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', onEnd);
      ctx.stdin.pause();
      resolve(s);
    };
    const onEnd = () => done(buf);
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', onEnd);
    ctx.stdin.resume();
  });
  return /^y(es)?$/i.test(answer.trim());
}
