import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';

/** Prefix of every temp file or dir Berth makes; start-up reconciliation removes leftovers. */
export const TEMP_PREFIX = '.tmp-';

/** Writes a file so that readers see the old content or the new one, never a mix, even across a crash. */
export async function atomicWriteFile(file: string, data: string | Buffer, mode = 0o644): Promise<void> {
  const dir = path.dirname(file);
  const tmp = path.join(dir, `${TEMP_PREFIX}${path.basename(file)}-${randomBytes(6).toString('hex')}`);
  const fh = await fs.open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
  await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.open(dir, 'r');
  try { await fh.sync(); } finally { await fh.close(); }
}
