import { type CommandDef, detachKeysOf, StatusError } from '../../command';
import { parseFlags } from '../../flags';
import { buildCreateRequest, buildRequest, detachBody } from './createbody';
import { CREATE_FLAGS, RUN_ONLY_FLAGS } from './runflags';
import { runContainer } from './runflow';

export const run: CommandDef = {
  path: 'container run',
  aliases: ['run'],
  use: 'run [OPTIONS] IMAGE [COMMAND] [ARG...]',
  short: 'Create and run a new container from an image',
  flags: [...CREATE_FLAGS, ...RUN_ONLY_FLAGS],
  args: { min: 1 },
  interspersed: false,
  listHelp: true,
  async run(ctx, v, args, changed) {
    if (v.detach && (v.attach as string[]).length) {
      throw new StatusError(1, 'conflicting options: cannot specify both --attach and --detach');
    }
    const req = buildRequest('run', v, args, changed);
    if (v.detach) detachBody(req.body);
    return runContainer(ctx, req, { detach: !!v.detach, detachKeys: detachKeysOf(ctx, v['detach-keys']), sigProxy: v['sig-proxy'] !== false }, !!v.quiet);
  },
};

/** Parse `run` arguments into the create request (what tests compare with docker's body). */
export function parseRunArgs(argv: string[], env: NodeJS.ProcessEnv = process.env) {
  const p = parseFlags(argv, run.flags, false);
  const request = buildCreateRequest(p.values, p.args, p.changed, env);
  if (p.values.detach) detachBody(request.body);
  return { ...p, request };
}
