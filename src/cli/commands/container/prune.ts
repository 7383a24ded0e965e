import { parseFilterFlags, stringList, type CommandDef } from '../../command';
import { humanSize } from '../../formatters/units';
import { confirm } from './each';

export const prune: CommandDef = {
  path: 'container prune',
  use: 'prune [OPTIONS]',
  short: 'Remove all stopped containers',
  flags: [
    { name: 'filter', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    if (!v.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) {
      return 0;
    }
    const report = await ctx.client().containerPrune(parseFilterFlags(stringList(v.filter), '--filter'));
    let out = '';
    const deleted = report.ContainersDeleted ?? [];
    if (deleted.length) out += `Deleted Containers:\n${deleted.map((d) => `${d}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(deleted.length ? report.SpaceReclaimed : 0)}\n`;
    ctx.stdout.write(out);
  },
};
