import { ApiError } from '../../../client';
import { StatusError, type CommandDef } from '../../command';

export const rename: CommandDef = {
  path: 'container rename',
  aliases: ['rename'],
  use: 'rename CONTAINER NEW_NAME',
  short: 'Rename a container',
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, _v, [oldName, newName]) {
    const n = newName.trim().replace(/^\/+/, '');
    if (!oldName.trim() || !n) throw new StatusError(1, 'Error: Neither old nor new names may be empty');
    try {
      await ctx.client().containerRename(oldName.trim(), n);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      throw new StatusError(1, `Error response from daemon: ${e.message}\nError: failed to rename container named ${oldName}`);
    }
  },
};
