import { buildPrune } from '../../../client/build';
import { parseFilterFlags, stringList, type CommandDef } from '../../command';
import { humanSize } from './context';

/** `berth builder prune`: forgets the build cache (classic step images nothing else holds). */
export const builderPrune: CommandDef = {
  path: 'builder prune',
  use: 'prune',
  short: 'Remove build cache',
  flags: [
    { name: 'all', short: 'a', kind: 'bool', usage: 'Remove all unused build cache, not just dangling ones' },
    { name: 'filter', kind: 'list', typeName: 'filter', usage: 'Provide filter values (e.g. "until=24h")' },
    { name: 'force', short: 'f', kind: 'bool', usage: 'Do not prompt for confirmation' },
  ],
  args: { max: 0 },
  async run(ctx, v) {
    if (!v.force) {
      ctx.stdout.write('WARNING! This will remove all dangling build cache.\nAre you sure you want to continue? [y/N] ');
      const answer = await new Promise<string>((resolve) => {
        let buf = '';
        ctx.stdin.on('data', (d: Buffer) => { buf += d.toString(); if (buf.includes('\n')) resolve(buf); });
        ctx.stdin.on('end', () => resolve(buf));
      });
      if (!/^y(es)?$/i.test(answer.trim())) return;
    }
    const r = await buildPrune(ctx.client(), { all: !!v.all, filters: parseFilterFlags(stringList(v.filter), '--filter') });
    if (r.CachesDeleted?.length) ctx.stdout.write(`Deleted build cache objects:\n${r.CachesDeleted.join('\n')}\n\n`);
    ctx.stdout.write(`Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`);
  },
};
