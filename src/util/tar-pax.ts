/**
 * A second, minimal reading of the tar byte stream, beside tar-stream, for one thing
 * tar-stream loses: pax record values as raw bytes. tar-stream decodes them as UTF-8, which
 * corrupts binary extended attributes (SCHILY.xattr.security.capability is binary).
 *
 * The scanner walks the same 512-byte blocks with tar-stream's rules (null blocks skipped,
 * data follows any entry of size > 0 but a directory, a local pax `size` overrides the
 * header's) and queues, for every entry tar-stream will emit, that entry's pax records
 * (global merged under local, as tar-stream does) or null. The extractor takes one per entry.
 */
const BLOCK = 512;
const T_PAX = 'x'.charCodeAt(0);
const T_GLOBAL = 'g'.charCodeAt(0);
const T_LONGNAME = 'L'.charCodeAt(0);
const T_LONGLINK = 'K'.charCodeAt(0);
const T_DIR = '5'.charCodeAt(0);

export type PaxRecords = Map<string, Buffer>;

/** Parses "len key=value\n" records; values stay bytes. */
export function parsePaxRecords(buf: Buffer): PaxRecords {
  const out: PaxRecords = new Map();
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = parseInt(buf.subarray(off, sp).toString('latin1'), 10);
    if (!len || off + len > buf.length) break;
    const rec = buf.subarray(sp + 1, off + len - 1); // without the trailing newline
    const eq = rec.indexOf(0x3d);
    if (eq < 0) break;
    out.set(rec.subarray(0, eq).toString('utf8'), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

/** A numeric header field: octal (space or NUL ended), or base-256 when the high bit is set (-1 if negative). */
export function decodeNumber(field: Buffer): number {
  if (field[0] & 0x80) {
    if (field[0] !== 0x80) return -1; // negative base-256: tar-stream rejects such entries
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + field[i];
    return n;
  }
  let s = 0;
  while (s < field.length && field[s] === 0x20) s++;
  let e = field.indexOf(0x20, s);
  if (e < 0) e = field.length;
  while (s < e && field[s] === 0) s++;
  if (e === s) return 0;
  return parseInt(field.subarray(s, e).toString('latin1'), 8);
}

export function isNullBlock(h: Buffer): boolean {
  let sum = 8 * 32;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) sum += h[i];
  return sum === 8 * 32;
}

function nameEndsWithSlash(h: Buffer): boolean {
  const end = h.indexOf(0, 0) ;
  const nameLen = end < 0 || end > 100 ? 100 : end;
  const ustar = h.subarray(257, 263).toString('latin1') === 'ustar\0';
  if (nameLen > 0) return h[nameLen - 1] === 0x2f;
  return ustar && h[345] !== 0; // prefix + '/' + ''
}

export class PaxScanner {
  private head = Buffer.alloc(0);
  private skip = 0;
  private capture: { kind: 'local' | 'global' | 'none'; want: number; parts: Buffer[]; got: number } | null = null;
  private local: PaxRecords | null = null;
  private global: PaxRecords | null = null;
  private broken = false;
  private readonly queue: (PaxRecords | null)[] = [];

  /** Feeds the next bytes of the uncompressed tar, in order. */
  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.broken) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - off);
        if (this.capture && this.capture.got < this.capture.want) {
          const take = Math.min(n, this.capture.want - this.capture.got);
          this.capture.parts.push(Buffer.from(chunk.subarray(off, off + take)));
          this.capture.got += take;
        }
        this.skip -= n;
        off += n;
        if (this.skip === 0) this.endCapture();
        continue;
      }
      const take = Math.min(BLOCK - this.head.length, chunk.length - off);
      this.head = Buffer.concat([this.head, chunk.subarray(off, off + take)]);
      off += take;
      if (this.head.length < BLOCK) break;
      const h = this.head;
      this.head = Buffer.alloc(0);
      this.onHeader(h);
    }
  }

  private onHeader(h: Buffer): void {
    if (isNullBlock(h)) return;
    const type = h[156];
    let size = decodeNumber(h.subarray(124, 136));
    if (!(size >= 0)) { this.broken = true; return; }
    const padded = (n: number) => n + ((BLOCK - (n % BLOCK)) % BLOCK);
    if (type === T_PAX || type === T_GLOBAL || type === T_LONGNAME || type === T_LONGLINK) {
      const kind = type === T_PAX ? 'local' : type === T_GLOBAL ? 'global' : 'none';
      this.capture = { kind, want: size, parts: [], got: 0 };
      this.skip = padded(size);
      if (this.skip === 0) this.endCapture();
      return;
    }
    let records: PaxRecords | null = null;
    if (this.local) {
      records = new Map([...(this.global ?? new Map<string, Buffer>()), ...this.local]);
      const s = records.get('size');
      if (s) size = parseInt(s.toString('latin1'), 10);
      this.local = null;
    }
    this.queue.push(records);
    const isDir = type === T_DIR || ((type === 0 || type === 0x30) && nameEndsWithSlash(h));
    this.skip = size === 0 || isDir ? 0 : padded(size);
  }

  private endCapture(): void {
    const c = this.capture;
    this.capture = null;
    if (!c || c.kind === 'none') return;
    const recs = parsePaxRecords(Buffer.concat(c.parts));
    if (c.kind === 'global') this.global = recs;
    else this.local = recs;
  }

  /** The pax records of the next entry tar-stream emits (null when it had none). */
  next(): PaxRecords | null {
    return this.queue.shift() ?? null;
  }
}
