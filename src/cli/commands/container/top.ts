/** `berth top CONTAINER [ps OPTIONS]`: the container's processes through the daemon's ps. */
import { containerTop } from '../../../client/container-extras';
import type { CommandDef } from '../../command';
import { tabwrite } from '../../formatters/table';

export const top: CommandDef = {
  path: 'container top',
  aliases: ['top'],
  use: 'top CONTAINER [ps OPTIONS]',
  short: 'Display the running processes of a container',
  flags: [],
  args: { min: 1 },
  interspersed: false,
  async run(ctx, _v, args) {
    const r = await containerTop(ctx.client(), args[0], args.slice(1).join(' '));
    let text = `${r.Titles.join('\t')}\n`;
    for (const p of r.Processes ?? []) text += `${p.join('\t')}\n`;
    ctx.stdout.write(tabwrite(text, 20, 3));
  },
};
