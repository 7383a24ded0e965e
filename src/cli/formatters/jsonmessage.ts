/** Docker's JSON progress stream (pull, import), shown like jsonmessage.DisplayJSONMessagesStream. */
import type { Writable } from 'node:stream';
import type { JSONMessage } from '../../client';

export class JsonMessageError extends Error {
  constructor(message: string, readonly code?: number) {
    super(message);
  }
}

/**
 * Print each message; without a terminal, progress updates are left out (docker does the
 * same: no bars into a pipe). The first error message throws. Returns the last `aux`.
 */
export async function displayJsonMessages(messages: AsyncIterable<JSONMessage>, out: Writable & { isTTY?: boolean }): Promise<unknown> {
  let aux: unknown;
  for await (const m of messages) {
    if (m.errorDetail || m.error) throw new JsonMessageError(m.errorDetail?.message ?? m.error ?? 'unknown error', m.errorDetail?.code);
    if (m.aux !== undefined) {
      aux = m.aux;
      continue;
    }
    const hasProgress = !!m.progressDetail && (m.progressDetail.current !== undefined || m.progressDetail.total !== undefined);
    if (hasProgress && !out.isTTY) continue;
    let line = m.id ? `${m.id}: ` : '';
    if (m.stream !== undefined) {
      out.write(line + m.stream);
      continue;
    }
    line += m.status ?? '';
    if (hasProgress && m.progress) line += ` ${m.progress}`;
    out.write(`${line}\n`);
  }
  return aux;
}
