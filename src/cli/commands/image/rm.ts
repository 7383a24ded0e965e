import { ApiError } from '../../../client';
import type { CommandDef } from '../../command';

export const rmi: CommandDef = {
  path: 'image rm',
  aliases: ['image remove', 'rmi'],
  use: 'rm [OPTIONS] IMAGE [IMAGE...]',
  short: 'Remove one or more images',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Force removal of the image' },
    { name: 'no-prune', kind: 'bool', usage: 'Do not delete untagged parents' },
  ],
  args: { min: 1 },
  async run(ctx, v, names) {
    const errors: string[] = [];
    for (const n of names) {
      try {
        const items = await ctx.client().imageRemove(n, { force: !!v.force, noPrune: !!v['no-prune'] });
        for (const it of items ?? []) {
          if (it.Untagged) ctx.stdout.write(`Untagged: ${it.Untagged}\n`);
          if (it.Deleted) ctx.stdout.write(`Deleted: ${it.Deleted}\n`);
        }
      } catch (e) {
        errors.push(e instanceof ApiError ? `Error response from daemon: ${e.message}` : (e as Error).message);
      }
    }
    if (errors.length) {
      ctx.stderr.write(`${errors.join('\n')}\n`);
      return 1;
    }
  },
};
