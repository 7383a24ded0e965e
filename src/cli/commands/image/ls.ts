import { FORMAT_USAGE_TABLE, parseFilterFlags, stringList, type CommandDef } from '../../command';
import { formatImages } from '../../formatters/images';
import { templateError } from '../../formatters/table';

export const images: CommandDef = {
  path: 'image ls',
  aliases: ['image list', 'images'],
  use: 'ls [OPTIONS] [REPOSITORY[:TAG]]',
  short: 'List images',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Show all images (default hides intermediate images)' },
    { name: 'digests', kind: 'bool', usage: 'Show digests' },
    { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided' },
    { name: 'format', kind: 'string', usage: FORMAT_USAGE_TABLE },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
    { name: 'tree', kind: 'bool', usage: 'List multi-platform images as a tree (EXPERIMENTAL)', hidden: true },
  ],
  args: { min: 0, max: 1 },
  async run(ctx, v, args) {
    const filters = parseFilterFlags(stringList(v.filter));
    if (args[0]) (filters.reference ??= []).push(args[0]);
    const list = await ctx.client().imageList({ all: !!v.all, digests: !!v.digests, filters });
    let format = String(v.format ?? '');
    if (!format && !v.quiet) format = ctx.config().imagesFormat ?? '';
    let out: string;
    try {
      out = formatImages(list, { format, quiet: !!v.quiet, trunc: !v['no-trunc'], digests: !!v.digests });
    } catch (e) {
      throw templateError(e, { parse: 'template parsing error: ', exec: 'failed to execute template: ' });
    }
    ctx.stdout.write(out);
  },
};
