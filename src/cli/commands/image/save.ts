import { createReadStream, createWriteStream, renameSync, rmSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { StatusError, type CommandDef } from '../../command';
import { showProgress } from './pull';

export const save: CommandDef = {
  path: 'image save',
  aliases: ['save'],
  use: 'save [OPTIONS] IMAGE [IMAGE...]',
  short: 'Save one or more images to a tar archive (streamed to STDOUT by default)',
  flags: [
    { name: 'output', short: 'o', kind: 'string', usage: 'Write to a file, instead of STDOUT' },
    { name: 'platform', kind: 'list', usage: 'Save only the given platform(s)' },
  ],
  args: { min: 1 },
  async run(ctx, v, names) {
    const output = String(v.output ?? '');
    if (!output && ctx.stdout.isTTY) throw new StatusError(1, 'cowardly refusing to save to a terminal. Use the -o flag or redirect');
    const res = await ctx.client().imageSave(names);
    if (!output) { await pipeline(res, ctx.stdout, { end: false }); return; }
    // as docker: written to a temp file beside the target, renamed when complete
    const tmp = `${output}.berth-tmp-${process.pid}`;
    try {
      await pipeline(res, createWriteStream(tmp));
      renameSync(tmp, output);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new StatusError(1, `failed to save image: ${(e as Error).message}`);
    }
  },
};

export const load: CommandDef = {
  path: 'image load',
  aliases: ['load'],
  use: 'load [OPTIONS]',
  short: 'Load an image from a tar archive or STDIN',
  flags: [
    { name: 'input', short: 'i', kind: 'string', usage: 'Read from tar archive file, instead of STDIN' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress the load output' },
    { name: 'platform', kind: 'list', usage: 'Load only the given platform(s)' },
  ],
  args: { max: 0 },
  async run(ctx, v) {
    const input = String(v.input ?? '');
    if (!input && ctx.stdin.isTTY) throw new StatusError(1, 'requested load from stdin, but stdin is empty');
    let src = ctx.stdin as NodeJS.ReadableStream as import('node:stream').Readable;
    if (input) {
      const f = createReadStream(input);
      await new Promise<void>((resolve, reject) => {
        f.once('open', () => resolve());
        f.once('error', (e) => reject(new StatusError(1, `open ${input}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : e.message}`)));
      });
      src = f;
    }
    await showProgress(await ctx.client().imageLoad(src, !!v.quiet), ctx, false);
  },
};
