import { CopyError, copyIn, copyOut } from '../../../client/copy';
import { StatusError, type CommandDef } from '../../command';
import { humanSize } from '../../formatters/units';

/** docker's splitCpArg: a path that starts with / or . is local, else CONTAINER:PATH. */
export function splitCpArg(arg: string): { container?: string; path: string } {
  if (arg.startsWith('/') || arg.startsWith('.')) return { path: arg };
  const i = arg.indexOf(':');
  if (i < 0) return { path: arg };
  return { container: arg.slice(0, i), path: arg.slice(i + 1) };
}

export const cp: CommandDef = {
  path: 'container cp',
  aliases: ['cp'],
  use: 'cp [OPTIONS] CONTAINER:SRC_PATH DEST_PATH|-\n\tberth cp [OPTIONS] SRC_PATH|- CONTAINER:DEST_PATH',
  short: 'Copy files/folders between a container and the local filesystem',
  flags: [
    { name: 'archive', short: 'a', kind: 'bool', usage: 'Archive mode (copy all uid/gid information)' },
    { name: 'follow-link', short: 'L', kind: 'bool', usage: 'Always follow symbol link in SRC_PATH' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress progress output during copy. Progress output is automatically suppressed if no terminal is attached' },
  ],
  args: { min: 2, max: 2 },
  async run(ctx, v, [srcArg, dstArg]) {
    const src = splitCpArg(srcArg);
    const dst = splitCpArg(dstArg);
    if (src.container !== undefined && dst.container !== undefined) throw new StatusError(1, 'copying between containers is not supported');
    if (src.container === undefined && dst.container === undefined) throw new StatusError(1, 'must specify at least one container source');
    if ((src.container !== undefined && !src.path) || (dst.container !== undefined && !dst.path)) throw new StatusError(1, 'filesystem path cannot be empty');
    const opts = { followLink: !!v['follow-link'], archive: !!v.archive };
    const isTty = (ctx.stderr as { isTTY?: boolean }).isTTY === true;
    try {
      if (src.container !== undefined) {
        const r = await copyOut(ctx.client(), src.container, src.path, dst.path, { ...opts, stdout: ctx.stdout });
        if (!v.quiet && isTty && dst.path !== '-') ctx.stderr.write(`Successfully copied ${humanSize(r.bytes)} to ${dst.path}\n`);
      } else {
        const r = await copyIn(ctx.client(), src.path, dst.container as string, dst.path, { ...opts, stdin: ctx.stdin });
        if (!v.quiet && isTty && src.path !== '-') ctx.stderr.write(`Successfully copied ${humanSize(r.bytes)} to ${dstArg}\n`);
      }
    } catch (e) {
      if (e instanceof CopyError) throw new StatusError(1, e.message);
      throw e;
    }
  },
};
