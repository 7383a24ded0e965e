import type { CommandDef } from '../../command';
import { eachContainer, signalFlag, stopOptions, timeFlags } from './each';

export const stop: CommandDef = {
  path: 'container stop',
  aliases: ['stop'],
  use: 'stop [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  flags: [signalFlag, ...timeFlags],
  args: { min: 1 },
  async run(ctx, v, names, changed) {
    const opts = stopOptions(v, changed);
    return eachContainer(ctx, names, async (n) => {
      await ctx.client().containerStop(n, opts);
      ctx.stdout.write(`${n}\n`);
    });
  },
};

export const restart: CommandDef = {
  ...stop,
  path: 'container restart',
  aliases: ['restart'],
  use: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Restart one or more containers',
  async run(ctx, v, names, changed) {
    const opts = stopOptions(v, changed);
    return eachContainer(ctx, names, async (n) => {
      await ctx.client().containerRestart(n, opts);
      ctx.stdout.write(`${n}\n`);
    });
  },
};
