import type { CommandDef } from '../../command';
import { eachContainer } from './each';

export const wait: CommandDef = {
  path: 'container wait',
  aliases: ['wait'],
  use: 'wait CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  args: { min: 1 },
  async run(ctx, _v, names) {
    return eachContainer(ctx, names, async (n) => {
      const r = await ctx.client().containerWait(n, 'not-running');
      ctx.stdout.write(`${r.StatusCode}\n`);
    });
  },
};
