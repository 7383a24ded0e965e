import { ApiError } from '../../../client';
import type { CommandDef } from '../../command';
import { eachContainer } from './each';

export const rm: CommandDef = {
  path: 'container rm',
  aliases: ['container remove', 'rm'],
  use: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', usage: 'Remove the specified link' },
    { name: 'volumes', short: 'v', kind: 'bool', usage: 'Remove anonymous volumes associated with the container' },
  ],
  args: { min: 1 },
  async run(ctx, v, names) {
    return eachContainer(ctx, names, async (n) => {
      const name = n.replace(/^\/+/, '');
      if (!name) throw new Error('container name cannot be empty');
      try {
        await ctx.client().containerRemove(name, { force: !!v.force, volumes: !!v.volumes, link: !!v.link });
      } catch (e) {
        if (v.force && e instanceof ApiError && e.statusCode === 404) return;
        throw e;
      }
      ctx.stdout.write(`${n}\n`);
    });
  },
};
