import type { CommandDef } from '../../command';
import { eachContainer, signalFlag } from './each';

export const kill: CommandDef = {
  path: 'container kill',
  aliases: ['kill'],
  use: 'kill [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  flags: [{ ...signalFlag, usage: 'Signal to send to the container' }],
  args: { min: 1 },
  async run(ctx, v, names) {
    const signal = String(v.signal ?? '') || undefined;
    return eachContainer(ctx, names, async (n) => {
      await ctx.client().containerKill(n, signal);
      ctx.stdout.write(`${n}\n`);
    });
  },
};
