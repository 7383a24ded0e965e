import { demuxStream } from '../../../client';
import type { CommandDef } from '../../command';
import { getTimestamp } from '../../formatters/units';

export const logs: CommandDef = {
  path: 'container logs',
  aliases: ['logs'],
  use: 'logs [OPTIONS] CONTAINER',
  short: 'Fetch the logs of a container',
  flags: [
    { name: 'details', kind: 'bool', usage: 'Show extra details provided to logs' },
    { name: 'follow', short: 'f', kind: 'bool', usage: 'Follow log output' },
    { name: 'since', kind: 'string', usage: 'Show logs since timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
    { name: 'tail', short: 'n', kind: 'string', usage: 'Number of lines to show from the end of the logs', default: 'all' },
    { name: 'timestamps', short: 't', kind: 'bool', usage: 'Show timestamps' },
    { name: 'until', kind: 'string', usage: 'Show logs before a timestamp (e.g. "2013-01-02T13:23:37Z") or relative (e.g. "42m" for 42 minutes)' },
  ],
  args: { min: 1, max: 1 },
  async run(ctx, v, [name]) {
    const client = ctx.client();
    const info = await client.containerInspect(name);
    const since = String(v.since ?? '');
    const until = String(v.until ?? '');
    const res = await client.containerLogs(name, {
      follow: !!v.follow, since: since ? getTimestamp(since) : undefined, until: until ? getTimestamp(until) : undefined,
      timestamps: !!v.timestamps, tail: String(v.tail ?? 'all'), details: !!v.details,
    });
    if (info.Config?.Tty) {
      await new Promise<void>((resolve, reject) => {
        res.on('data', (c: Buffer) => ctx.stdout.write(c));
        res.on('end', resolve);
        res.on('error', reject);
      });
    } else {
      await demuxStream(res, ctx.stdout, ctx.stderr);
    }
  },
};
