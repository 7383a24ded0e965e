/**
 * Child process for the kill -9 test: imports a tar from a slow stream into the data root
 * given in BERTH_IMPORT_CHILD, printing "started" once bytes flow. The test kills it at
 * some point with SIGKILL. Does nothing without that variable (the test runner loads every
 * file under dist/test/).
 */
import { createReadStream } from 'node:fs';
import * as path from 'node:path';
import { Transform } from 'node:stream';
import { LocalImageService } from '../../../src/images/service';
import { openDatabase } from '../../../src/metadata/db';

async function main(root: string, tarPath: string, delayMs: number): Promise<void> {
  const s = new LocalImageService({ root, db: openDatabase(path.join(root, 'berth.db')) });
  await s.reconcile();
  let first = true;
  const slow = new Transform({
    transform(chunk: Buffer, _e, cb) {
      if (first) { first = false; process.stdout.write('started\n'); }
      setTimeout(() => cb(null, chunk), delayMs);
    },
  });
  const img = await s.import({ source: createReadStream(tarPath, { highWaterMark: 64 * 1024 }).pipe(slow), repo: 'crash', tag: 'test' });
  process.stdout.write(`done ${img.id}\n`);
}

const root = process.env.BERTH_IMPORT_CHILD;
if (root) {
  main(root, process.env.BERTH_IMPORT_TAR ?? '', Number(process.env.BERTH_IMPORT_DELAY ?? '0')).catch((e) => {
    process.stderr.write(`${String(e)}\n`);
    process.exit(1);
  });
}
