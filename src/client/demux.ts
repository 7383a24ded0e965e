/**
 * Docker's multiplexed stream framing (attach, logs and exec without a TTY): each frame is
 * an 8-byte header `[stream 0|1|2, 0, 0, 0, size uint32 big-endian]` followed by `size`
 * bytes of payload. Stream 0 is stdin, 1 stdout, 2 stderr (3 is the systemerr of the API).
 */
import { Readable, Writable } from 'node:stream';

export type StreamId = 0 | 1 | 2 | 3;
export interface Frame { stream: StreamId; payload: Buffer }

export const FRAME_HEADER_SIZE = 8;

/** Encode one frame (used by tests and fakes). */
export function encodeFrame(stream: StreamId, payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(FRAME_HEADER_SIZE);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** Incremental decoder: feed chunks in any split, get whole frames out. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= FRAME_HEADER_SIZE) {
      const size = this.buf.readUInt32BE(4);
      if (this.buf.length < FRAME_HEADER_SIZE + size) break;
      const stream = this.buf[0] as StreamId;
      if (stream > 3) throw new Error(`unrecognized input header: ${stream}`);
      frames.push({ stream, payload: this.buf.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + size) });
      this.buf = this.buf.subarray(FRAME_HEADER_SIZE + size);
    }
    return frames;
  }

  /** Bytes of an incomplete frame still held. */
  get pending(): number {
    return this.buf.length;
  }
}

/** Split every frame in a buffer that holds only whole frames. */
export function demuxBuffer(data: Buffer): Frame[] {
  const d = new FrameDecoder();
  const frames = d.push(data);
  if (d.pending) throw new Error('truncated multiplexed stream');
  return frames;
}

/**
 * Copy a multiplexed stream to stdout/stderr writers, like moby's stdcopy.StdCopy.
 * Resolves when the source ends; a systemerr frame (3) rejects with its text.
 */
export function demuxStream(src: Readable, stdout: Writable, stderr: Writable): Promise<void> {
  const decoder = new FrameDecoder();
  return new Promise((resolve, reject) => {
    let failed = false;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      src.destroy();
      reject(e);
    };
    src.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = decoder.push(chunk);
      } catch (e) {
        fail(e);
        return;
      }
      for (const f of frames) {
        if (f.stream === 3) return fail(new Error(f.payload.toString()));
        const out = f.stream === 2 ? stderr : stdout;
        if (!out.write(f.payload)) {
          src.pause();
          out.once('drain', () => src.resume());
        }
      }
    });
    src.on('error', fail);
    src.on('end', () => { if (!failed) resolve(); });
    src.on('close', () => { if (!failed) resolve(); });
  });
}
