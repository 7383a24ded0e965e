import type { Writable } from 'node:stream';
import type { JSONMessage } from '../../../client';
import { JsonMessageError } from '../../formatters/jsonmessage';

/**
 * docker's jsonmessage.DisplayJSONMessagesStream on a terminal: one line per layer id,
 * redrawn in place (cursor up to the id's line, clear it, write, cursor back down); a line
 * without an id starts a new block. Used by pull and push when stdout is a TTY; pipes get
 * the plain lines of displayJsonMessages. Returns the last `aux`.
 */
export async function displayProgressTTY(messages: AsyncIterable<JSONMessage>, out: Writable): Promise<unknown> {
  let ids = new Map<string, number>();
  let aux: unknown;
  for await (const m of messages) {
    if (m.errorDetail || m.error) throw new JsonMessageError(m.errorDetail?.message ?? m.error ?? 'unknown error', m.errorDetail?.code);
    if (m.aux !== undefined) { aux = m.aux; continue; }
    const hasProgress = m.progressDetail !== undefined && m.stream === undefined;
    let diff = 0;
    if (m.id && hasProgress) {
      let line = ids.get(m.id);
      if (line === undefined) {
        line = ids.size;
        ids.set(m.id, line);
        out.write('\n');
      }
      diff = ids.size - line;
      if (diff > 0) out.write(`\x1b[${diff}A`);
    } else {
      ids = new Map();
    }
    let text = '';
    if (hasProgress) text += '\x1b[2K\r';
    if (m.id) text += `${m.id}: `;
    if (m.stream !== undefined) text += m.stream;
    else if (hasProgress) text += `${m.status ?? ''} ${m.progress ?? ''}\r`;
    else text += `${m.status ?? ''}\n`;
    out.write(text);
    if (m.id && hasProgress && diff > 0) out.write(`\x1b[${diff}B`);
  }
  return aux;
}
