import { FORMAT_USAGE_TABLE, type CommandDef } from '../../command';
import { formatHistory } from '../../formatters/images';
import { templateError } from '../../formatters/table';

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
    let out: string;
    try {
      out = formatHistory(items, { format: String(v.format ?? ''), quiet: !!v.quiet, trunc: !v['no-trunc'], human: v.human !== false });
    } catch (e) {
      throw templateError(e, { parse: 'template parsing error: ', exec: 'failed to execute template: ' });
    }
    ctx.stdout.write(out);
  },
};
