import { Transform, type Readable, type TransformCallback } from 'node:stream';

/**
 * Rewrites the owner of every entry of a tar stream as it goes by (--userns-remap: host ids
 * on disk <-> container ids in tars), leaving every other byte as it was. Only ustar/GNU
 * header blocks change: their uid and gid fields and checksum; pax and GNU long-name records
 * and file data pass through. An id that needs a pax record (above 0o7777777) keeps it.
 */
export type OwnerMap = (uid: number, gid: number) => { uid: number; gid: number };

const BLOCK = 512;

function readNumber(b: Buffer, off: number, len: number): number {
  if (b[off] & 0x80) {
    // GNU base-256: big-endian, the top bit of the first byte set
    let n = b[off] & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + b[off + i];
    return n;
  }
  const s = b.toString('latin1', off, off + len).replace(/\0.*$/s, '').trim();
  return s ? parseInt(s, 8) : 0;
}

/** Octal as tar writes it, or GNU base-256 for a number too long for the field. */
function writeNumber(b: Buffer, off: number, len: number, n: number): void {
  const s = n.toString(8);
  if (s.length <= len - 1) { b.write(s.padStart(len - 1, '0') + '\0', off, len, 'latin1'); return; }
  for (let i = len - 1; i > 0; i--) { b[off + i] = n % 256; n = Math.floor(n / 256); }
  b[off] = 0x80;
}

function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (b[i] !== 0) return false;
  return true;
}

/** Maps one header block in place; returns the number of data bytes (padded) that follow it. */
export function mapHeaderBlock(h: Buffer, map: OwnerMap): number {
  if (isZeroBlock(h)) return 0;
  const size = readNumber(h, 124, 12);
  const padded = Math.ceil(size / BLOCK) * BLOCK;
  const type = String.fromCharCode(h[156]);
  if ('xgLK'.includes(type)) return padded; // metadata records, not entries
  const { uid, gid } = map(readNumber(h, 108, 8), readNumber(h, 116, 8));
  writeNumber(h, 108, 8, uid);
  writeNumber(h, 116, 8, gid);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i];
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'latin1');
  return padded;
}

class OwnerMapper extends Transform {
  private header = Buffer.alloc(BLOCK);
  private have = 0;
  /** data bytes still to pass before the next header */
  private skip = 0;

  constructor(private readonly owners: OwnerMap) { super(); }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try { this.mapChunk(chunk); } catch (e) { cb(e as Error); return; }
    cb();
  }

  private mapChunk(chunk: Buffer): void {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.push(chunk.subarray(pos, pos + n));
        this.skip -= n;
        pos += n;
        continue;
      }
      const n = Math.min(BLOCK - this.have, chunk.length - pos);
      chunk.copy(this.header, this.have, pos, pos + n);
      this.have += n;
      pos += n;
      if (this.have < BLOCK) break;
      const block = Buffer.from(this.header);
      this.have = 0;
      this.skip = mapHeaderBlock(block, this.owners);
      this.push(block);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.have) this.push(this.header.subarray(0, this.have));
    cb();
  }
}

/** `src` with its entries' owners mapped; `src` itself when there is no map. */
export function mapTarOwners(src: Readable, map: OwnerMap | undefined): Readable {
  if (!map) return src;
  const out = new OwnerMapper(map);
  src.on('error', (e) => out.destroy(e));
  return src.pipe(out);
}
