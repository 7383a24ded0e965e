/** `berth diff`: files changed in the container's file system (A added, C changed, D deleted). */
import { containerChanges } from '../../../client/container-extras';
import type { CommandDef } from '../../command';

const KINDS = ['C', 'A', 'D'];

export const diff: CommandDef = {
  path: 'container diff',
  aliases: ['diff'],
  use: 'diff CONTAINER',
  short: "Inspect changes to files or directories on a container's filesystem",
  flags: [],
  args: { min: 1, max: 1 },
  async run(ctx, _v, args) {
    for (const c of (await containerChanges(ctx.client(), args[0])) ?? []) ctx.stdout.write(`${KINDS[c.Kind] ?? '?'} ${c.Path}\n`);
  },
};
