import { StatusError, type CommandDef } from '../../command';
import { displayJsonMessages, JsonMessageError } from '../../formatters/jsonmessage';
import { registryAuthHeader } from '../registry-auth/config';
import { displayProgressTTY } from './pull-progress';

/** Splits NAME[:TAG|@DIGEST] as the docker CLI sends it: fromImage=NAME, tag=TAG or DIGEST. */
export function splitImageRef(ref: string): { name: string; tag?: string } {
  const at = ref.indexOf('@');
  if (at >= 0) return { name: ref.slice(0, at), tag: ref.slice(at + 1) };
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? { name: ref.slice(0, colon), tag: ref.slice(colon + 1) } : { name: ref };
}

export async function showProgress(messages: AsyncIterable<import('../../../client/types').JSONMessage>, ctx: Parameters<CommandDef['run']>[0], quiet: boolean): Promise<void> {
  try {
    if (quiet) {
      for await (const m of messages) if (m.error) throw new JsonMessageError(m.error);
      return;
    }
    if (ctx.stdout.isTTY) await displayProgressTTY(messages, ctx.stdout);
    else await displayJsonMessages(messages, ctx.stdout);
  } catch (e) {
    if (e instanceof JsonMessageError) throw new StatusError(1, e.message);
    throw e;
  }
}

export const pull: CommandDef = {
  path: 'image pull',
  aliases: ['pull'],
  use: 'pull [OPTIONS] NAME[:TAG|@DIGEST]',
  short: 'Download an image from a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Download all tagged images in the repository' },
    { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image verification (default true)' },
    { name: 'platform', kind: 'string', usage: 'Set platform if server is multi-platform capable' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [ref]) {
    const { name, tag } = splitImageRef(ref);
    const all = !!v['all-tags'];
    if (all && tag) throw new StatusError(1, 'tag can\'t be used with --all-tags/-a');
    if (!tag && !all && !v.quiet) ctx.stdout.write('Using default tag: latest\n');
    const client = ctx.client();
    const messages = await client.imagePull(name, {
      tag: all ? undefined : tag ?? 'latest', platform: String(v.platform ?? '') || undefined, registryAuth: registryAuthHeader(ctx.globals.config, name),
    });
    await showProgress(messages, ctx, !!v.quiet);
    const shown = all ? name : tag ? (tag.includes(':') ? `${name}@${tag}` : `${name}:${tag}`) : `${name}:latest`;
    const full = shown.split('/')[0].match(/[.:]|^localhost$/) && shown.includes('/') ? shown : `docker.io/${shown.includes('/') ? '' : 'library/'}${shown}`;
    ctx.stdout.write(`${full}\n`);
  },
};

export const push: CommandDef = {
  path: 'image push',
  aliases: ['push'],
  use: 'push [OPTIONS] NAME[:TAG]',
  short: 'Upload an image to a registry',
  flags: [
    { name: 'all-tags', short: 'a', kind: 'bool', usage: 'Push all tags of an image to the repository' },
    { name: 'disable-content-trust', kind: 'bool', usage: 'Skip image signing (default true)' },
    { name: 'platform', kind: 'string', usage: 'Push a platform-specific manifest as a single-platform image to the registry' },
    { name: 'quiet', short: 'q', kind: 'bool', usage: 'Suppress verbose output' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [ref]) {
    const { name, tag } = splitImageRef(ref);
    if (v['all-tags'] && tag) throw new StatusError(125, 'tag can\'t be used with --all-tags/-a');
    if (!tag && !v['all-tags'] && !v.quiet) ctx.stdout.write('Using default tag: latest\n');
    const client = ctx.client();
    const messages = await client.imagePush(name, { tag: v['all-tags'] ? undefined : tag ?? 'latest', registryAuth: registryAuthHeader(ctx.globals.config, name) });
    await showProgress(messages, ctx, !!v.quiet);
    if (v.quiet) ctx.stdout.write(`${ref}\n`);
  },
};
