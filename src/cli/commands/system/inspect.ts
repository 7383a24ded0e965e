import { ApiError, type EngineClient } from '../../../client';
import { FORMAT_USAGE_PLAIN, StatusError, type CliContext, type CommandDef } from '../../command';
import { inspectRenderer } from '../../formatters/inspect';
import { TemplateFailure } from '../../formatters/table';

type Kind = 'container' | 'image' | 'network' | 'volume';
/** The kinds a bare `inspect` tries, in docker's order (as far as berthd has them). */
const KINDS: Kind[] = ['container', 'image', 'network', 'volume'];
const DOCKER_KINDS = ['config', 'container', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'task', 'volume'];

async function fetchOne(client: EngineClient, kind: Kind, name: string, size: boolean): Promise<unknown> {
  const enc = encodeURIComponent(name);
  switch (kind) {
    case 'container': return client.containerInspect(name, { size });
    case 'image': return client.imageInspect(name);
    case 'network': return client.transport.json({ method: 'GET', path: `/networks/${enc}` });
    case 'volume': return client.transport.json({ method: 'GET', path: `/volumes/${enc}` });
  }
}

/** Inspect each name (trying each kind in docker's order when `kinds` has several). */
export async function inspectObjects(ctx: CliContext, names: string[], kinds: Kind[], format: string, size: boolean): Promise<number> {
  let renderer;
  try {
    renderer = inspectRenderer(format);
  } catch (e) {
    if (e instanceof TemplateFailure) throw new StatusError(64, `template parsing error: ${e.message}`);
    throw e;
  }
  const client = ctx.client();
  const found: unknown[] = [];
  const errors: string[] = [];
  for (const name of names) {
    let got = false;
    let lastErr: unknown;
    for (const kind of kinds) {
      try {
        found.push(await fetchOne(client, kind, name, size));
        got = true;
        break;
      } catch (e) {
        lastErr = e;
        if (!(e instanceof ApiError) || e.statusCode !== 404) break;
      }
    }
    if (!got) {
      if (kinds.length > 1 && lastErr instanceof ApiError && lastErr.statusCode === 404) errors.push(`No such object: ${name}`);
      else if (lastErr instanceof ApiError) errors.push(`Error response from daemon: ${lastErr.message}`);
      else throw lastErr;
    }
  }
  let out: string;
  try {
    out = renderer.render(found);
  } catch (e) {
    if (!(e instanceof TemplateFailure)) throw e;
    ctx.stdout.write(e.partial);
    throw new StatusError(1, `template parsing error: ${e.message}`);
  }
  ctx.stdout.write(out);
  if (errors.length) {
    ctx.stderr.write(errors.map((e) => (e.startsWith('Error response') ? e : `Error: ${e}`)).join('\n') + '\n');
    return 1;
  }
  return 0;
}

const formatFlag = { name: 'format', short: 'f', kind: 'string' as const, usage: FORMAT_USAGE_PLAIN };

export const inspect: CommandDef = {
  path: 'inspect',
  use: 'inspect [OPTIONS] NAME|ID [NAME|ID...]',
  short: 'Return low-level information on Berth objects',
  flags: [
    formatFlag,
    { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes if the type is container' },
    { name: 'type', kind: 'string', usage: 'Only inspect objects of the given type' },
  ],
  args: { min: 1 },
  async run(ctx, v, names) {
    const type = String(v.type ?? '');
    if (type && !KINDS.includes(type as Kind)) {
      if (!DOCKER_KINDS.includes(type)) {
        throw new StatusError(1, `unknown type: ${JSON.stringify(type)}: must be one of ${DOCKER_KINDS.map((k) => JSON.stringify(k)).join(', ')}`);
      }
      throw new StatusError(1, `berth: inspecting ${type} objects is not implemented yet`);
    }
    return inspectObjects(ctx, names, type ? [type as Kind] : KINDS, String(v.format ?? ''), !!v.size);
  },
};

export const containerInspect: CommandDef = {
  path: 'container inspect',
  use: 'inspect [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Display detailed information on one or more containers',
  flags: [formatFlag, { name: 'size', short: 's', kind: 'bool', usage: 'Display total file sizes' }],
  args: { min: 1 },
  run: (ctx, v, names) => inspectObjects(ctx, names, ['container'], String(v.format ?? ''), !!v.size),
};

export const imageInspect: CommandDef = {
  path: 'image inspect',
  use: 'inspect [OPTIONS] IMAGE [IMAGE...]',
  short: 'Display detailed information on one or more images',
  flags: [formatFlag, { name: 'platform', kind: 'string', usage: 'Inspect a specific platform of the multi-platform image.', hidden: true }],
  args: { min: 1 },
  run: (ctx, v, names) => inspectObjects(ctx, names, ['image'], String(v.format ?? ''), false),
};
