import type { CommandDef } from '../../command';
import { buildRequest } from './createbody';
import { CREATE_FLAGS } from './runflags';
import { createContainer } from './runflow';

export const create: CommandDef = {
  path: 'container create',
  aliases: ['create'],
  use: 'create [OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create a new container',
  flags: CREATE_FLAGS,
  args: { min: 1 },
  interspersed: false,
  listHelp: true,
  async run(ctx, v, args, changed) {
    const req = buildRequest('create', v, args, changed);
    const id = await createContainer(ctx, req, 'create', !!v.quiet);
    ctx.stdout.write(`${id}\n`);
  },
};
