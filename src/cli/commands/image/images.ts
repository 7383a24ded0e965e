import { ApiError } from '../../../client';
import { FORMAT_USAGE_TABLE, parseFilterFlags, StatusError, stringList, type CommandDef } from '../../command';
import { parseReference } from '../../reference';
import { formatHistory, formatImages } from '../../formatters/images';

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
    ctx.stdout.write(formatImages(list, { format: String(v.format ?? ''), quiet: !!v.quiet, trunc: !v['no-trunc'], digests: !!v.digests }));
  },
};

export const history: CommandDef = {
  path: 'image history',
  aliases: ['history'],
  use: 'history [OPTIONS] IMAGE',
  short: 'Show the history of an image',
  flags: [
    { name: 'format', kind: 'string', usage: FORMAT_USAGE_TABLE },
    { name: 'human', short: 'H', kind: 'bool', usage: 'Print sizes and dates in human readable format', default: true },
    { name: 'no-trunc', kind: 'bool', usage: "Don't truncate output" },
    { name: 'platform', kind: 'string', usage: 'Show history for the given platform. Formatted as "os[/arch[/variant]]" (e.g., "linux/amd64")', hidden: true },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Only show image IDs' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [name]) {
    const items = await ctx.client().imageHistory(name);
    ctx.stdout.write(formatHistory(items, { format: String(v.format ?? ''), quiet: !!v.quiet, trunc: !v['no-trunc'], human: v.human !== false }));
  },
};

export const tag: CommandDef = {
  path: 'image tag',
  aliases: ['tag'],
  use: 'tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]',
  short: 'Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE',
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, _v, [source, target]) {
    let ref;
    try {
      ref = parseReference(target);
    } catch (e) {
      throw new StatusError(1, `Error parsing reference: ${JSON.stringify(target)} is not a valid repository/tag: ${(e as Error).message}`);
    }
    if (ref.digest) throw new StatusError(1, 'refusing to create a tag with a digest reference');
    await ctx.client().imageTag(source, ref.name, ref.tag ?? 'latest');
  },
};

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
