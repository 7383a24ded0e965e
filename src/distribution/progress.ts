/**
 * Docker's JSON progress messages (pkg/jsonmessage, pkg/progress): a per-id status, with
 * progressDetail and the rendered bar text that old clients print as is.
 */
export type ProgressLine = Record<string, unknown>;
export type ProgressSink = (line: ProgressLine) => void;

export const shortDigest = (d: string): string => d.replace(/^sha256:/, '').slice(0, 12);

function humanSize(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1000 && i < units.length - 1) { v /= 1000; i++; }
  return `${Number(v.toPrecision(4))}${units[i]}`; // go-units HumanSize: %.4g
}

/** jsonmessage.JSONProgress.String(): `[=====>      ]  1.2MB/3.4MB`. */
export function progressBar(current: number, total: number): string {
  if (total <= 0) return `${humanSize(current)}`;
  const width = 50;
  const filled = Math.min(width, Math.floor((current / total) * width));
  const bar = '='.repeat(Math.max(0, filled - 1)) + (filled > 0 ? (filled === width ? '=' : '>') : '') + ' '.repeat(width - filled);
  return `[${bar}] ${humanSize(current).padStart(8)}/${humanSize(total)}`;
}

export function status(id: string, text: string): ProgressLine {
  return { status: text, progressDetail: {}, id };
}

export function progress(id: string, text: string, current: number, total: number): ProgressLine {
  return { status: text, progressDetail: { current, total }, progress: progressBar(current, total), id };
}

/** Rate-limits progress lines per id (about 10 a second), always letting the last through. */
export function throttled(sink: ProgressSink, intervalMs = 100): (id: string, text: string, current: number, total: number) => void {
  const last = new Map<string, number>();
  return (id, text, current, total) => {
    const now = Date.now();
    if (current < total && now - (last.get(id) ?? 0) < intervalMs) return;
    last.set(id, now);
    sink(progress(id, text, current, total));
  };
}
