/** `berth export`: the container's file system as a tar archive, to stdout or -o FILE. */
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { containerExport } from '../../../client/container-extras';
import { StatusError, type CommandDef } from '../../command';

export const exportCmd: CommandDef = {
  path: 'container export',
  aliases: ['export'],
  use: 'export [OPTIONS] CONTAINER',
  short: "Export a container's filesystem as a tar archive",
  flags: [{ name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' }],
  args: { min: 1, max: 1 },
  async run(ctx, v, args) {
    const out = String(v.output ?? '');
    if (!out && ctx.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const stream = await containerExport(ctx.client(), args[0]);
    await pipeline(stream, out ? createWriteStream(out) : ctx.stdout);
  },
};
