import * as fs from 'node:fs';
import { imageBuild } from '../../../client/build';
import { StatusError, stringList, type CommandDef } from '../../command';
import type { FlagSpec } from '../../flags';
import { contextFromDir, contextFromStdin, humanSize } from './context';

const l = (name: string, usage: string, short?: string): FlagSpec => ({ name, short, kind: 'list', typeName: 'list', usage });
const s = (name: string, usage: string, short?: string): FlagSpec => ({ name, short, kind: 'string', usage });
const b = (name: string, usage: string, extra: Partial<FlagSpec> = {}): FlagSpec => ({ name, kind: 'bool', usage, ...extra });

function parseSize(v: string, flag: string): number | undefined {
  if (!v) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)b?$/i.exec(v.trim());
  if (!m) throw new StatusError(125, `invalid argument "${v}" for "${flag}" flag: invalid size: '${v}'`);
  return Math.floor(Number(m[1]) * 1024 ** ['', 'k', 'm', 'g', 't'].indexOf(m[2].toLowerCase()));
}

function kvList(list: string[], what: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq === 0) throw new StatusError(125, `invalid argument "${item}" for "${what}" flag: invalid key`);
    // --build-arg NAME without a value takes it from the environment, as docker does
    if (eq < 0) out[item] = what === '--build-arg' ? process.env[item] ?? null : '';
    else out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `berth build` as docker's classic builder client: context upload, then the step stream. */
export const build: CommandDef = {
  path: 'image build',
  aliases: ['build', 'builder build'],
  use: 'build [OPTIONS] PATH | URL | -',
  short: 'Build an image from a Dockerfile',
  flags: [
    l('add-host', 'Add a custom host-to-IP mapping ("host:ip")'),
    l('build-arg', 'Set build-time variables'),
    l('cache-from', 'Images to consider as cache sources'),
    s('cpu-shares', 'CPU shares (relative weight)', 'c'),
    s('file', 'Name of the Dockerfile (Default is "PATH/Dockerfile")', 'f'),
    b('force-rm', 'Always remove intermediate containers'),
    s('iidfile', 'Write the image ID to the file'),
    l('label', 'Set metadata for an image'),
    s('memory', 'Memory limit', 'm'),
    s('network', 'Set the networking mode for the RUN instructions during build (default "default")'),
    b('no-cache', 'Do not use cache when building the image'),
    s('platform', 'Set platform if server is multi-platform capable'),
    b('pull', 'Always attempt to pull a newer version of the image'),
    b('quiet', 'Suppress the build output and print image ID on success', { short: 'q' }),
    b('rm', 'Remove intermediate containers after a successful build', { default: true, defaultText: 'true' }),
    s('shm-size', 'Size of "/dev/shm"'),
    l('tag', 'Name and optionally a tag in the "name:tag" format', 't'),
    s('target', 'Set the target build stage to build.'),
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [source]) {
    const quiet = !!v.quiet;
    const file = String(v.file ?? '');
    let packed: { tar: Buffer; dockerfile?: string } | undefined;
    let remote: string | undefined;
    if (source === '-') {
      if (file === '-') throw new StatusError(125, 'invalid argument: can\'t use stdin for both build context and dockerfile');
      packed = await contextFromStdin(ctx.stdin, file);
    } else if (/^(https?:\/\/|git@|github\.com\/)/.test(source)) {
      remote = source;
    } else {
      packed = await contextFromDir(source, file, ctx.stdin);
    }
    if (packed && !quiet) ctx.stdout.write(`Sending build context to Docker daemon  ${humanSize(packed.tar.length)}\r\r\n`);
    const labels = kvList(stringList(v.label), '--label') as Record<string, string>;
    const messages = await imageBuild(ctx.client(), packed?.tar, {
      tags: stringList(v.tag), dockerfile: packed?.dockerfile ?? (file || undefined), remote,
      buildArgs: kvList(stringList(v['build-arg']), '--build-arg'), target: String(v.target ?? ''),
      noCache: !!v['no-cache'], pull: !!v.pull, rm: v.rm !== false, forceRm: !!v['force-rm'], labels,
      cacheFrom: stringList(v['cache-from']), networkMode: String(v.network ?? ''), extraHosts: stringList(v['add-host']),
      shmSize: parseSize(String(v['shm-size'] ?? ''), '--shm-size'), memory: parseSize(String(v.memory ?? ''), '--memory'),
      cpuShares: Number(v['cpu-shares'] || 0) || undefined, platform: String(v.platform ?? ''), quiet,
    });
    let id = '';
    for await (const m of messages) {
      if (m.errorDetail || m.error) {
        const msg = m.errorDetail?.message ?? m.error ?? 'unknown error';
        throw new StatusError(m.errorDetail?.code || 1, msg);
      }
      const aux = m.aux as { ID?: string } | undefined;
      if (aux?.ID) { id = aux.ID; continue; }
      if (m.stream === undefined) continue;
      if (quiet) { if (/^sha256:/.test(m.stream.trim())) id = m.stream.trim(); continue; }
      ctx.stdout.write(m.stream);
    }
    if (quiet) ctx.stdout.write(`${id}\n`);
    if (v.iidfile) fs.writeFileSync(String(v.iidfile), id);
  },
};
