import { FORMAT_USAGE_TABLE, parseFilterFlags, stringList, type CommandDef } from '../../command';
import { formatContainers } from '../../formatters/containers';
import { templateError } from '../../formatters/table';

export const ps: CommandDef = {
  path: 'container ls',
  aliases: ['container list', 'container ps', 'ps'],
  use: 'ls [OPTIONS]',
  short: 'List containers',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all containers (default shows just running)' },
    { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided' },
    { name: 'format', kind: 'string', usage: FORMAT_USAGE_TABLE },
    { name: 'last', short: 'n', kind: 'int', usage: 'Show n last created containers (includes all states)', default: -1 },
    { name: 'latest', short: 'l', kind: 'bool', usage: 'Show the latest created container (includes all states)' },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only display container IDs' },
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    let limit = Number(v.last);
    if (v.latest) limit = 1;
    let format = String(v.format ?? '');
    if (!format && !v.quiet) format = ctx.config().psFormat ?? '';
    // docker asks for sizes when the template uses .Size, too
    const size = !!v.size || /\.Size\b/.test(format);
    const list = await ctx.client().containerList({
      all: !!v.all, limit: limit > 0 ? limit : undefined, size, filters: parseFilterFlags(stringList(v.filter)),
    });
    let out: string;
    try {
      out = formatContainers(list, { format, quiet: !!v.quiet, trunc: !v['no-trunc'], size: !!v.size });
    } catch (e) {
      throw templateError(e, { parse: 'failed to parse template: ', exec: 'failed to execute template: ' });
    }
    ctx.stdout.write(out);
  },
};
