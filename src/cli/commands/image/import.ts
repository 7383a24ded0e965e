import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StatusError, stringList, type CommandDef } from '../../command';
import { displayJsonMessages, JsonMessageError } from '../../formatters/jsonmessage';

export const importCmd: CommandDef = {
  path: 'image import',
  aliases: ['import'],
  use: 'import [OPTIONS] file|URL|- [REPOSITORY[:TAG]]',
  short: 'Import the contents from a tarball to create a filesystem image',
  flags: [
    { name: 'change', short: 'c', kind: 'list', usage: 'Apply Dockerfile instruction to the created image' },
    { name: 'message', short: 'm', kind: 'string', usage: 'Set commit message for imported image' },
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
  ],
  args: { min: 1 },
  async run(ctx, v, [source, ref]) {
    let repo: string | undefined;
    let tag: string | undefined;
    if (ref) {
      const slash = ref.lastIndexOf('/');
      const colon = ref.lastIndexOf(':');
      [repo, tag] = colon > slash ? [ref.slice(0, colon), ref.slice(colon + 1)] : [ref, undefined];
    }
    const client = ctx.client();
    const opts = { repo, tag, message: String(v.message ?? '') || undefined, changes: stringList(v.change), platform: String(v.platform ?? '') || undefined };
    let body: Readable | Buffer | URL;
    if (source === '-') body = ctx.stdin;
    else if (/^https?:\/\//.test(source)) body = new URL(source);
    else {
      const f = createReadStream(source);
      await new Promise<void>((resolve, reject) => {
        f.once('open', () => resolve());
        f.once('error', (e) => reject(new StatusError(1, `open ${source}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file or directory' : e.message}`)));
      });
      body = f;
    }
    const messages = await client.imageImport(body, opts);
    try {
      await displayJsonMessages(messages, ctx.stdout);
    } catch (e) {
      if (e instanceof JsonMessageError) throw new StatusError(1, e.message);
      throw e;
    }
  },
};
