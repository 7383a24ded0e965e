/** `berth pause` / `berth unpause`: freeze and thaw every process of the containers. */
import { containerPause, containerUnpause } from '../../../client/container-extras';
import { ApiError } from '../../../client';
import type { CliContext, CommandDef } from '../../command';

/** Runs `fn` for each name; failures go to stderr one per line and make the exit code 1 (docker's pattern). */
export async function eachContainer(ctx: CliContext, names: string[], fn: (name: string) => Promise<void>): Promise<number> {
  let failed = 0;
  for (const n of names) {
    try { await fn(n); } catch (e) {
      failed++;
      ctx.stderr.write(e instanceof ApiError ? `Error response from daemon: ${e.message}\n` : `${(e as Error).message}\n`);
    }
  }
  return failed ? 1 : 0;
}

export const pause: CommandDef = {
  path: 'container pause',
  aliases: ['pause'],
  use: 'pause CONTAINER [CONTAINER...]',
  short: 'Pause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  async run(ctx, _v, names) {
    return eachContainer(ctx, names, async (n) => { await containerPause(ctx.client(), n); ctx.stdout.write(`${n}\n`); });
  },
};

export const unpause: CommandDef = {
  path: 'container unpause',
  aliases: ['unpause'],
  use: 'unpause CONTAINER [CONTAINER...]',
  short: 'Unpause all processes within one or more containers',
  flags: [],
  args: { min: 1 },
  async run(ctx, _v, names) {
    return eachContainer(ctx, names, async (n) => { await containerUnpause(ctx.client(), n); ctx.stdout.write(`${n}\n`); });
  },
};
