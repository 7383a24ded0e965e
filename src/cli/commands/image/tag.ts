import { StatusError, type CommandDef } from '../../command';
import { parseReference } from '../../reference';

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
