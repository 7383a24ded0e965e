import { invalidParameter } from '../errdefs';

/**
 * Splitting helpers of moby's instruction parser: words that keep their quotes (expanded
 * later by ShellLex), JSON exec form, and the name=value lists of ENV, LABEL and ARG.
 */

/** Splits on whitespace outside quotes; quotes and escapes are kept for the later expansion. */
export function parseWords(rest: string, escape = '\\'): string[] {
  const words: string[] = [];
  let cur = '';
  let quote = '';
  let blank = true;
  for (let i = 0; i < rest.length; i++) {
    const ch = rest[i];
    if (blank) {
      if (/\s/.test(ch)) continue;
      blank = false;
    }
    if (!quote && /\s/.test(ch)) { words.push(cur); cur = ''; blank = true; continue; }
    if (ch === escape && i + 1 < rest.length && quote !== "'") { cur += ch + rest[++i]; continue; }
    if (quote) { if (ch === quote) quote = ''; } else if (ch === '"' || ch === "'") quote = ch;
    cur += ch;
  }
  if (!blank) words.push(cur);
  return words;
}

/** The exec form: a JSON array of strings, or null when the text is not one (then it is shell form). */
export function parseJsonArray(args: string): string[] | null {
  const t = args.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* shell form */ }
  return null;
}

/** ENV / LABEL: `key=value ...` or the legacy `key value`. Returns raw (unexpanded) words "key=value". */
export function parseNameValues(rest: string, cmd: string, escape = '\\'): { key: string; value: string; legacy: boolean }[] {
  const words = parseWords(rest, escape);
  if (words.length === 0) throw invalidParameter(`${cmd.toUpperCase()} requires at least one argument`);
  if (!words[0].includes('=')) {
    const m = /^(\S+)\s+([\s\S]*)$/.exec(rest.trim());
    if (!m || m[2].trim() === '') throw invalidParameter(`${cmd.toUpperCase()} must have two arguments`);
    return [{ key: m[1], value: m[2].trim(), legacy: true }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw invalidParameter(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1), legacy: false };
  });
}

/** Go's time.ParseDuration for HEALTHCHECK flags, in nanoseconds. */
export function parseDuration(flag: string, s: string | null): number {
  if (s === null || s === '') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g;
  const unit: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let used = 0;
  for (const m of s.matchAll(re)) { total += Number(m[1]) * unit[m[2]]; used += m[0].length; }
  if (s === '0') return 0;
  if (used !== s.length) throw invalidParameter(`time: invalid duration "${s}"`);
  if (total !== 0 && total < 1e6) throw invalidParameter(`Interval "${flag}" cannot be less than 1ms`);
  return Math.round(total);
}
