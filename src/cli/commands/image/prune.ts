import { parseFilterFlags, stringList, type CommandDef } from '../../command';
import { humanSize } from '../../formatters/units';
import { confirm } from '../container/each';

/** docker image prune: dangling images, or with -a every image no container uses; --filter label/until. */
export const imagePrune: CommandDef = {
  path: 'image prune',
  use: 'prune [OPTIONS]',
  short: 'Remove unused images',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused images, not just dangling ones' },
    { name: 'filter', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const warning = v.all
      ? 'WARNING! This will remove all images without at least one container associated to them.'
      : 'WARNING! This will remove all dangling images.';
    if (!v.force && !(await confirm(ctx, warning))) return 0;
    const filters = parseFilterFlags(stringList(v.filter), '--filter');
    filters.dangling = [v.all ? 'false' : 'true'];
    const report = await ctx.client().imagePrune(filters);
    let out = '';
    const deleted = report.ImagesDeleted ?? [];
    if (deleted.length) {
      out += 'Deleted Images:\n';
      for (const d of deleted) out += d.Untagged ? `untagged: ${d.Untagged}\n` : `deleted: ${d.Deleted}\n`;
      out += '\n';
    }
    out += `Total reclaimed space: ${humanSize(report.SpaceReclaimed)}\n`;
    ctx.stdout.write(out);
  },
};
