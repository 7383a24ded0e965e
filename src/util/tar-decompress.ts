import { PassThrough, Readable, pipeline } from 'node:stream';
import * as zlib from 'node:zlib';
import { invalidParameter, system } from '../errdefs';
import { spawnChild } from './spawn';

/**
 * Detects the compression of a tar stream by its magic bytes and returns the plain stream,
 * as Docker's archive.DecompressStream does.
 *
 * gzip uses node:zlib. xz, bzip2 and zstd spawn the system tools (`xz`, `bzip2`, `zstd`,
 * all Debian packages; xz-utils and bzip2 come with every Debian install): dockerd itself
 * spawns `xz`, the tools are faster than any JavaScript port, and there is no npm
 * decoder for these formats that is both maintained and fast. One spawn per stream.
 */
export type Compression = 'none' | 'gzip' | 'bzip2' | 'xz' | 'zstd';

export function detectCompression(head: Buffer): Compression {
  const starts = (bytes: number[]) => head.length >= bytes.length && bytes.every((b, i) => head[i] === b);
  if (starts([0x1f, 0x8b, 0x08])) return 'gzip';
  if (starts([0x42, 0x5a, 0x68])) return 'bzip2';
  if (starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'xz';
  if (starts([0x28, 0xb5, 0x2f, 0xfd])) return 'zstd';
  return 'none';
}

/**
 * Reads the first bytes of a stream and gives back a stream that still yields all of them:
 * the same stream with the bytes put back (so its consumers read it directly, with no
 * layer in between), or, when it ended that soon, a new one holding what there was.
 * A stream closed before it ended (the client went away) rejects.
 * A stream that already has 'data' listeners (a progress count) would show them the first
 * bytes twice that way: it is read through a wrapper instead.
 */
export function peek(src: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  if (src.listenerCount('data') > 0) return peekWrapped(src, n);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const finish = (ended: boolean) => {
      src.off('readable', onReadable);
      src.off('end', onEnd);
      src.off('close', onClose);
      // onError stays: a later error (a client gone) is the consumer's to see, not a crash
      // in the moment before it listens; rejecting a settled promise does nothing.
      const head = Buffer.concat(chunks);
      if (ended) { resolve({ head, stream: Readable.from(head.length ? [head] : []) }); return; }
      if (head.length) src.unshift(head);
      resolve({ head, stream: src });
    };
    const onReadable = () => {
      let c: Buffer | string | null;
      while (got < n && (c = src.read() as Buffer | string | null) !== null) {
        const b = Buffer.isBuffer(c) ? c : Buffer.from(c);
        chunks.push(b);
        got += b.length;
      }
      if (got >= n) finish(false);
    };
    const onEnd = () => finish(true);
    const onError = (e: Error) => { src.off('readable', onReadable); src.off('end', onEnd); src.off('close', onClose); reject(e); };
    // a body destroyed without an error (the client went away) must not leave the caller waiting
    const onClose = () => { if (!src.readableEnded) onError(system('the stream was cut short: the client went away')); };
    src.on('readable', onReadable);
    src.on('end', onEnd);
    src.on('error', onError);
    src.on('close', onClose);
  });
}

/** peek for a watched stream: an async generator yields the first bytes, then the rest. */
async function peekWrapped(src: Readable, n: number): Promise<{ head: Buffer; stream: Readable }> {
  const it = src[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  let ended = false;
  while (head.length < n) {
    const r = await it.next();
    if (r.done) { ended = true; break; }
    head = Buffer.concat([head, Buffer.isBuffer(r.value) ? r.value : Buffer.from(r.value)]);
  }
  const first = head;
  const stream = Readable.from((async function* () {
    if (first.length) yield first;
    if (ended) return;
    for (;;) {
      const r = await it.next();
      if (r.done) return;
      yield r.value;
    }
  })(), { objectMode: false });
  return { head, stream };
}

function viaProcess(src: Readable, cmd: string, args: string[]): Readable {
  const out = new PassThrough();
  const child = spawnChild(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let stdoutDone = false;
  let exit: number | null | undefined;
  const finish = () => {
    if (!stdoutDone || exit === undefined) return;
    if (exit === 0) out.end();
    else out.destroy(invalidParameter(`${cmd}: failed to decompress: ${stderr.trim() || `exit code ${exit}`}`));
  };
  child.on('error', (e: Error) => out.destroy(invalidParameter(`${cmd}: cannot run: ${e.message}`)));
  child.stderr!.on('data', (c: Buffer) => { if (stderr.length < 4096) stderr += c.toString(); });
  child.stdout!.pipe(out, { end: false });
  child.stdout!.on('end', () => { stdoutDone = true; finish(); });
  child.on('close', (code: number | null) => { exit = code; finish(); });
  pipeline(src, child.stdin!, (err) => {
    // EPIPE when the tool gave up early: its exit code tells the real story
    if (err && (err as NodeJS.ErrnoException).code !== 'EPIPE') out.destroy(err);
  });
  out.on('close', () => { if (exit === undefined) child.kill('SIGKILL'); });
  return out;
}

export async function decompressStream(src: Readable): Promise<{ stream: Readable; compression: Compression }> {
  const { head, stream } = await peek(src, 6);
  const compression = detectCompression(head);
  switch (compression) {
    case 'none': return { stream, compression };
    case 'gzip': {
      const gunzip = zlib.createGunzip({ chunkSize: 256 * 1024 }); // fewer, larger chunks: less per-chunk work downstream (tar parse, hash, writes)
      return { stream: pipeline(stream, gunzip, () => { /* errors reach the consumer through gunzip */ }), compression };
    }
    case 'bzip2': return { stream: viaProcess(stream, 'bzip2', ['-d', '-c', '-q']), compression };
    case 'xz': return { stream: viaProcess(stream, 'xz', ['-d', '-c', '-q']), compression };
    case 'zstd': return { stream: viaProcess(stream, 'zstd', ['-d', '-c', '-q']), compression };
  }
}
