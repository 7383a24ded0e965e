import { Readable } from 'node:stream';
import * as tar from 'tar-stream';

/** One tar entry for tests; `body` only for files. */
export type Entry = Partial<tar.Header> & { name: string; body?: string | Buffer };

/** Builds a tar in memory from entries (any names, any types: the tests are the attacker). */
export async function makeTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const e of entries) {
    const { body, ...header } = e;
    const h: tar.Header = { mode: 0o644, uid: 0, gid: 0, mtime: new Date(1_000_000_000_000), ...header } as tar.Header;
    await new Promise<void>((resolve, reject) => {
      if (body !== undefined) pack.entry(h, body, (err) => (err ? reject(err) : resolve()));
      else pack.entry(h, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const tarStream = (b: Buffer) => Readable.from([b]);
export const isRoot = () => process.getuid?.() === 0;
