/** Docker's multiplexed stream framing: 8-byte header [stream, 0, 0, 0, size uint32 BE] then payload. */
export type StdStream = 0 | 1 | 2;

export function frame(stream: StdStream, data: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(data.length, 4);
  return Buffer.concat([header, data]);
}

export const MULTIPLEXED = 'application/vnd.docker.multiplexed-stream';
export const RAW_STREAM = 'application/vnd.docker.raw-stream';

/**
 * Docker's --detach-keys: "ctrl-p,ctrl-q" by default; "a-z", "ctrl-a".."ctrl-z", "ctrl-@",
 * "ctrl-[", "ctrl-\\", "ctrl-]", "ctrl-^", "ctrl-_" and single characters.
 */
export function parseDetachKeys(spec: string): Buffer | null {
  if (!spec) return null;
  const out: number[] = [];
  for (const key of spec.split(',')) {
    const k = key.trim();
    if (k.length === 1) { out.push(k.charCodeAt(0)); continue; }
    const m = /^ctrl-(.)$/.exec(k);
    if (!m) return null;
    const c = m[1];
    if (c >= 'a' && c <= 'z') out.push(c.charCodeAt(0) - 96);
    else if ('@[\\]^_'.includes(c)) out.push(c.charCodeAt(0) - 64);
    else return null;
  }
  return Buffer.from(out);
}

/** Watches a byte stream for a key sequence that may be split across chunks. */
export class DetachWatcher {
  private matched = 0;
  constructor(private readonly keys: Buffer | null) {}
  /** Returns the bytes to pass on and whether the sequence completed (bytes after it are dropped). */
  feed(chunk: Buffer): { pass: Buffer; detach: boolean } {
    if (!this.keys || this.keys.length === 0) return { pass: chunk, detach: false };
    const pass: number[] = [];
    for (const b of chunk) {
      if (b === this.keys[this.matched]) {
        this.matched++;
        if (this.matched === this.keys.length) return { pass: Buffer.from(pass), detach: true };
        continue;
      }
      // A partial match that failed: its bytes were real input.
      for (let i = 0; i < this.matched; i++) pass.push(this.keys[i]);
      this.matched = b === this.keys[0] ? 1 : 0;
      if (this.matched === 0) pass.push(b);
    }
    return { pass: Buffer.from(pass), detach: false };
  }
}
