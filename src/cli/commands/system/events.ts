import type { EventMessage, StreamedEvent } from '../../../client';
import { FORMAT_USAGE_PLAIN, parseFilterFlags, stringList, type CommandDef } from '../../command';
import { compileTemplate, formatKind, templateError } from '../../formatters/table';
import { getTimestamp } from '../../formatters/units';

/** Go's `2006-01-02T15:04:05.000000000Z07:00` in UTC, from nanoseconds since the epoch. */
export function rfc3339NanoFixed(timeNano: bigint): string {
  const secs = timeNano / 1_000_000_000n;
  const nanos = timeNano % 1_000_000_000n;
  const iso = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  return `${iso}.${nanos.toString().padStart(9, '0')}Z`;
}

/** The line `docker events` prints for one event without --format. */
export function formatEvent(m: EventMessage & { timeNanoExact?: bigint }): string {
  let line = '';
  if (m.timeNanoExact) line += `${rfc3339NanoFixed(m.timeNanoExact)} `;
  else if (m.timeNano) line += `${rfc3339NanoFixed(BigInt(Math.round(m.timeNano)))} `;
  else if (m.time) line += `${rfc3339NanoFixed(BigInt(m.time) * 1_000_000_000n)} `;
  line += `${m.Type} ${m.Action} ${m.Actor?.ID ?? ''}`;
  const attrs = m.Actor?.Attributes ?? {};
  const keys = Object.keys(attrs).sort();
  if (keys.length) line += ` (${keys.map((k) => `${k}=${attrs[k]}`).join(', ')})`;
  return `${line}\n`;
}

export const events: CommandDef = {
  path: 'system events',
  aliases: ['events'],
  use: 'events [OPTIONS]',
  short: 'Get real time events from the server',
  flags: [
    { name: 'filter', short: 'f', kind: 'list', typeName: 'filter', usage: 'Filter output based on conditions provided' },
    { name: 'format', kind: 'string', usage: FORMAT_USAGE_PLAIN },
    { name: 'since', kind: 'string', usage: 'Show all events created since timestamp' },
    { name: 'until', kind: 'string', usage: 'Stream events until this timestamp' },
  ],
  args: { min: 0, max: 0 },
  async run(ctx, v) {
    const since = String(v.since ?? '');
    const until = String(v.until ?? '');
    const format = String(v.format ?? '');
    let tpl: { execute(data: unknown): string } | undefined;
    if (format && formatKind(format) !== 'json') {
      try {
        tpl = compileTemplate(format);
      } catch (e) {
        throw templateError(e, { parse: 'Error parsing format: ', exec: '', parseCode: 64 });
      }
    }
    const stream = await ctx.client().events({
      since: since ? getTimestamp(since) : undefined, until: until ? getTimestamp(until) : undefined,
      filters: parseFilterFlags(stringList(v.filter)),
    });
    const stop = () => stream.close();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      for await (const m of stream.messages) {
        if (!format) ctx.stdout.write(formatEvent(m));
        else if (formatKind(format) === 'json') ctx.stdout.write(`${(m as StreamedEvent).raw ?? JSON.stringify(m)}\n`);
        else ctx.stdout.write(`${tpl!.execute(m)}\n`);
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
