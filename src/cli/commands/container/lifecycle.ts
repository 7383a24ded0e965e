/** The container verbs that act on each named container in turn, printing each name. */
import { ApiError } from '../../../client';
import { parseFilterFlags, StatusError, stringList, type CliContext, type CommandDef } from '../../command';
import type { FlagValues } from '../../flags';
import { humanSize } from '../../formatters/units';

/** Run `fn` for each name; errors go to stderr one per line, and the exit code becomes 1. */
export async function eachContainer(ctx: CliContext, names: string[], fn: (name: string) => Promise<void>, summary?: (failed: string[]) => string): Promise<number> {
  const failed: string[] = [];
  for (const n of names) {
    try {
      await fn(n);
    } catch (e) {
      failed.push(n);
      ctx.stderr.write(e instanceof ApiError ? `Error response from daemon: ${e.message}\n` : `${(e as Error).message}\n`);
    }
  }
  if (failed.length && summary) ctx.stderr.write(`${summary(failed)}\n`);
  return failed.length ? 1 : 0;
}

const timeFlags = [
  { name: 'timeout', short: 't', kind: 'int' as const, usage: 'Seconds to wait before killing the container' },
  { name: 'time', kind: 'int' as const, usage: 'Seconds to wait before killing the container (deprecated: use --timeout)', hidden: true },
];

function stopOptions(v: FlagValues, changed: Set<string>): { signal?: string; timeout?: number } {
  const timeout = changed.has('timeout') ? Number(v.timeout) : changed.has('time') ? Number(v.time) : undefined;
  return { signal: String(v.signal ?? '') || undefined, timeout };
}
const signalFlag = { name: 'signal', short: 's', kind: 'string' as const, usage: 'Signal to send to the container' };

export const stop: CommandDef = {
  path: 'container stop',
  aliases: ['stop'],
  use: 'stop [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Stop one or more running containers',
  flags: [signalFlag, ...timeFlags],
  args: { min: 1 },
  async run(ctx, v, names, changed) {
    const opts = stopOptions(v, changed);
    return eachContainer(ctx, names, async (n) => {
      await ctx.client().containerStop(n, opts);
      ctx.stdout.write(`${n}\n`);
    });
  },
};

export const restart: CommandDef = {
  ...stop,
  path: 'container restart',
  aliases: ['restart'],
  use: 'restart [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Restart one or more containers',
  async run(ctx, v, names, changed) {
    const opts = stopOptions(v, changed);
    return eachContainer(ctx, names, async (n) => {
      await ctx.client().containerRestart(n, opts);
      ctx.stdout.write(`${n}\n`);
    });
  },
};

export const kill: CommandDef = {
  path: 'container kill',
  aliases: ['kill'],
  use: 'kill [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Kill one or more running containers',
  flags: [{ ...signalFlag, usage: 'Signal to send to the container' }],
  args: { min: 1 },
  async run(ctx, v, names) {
    const signal = String(v.signal ?? '') || undefined;
    return eachContainer(ctx, names, async (n) => {
      await ctx.client().containerKill(n, signal);
      ctx.stdout.write(`${n}\n`);
    });
  },
};

export const wait: CommandDef = {
  path: 'container wait',
  aliases: ['wait'],
  use: 'wait CONTAINER [CONTAINER...]',
  short: 'Block until one or more containers stop, then print their exit codes',
  flags: [],
  args: { min: 1 },
  async run(ctx, _v, names) {
    return eachContainer(ctx, names, async (n) => {
      const r = await ctx.client().containerWait(n, 'not-running');
      ctx.stdout.write(`${r.StatusCode}\n`);
    });
  },
};

export const rm: CommandDef = {
  path: 'container rm',
  aliases: ['container remove', 'rm'],
  use: 'rm [OPTIONS] CONTAINER [CONTAINER...]',
  short: 'Remove one or more containers',
  flags: [
    { name: 'force', short: 'f', kind: 'bool', usage: 'Force the removal of a running container (uses SIGKILL)' },
    { name: 'link', short: 'l', kind: 'bool', usage: 'Remove the specified link' },
    { name: 'volumes', short: 'v', kind: 'bool', usage: 'Remove anonymous volumes associated with the container' },
  ],
  args: { min: 1 },
  async run(ctx, v, names) {
    return eachContainer(ctx, names, async (n) => {
      const name = n.replace(/^\/+/, '');
      if (!name) throw new Error('Container name cannot be empty');
      try {
        await ctx.client().containerRemove(name, { force: !!v.force, volumes: !!v.volumes, link: !!v.link });
      } catch (e) {
        if (v.force && e instanceof ApiError && e.statusCode === 404) return;
        throw e;
      }
      ctx.stdout.write(`${n}\n`);
    });
  },
};

export const rename: CommandDef = {
  path: 'container rename',
  aliases: ['rename'],
  use: 'rename CONTAINER NEW_NAME',
  short: 'Rename a container',
  flags: [],
  args: { min: 2, max: 2 },
  async run(ctx, _v, [oldName, newName]) {
    const n = newName.trim().replace(/^\/+/, '');
    if (!oldName.trim() || !n) throw new StatusError(1, 'Error: neither old nor new names may be empty');
    try {
      await ctx.client().containerRename(oldName.trim(), n);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      throw new StatusError(1, `Error response from daemon: ${e.message}\nError: failed to rename container named ${oldName}`);
    }
  },
};

/** Ask like docker's command.PromptForConfirmation; true on "y"/"Y". */
export async function confirm(ctx: CliContext, message: string): Promise<boolean> {
  ctx.stdout.write(`${message}\nAre you sure you want to continue? [y/N] `);
  const answer = await new Promise<string>((resolve) => {
    let buf = '';
    const onData = (c: Buffer) => {
      buf += c.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) done(buf.slice(0, nl));
    };
    const done = (s: string) => {
      ctx.stdin.off('data', onData);
      ctx.stdin.off('end', onEnd);
      ctx.stdin.pause();
      resolve(s);
    };
    const onEnd = () => done(buf);
    ctx.stdin.on('data', onData);
    ctx.stdin.on('end', onEnd);
    ctx.stdin.resume();
  });
  return /^y(es)?$/i.test(answer.trim());
}

export const prune: CommandDef = {
  path: 'container prune',
  use: 'prune [OPTIONS]',
  short: 'Remove all stopped containers',
  flags: [
    { name: 'filter', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "until=<timestamp>")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    if (!v.force && !(await confirm(ctx, 'WARNING! This will remove all stopped containers.'))) {
      return 0;
    }
    const report = await ctx.client().containerPrune(parseFilterFlags(stringList(v.filter)));
    let out = '';
    const deleted = report.ContainersDeleted ?? [];
    if (deleted.length) out += `Deleted Containers:\n${deleted.map((d) => `${d}\n`).join('')}\n`;
    out += `Total reclaimed space: ${humanSize(deleted.length ? report.SpaceReclaimed : 0)}\n`;
    ctx.stdout.write(out);
  },
};
