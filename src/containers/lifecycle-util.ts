import { invalidParameter } from '../errdefs';

/** Small helpers of the container lifecycle (service.ts). */

/** Where a start spends its time, for the debug log. */
export class PhaseTimer {
  private last = process.hrtime.bigint();
  private parts: string[] = [];
  mark(name: string): void {
    const now = process.hrtime.bigint();
    this.parts.push(`${name} ${(Number(now - this.last) / 1e6).toFixed(1)}ms`);
    this.last = now;
  }
  summary(): string { return this.parts.join(', '); }
}

export function toRfc3339Nano(d: Date): string {
  return `${d.toISOString().slice(0, -1)}000000Z`;
}

/** dockerd's exit codes for a start that failed: 126 cannot invoke, 127 not found, else 128. */
export function exitCodeForStartError(msg: string): number {
  const m = msg.toLowerCase();
  if (m.includes('permission denied') || m.includes('is a directory')) return 126;
  if (['executable file not found', 'no such file or directory', 'not a directory'].some((s) => m.includes(s))) return 127;
  return 128;
}

/** docker's log-opt max-size: "10m", "1g", "500k", plain bytes. */
export function parseSize(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]?)b?$/i.exec(s.trim());
  if (!m) throw invalidParameter(`invalid value for log-opt max-size: ${s}`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g'];
  return Math.floor(Number(m[1]) * mult);
}
