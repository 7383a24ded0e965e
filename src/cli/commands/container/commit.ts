/** `berth commit`: a new image from a container's changes. */
import { containerCommit } from '../../../client/container-extras';
import type { CommandDef } from '../../command';

export const commit: CommandDef = {
  path: 'container commit',
  aliases: ['commit'],
  use: 'commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]',
  short: "Create a new image from a container's changes",
  flags: [
    { name: 'author', short: 'a', kind: 'string', usage: 'Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")' },
    { name: 'change', short: 'c', kind: 'list', typeName: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', usage: 'Commit message' },
    { name: 'pause', short: 'p', kind: 'bool', default: true, usage: 'Pause container during commit', defaultText: 'true' },
  ],
  args: { min: 1, max: 2 },
  async run(ctx, v, args) {
    const r = await containerCommit(ctx.client(), args[0], {
      reference: args[1], author: String(v.author ?? ''), comment: String(v.message ?? ''),
      changes: (v.change as string[] | undefined) ?? [], pause: v.pause !== false,
    });
    ctx.stdout.write(`${r.Id}\n`);
  },
};
