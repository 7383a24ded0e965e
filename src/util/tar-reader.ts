import { type PaxRecords, decodeNumber, isNullBlock, parsePaxRecords } from './tar-pax';

/**
 * A synchronous, push-driven tar reader: feed it the bytes of an uncompressed tar in any
 * chunking and it calls its sink for every entry, handing file data on as slices of the
 * chunks it was given (no copies, no streams, no promises). For hot paths that write what
 * they read at once (docker cp into a container); tar-stream stays for the others.
 *
 * It reads what Go's archive/tar reads (the docker CLI writes with it): ustar with its
 * prefix, GNU long names and links (L, K), pax records (local `x` merged over global `g`:
 * path, linkpath, size, uid, gid, mtime with its fraction), base-256 numbers, old-style
 * directories (a name ending in "/"), and header-only types (links, symlinks, devices,
 * directories, fifos) whose size field is not followed by data. Headers are checked by
 * their checksum; zero blocks are skipped. Errors read like Go's.
 */
export type TarType =
  | 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo'
  | 'contiguous-file' | 'other';

export interface TarHeader {
  name: string;
  type: TarType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: Date;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** The entry's pax records (global merged under local), values as bytes; null without any. */
  pax: PaxRecords | null;
}

export interface TarSink {
  /** A new entry; its data (`size` bytes, possibly none) follows through data(). */
  entry(h: TarHeader): void;
  data(chunk: Buffer): void;
  /** The entry's data is complete. */
  endEntry(): void;
}

const BLOCK = 512;
/** Bigger pax or long-name payloads than this are refused (tar-stream's limit too). */
const MAX_META = 1 << 20;

const TYPES: Record<number, TarType> = {
  0: 'file', 0x30: 'file', 0x31: 'link', 0x32: 'symlink', 0x33: 'character-device', 0x34: 'block-device',
  0x35: 'directory', 0x36: 'fifo', 0x37: 'contiguous-file',
};
const HEADER_ONLY = new Set<TarType>(['link', 'symlink', 'character-device', 'block-device', 'directory', 'fifo']);
const T_PAX = 0x78; // x
const T_GLOBAL = 0x67; // g
const T_LONGNAME = 0x4c; // L
const T_LONGLINK = 0x4b; // K

export class TarError extends Error {}

const padding = (n: number) => (BLOCK - (n % BLOCK)) % BLOCK;

function str(h: Buffer, off: number, len: number): string {
  let end = h.indexOf(0, off);
  if (end < 0 || end > off + len) end = off + len;
  return h.toString('utf8', off, end);
}

function checksumOk(h: Buffer): boolean {
  let unsigned = 8 * 32;
  let signed = 8 * 32;
  for (let i = 0; i < BLOCK; i++) {
    if (i >= 148 && i < 156) continue;
    unsigned += h[i];
    signed += h[i] > 127 ? h[i] - 256 : h[i];
  }
  const want = decodeNumber(h.subarray(148, 156));
  return want === unsigned || want === signed;
}

export class TarReader {
  private head = Buffer.alloc(BLOCK);
  private headLen = 0;
  /** Data bytes of the current entry still to come, then padding to skip. */
  private remaining = 0;
  private pad = 0;
  /** Data size of the current entry (for its padding). */
  private size = 0;
  /** Collecting a pax/long-name payload instead of handing data on. */
  private meta: { type: number; parts: Buffer[]; size: number } | null = null;
  private local: PaxRecords | null = null;
  private global: PaxRecords | null = null;
  private longName: string | null = null;
  private longLink: string | null = null;

  constructor(private readonly sink: TarSink) {}

  push(chunk: Buffer): void {
    let off = 0;
    const len = chunk.length;
    while (off < len) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, len - off);
        const piece = chunk.subarray(off, off + n);
        if (this.meta) this.meta.parts.push(Buffer.from(piece)); else this.sink.data(piece);
        this.remaining -= n;
        off += n;
        if (this.remaining === 0) this.finishBody();
        continue;
      }
      if (this.pad > 0) {
        const n = Math.min(this.pad, len - off);
        this.pad -= n;
        off += n;
        continue;
      }
      if (this.headLen === 0 && len - off >= BLOCK) {
        this.header(chunk.subarray(off, off + BLOCK));
        off += BLOCK;
        continue;
      }
      const n = Math.min(BLOCK - this.headLen, len - off);
      chunk.copy(this.head, this.headLen, off, off + n);
      this.headLen += n;
      off += n;
      if (this.headLen === BLOCK) { this.headLen = 0; this.header(this.head); }
    }
  }

  /** The input ended: fine between entries, an error inside one. */
  end(): void {
    if (this.remaining > 0 || this.headLen > 0 || this.meta) throw new TarError('unexpected EOF');
  }

  private finishBody(): void {
    this.pad = padding(this.meta ? this.meta.size : this.size);
    if (this.meta) {
      const m = this.meta;
      this.meta = null;
      const buf = Buffer.concat(m.parts);
      if (m.type === T_PAX) this.local = parsePaxRecords(buf);
      else if (m.type === T_GLOBAL) this.global = parsePaxRecords(buf);
      else {
        const end = buf.indexOf(0);
        const s = buf.toString('utf8', 0, end < 0 ? buf.length : end);
        if (m.type === T_LONGNAME) this.longName = s; else this.longLink = s;
      }
      return;
    }
    this.sink.endEntry();
  }

  private header(h: Buffer): void {
    if (isNullBlock(h)) return;
    if (!checksumOk(h)) throw new TarError('archive/tar: invalid tar header');
    const flag = h[156];
    let size = decodeNumber(h.subarray(124, 136));
    if (!(size >= 0)) throw new TarError('archive/tar: invalid tar header');
    if (flag === T_PAX || flag === T_GLOBAL || flag === T_LONGNAME || flag === T_LONGLINK) {
      if (size > MAX_META) throw new TarError('archive/tar: header too long');
      this.meta = { type: flag, parts: [], size };
      this.remaining = size;
      if (size === 0) this.finishBody();
      return;
    }
    const magic = h.toString('latin1', 257, 263);
    let name = str(h, 0, 100);
    if (magic === 'ustar\0' && h[345] !== 0) name = `${str(h, 345, 155)}/${name}`;
    let type: TarType = TYPES[flag] ?? 'other';
    if (type === 'file' && flag === 0 && name.endsWith('/')) type = 'directory';
    let linkname = str(h, 157, 100);
    let uid = decodeNumber(h.subarray(108, 116));
    let gid = decodeNumber(h.subarray(116, 124));
    let mtime = new Date(decodeNumber(h.subarray(136, 148)) * 1000);
    if (this.longName !== null) { name = this.longName; this.longName = null; }
    if (this.longLink !== null) { linkname = this.longLink; this.longLink = null; }
    let pax: PaxRecords | null = null;
    if (this.local || this.global) {
      pax = new Map([...(this.global ?? []), ...(this.local ?? [])]);
      this.local = null;
      const get = (k: string) => pax?.get(k)?.toString('utf8');
      const num = (k: string) => { const v = get(k); return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined; };
      name = get('path') ?? name;
      linkname = get('linkpath') ?? linkname;
      size = num('size') ?? size;
      uid = num('uid') ?? uid;
      gid = num('gid') ?? gid;
      const mt = get('mtime');
      if (mt !== undefined && /^-?\d+(\.\d+)?$/.test(mt)) mtime = new Date(Number(mt) * 1000);
    }
    if (HEADER_ONLY.has(type)) size = 0;
    this.size = size;
    this.sink.entry({
      name, type, size, linkname, pax, uid, gid, mtime,
      mode: decodeNumber(h.subarray(100, 108)),
      devmajor: decodeNumber(h.subarray(329, 337)),
      devminor: decodeNumber(h.subarray(337, 345)),
    });
    this.remaining = size;
    if (size === 0) this.finishBody();
  }
}
