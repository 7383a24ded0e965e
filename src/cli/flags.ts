/**
 * A pflag-like parser, because docker's command line is cobra/pflag: combined short flags
 * (`-it`, `-p8080:80`), `--flag=value` and `--flag value`, `-e=A`, repeated list flags,
 * `--` ending the flags, and for run/create/exec the first positional argument ending flag
 * parsing (everything after the image is the command). Errors read like pflag's.
 */
export type FlagKind = 'bool' | 'string' | 'int' | 'list';

export interface FlagSpec {
  name: string;
  short?: string;
  kind: FlagKind;
  usage: string;
  /** Type word shown in help (`string`, `list`, `bytes`, `filter`...); defaults from kind. */
  typeName?: string;
  default?: string | number | boolean;
  /** Shown as `(default ...)` in help when different from the zero value. */
  defaultText?: string;
  hidden?: boolean;
}

export type FlagValues = Record<string, string | number | boolean | string[] | undefined>;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface ParseResult {
  values: FlagValues;
  args: string[];
  /** Names of the flags given on the command line (pflag's `Changed`). */
  changed: Set<string>;
  help: boolean;
}

export function defaultValues(specs: FlagSpec[]): FlagValues {
  const v: FlagValues = {};
  for (const s of specs) {
    if (s.kind === 'list') v[s.name] = [];
    else if (s.default !== undefined) v[s.name] = s.default;
    else v[s.name] = s.kind === 'bool' ? false : s.kind === 'int' ? 0 : '';
  }
  return v;
}

function parseBool(spec: FlagSpec, raw: string, flagText: string): boolean {
  const t = ['1', 't', 'T', 'true', 'TRUE', 'True'];
  const f = ['0', 'f', 'F', 'false', 'FALSE', 'False'];
  if (t.includes(raw)) return true;
  if (f.includes(raw)) return false;
  throw new UsageError(`invalid argument "${raw}" for "${flagText}" flag: strconv.ParseBool: parsing "${raw}": invalid syntax`);
}

function flagText(spec: FlagSpec): string {
  return spec.short ? `-${spec.short}, --${spec.name}` : `--${spec.name}`;
}

/**
 * @param interspersed when false, the first positional argument ends flag parsing (pflag's
 *   SetInterspersed(false), which docker uses for run, create and exec).
 */
export function parseFlags(argv: string[], specs: FlagSpec[], interspersed = true): ParseResult {
  const values = defaultValues(specs);
  const changed = new Set<string>();
  const args: string[] = [];
  let help = false;
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));

  const set = (spec: FlagSpec, raw: string) => {
    changed.add(spec.name);
    switch (spec.kind) {
      case 'bool': values[spec.name] = parseBool(spec, raw, flagText(spec)); break;
      case 'string': values[spec.name] = raw; break;
      case 'list': (values[spec.name] as string[]).push(raw); break;
      case 'int': {
        if (!/^[+-]?\d+$/.test(raw)) {
          throw new UsageError(`invalid argument "${raw}" for "${flagText(spec)}" flag: strconv.ParseInt: parsing "${raw}": invalid syntax`);
        }
        values[spec.name] = parseInt(raw, 10);
        break;
      }
    }
  };

  let i = 0;
  while (i < argv.length) {
    const a = argv[i++];
    if (a === '--') {
      args.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (name === 'help' && !byName.has('help')) { help = true; continue; }
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown flag: --${name}`);
      if (eq >= 0) set(spec, a.slice(eq + 1));
      else if (spec.kind === 'bool') set(spec, 'true');
      else if (i < argv.length) set(spec, argv[i++]);
      else throw new UsageError(`flag needs an argument: --${name}`);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      let rest = a.slice(1);
      while (rest.length) {
        const c = rest[0];
        if (c === 'h' && !byShort.has('h')) { help = true; rest = rest.slice(1); continue; }
        const spec = byShort.get(c);
        if (!spec) throw new UsageError(`unknown shorthand flag: '${c}' in -${rest}`);
        if (rest.length > 2 && rest[1] === '=') {
          set(spec, rest.slice(2));
          rest = '';
        } else if (spec.kind === 'bool') {
          set(spec, 'true');
          rest = rest.slice(1);
        } else if (rest.length > 1) {
          set(spec, rest.slice(1));
          rest = '';
        } else if (i < argv.length) {
          set(spec, argv[i++]);
          rest = '';
        } else {
          throw new UsageError(`flag needs an argument: '${c}' in -${c}`);
        }
      }
      continue;
    }
    args.push(a);
    if (!interspersed) {
      args.push(...argv.slice(i));
      break;
    }
  }
  return { values, args, changed, help };
}

// ---- help text (pflag's FlagUsagesWrapped at 80 columns) ----

/** pflag's wrapN: split off up to `i` chars at whitespace, allowing `slop` over for the last piece. */
function wrapN(i: number, slop: number, s: string): [string, string] {
  if (i + slop > s.length) return [s, ''];
  const w = Math.max(s.lastIndexOf(' ', i - 1), s.lastIndexOf('\t', i - 1), s.lastIndexOf('\n', i - 1));
  if (w <= 0) return [s, ''];
  const nl = s.lastIndexOf('\n', i - 1);
  if (nl > 0 && nl < w) return [s.slice(0, nl), s.slice(nl + 1)];
  return [s.slice(0, w), s.slice(w + 1)];
}

export function wrapText(indent: number, width: number, s: string): string {
  let i = indent;
  let wrap = width - i;
  let r = '';
  if (wrap < 24) {
    i = 16;
    wrap = width - i;
    r += '\n' + ' '.repeat(i);
  }
  if (wrap < 24) return s.replace(/\n/g, r);
  const slop = 5;
  wrap -= slop;
  const pad = '\n' + ' '.repeat(i);
  let [l, rest] = wrapN(wrap, slop, s);
  r += l.replace(/\n/g, pad);
  while (rest !== '') {
    let t: string;
    [t, rest] = wrapN(wrap, slop, rest);
    r += pad + t.replace(/\n/g, pad);
  }
  return r;
}

function defaultSuffix(spec: FlagSpec): string {
  if (spec.defaultText !== undefined) return ` (default ${spec.defaultText})`;
  const d = spec.default;
  if (d === undefined || d === false || d === 0 || d === '') return '';
  if (spec.kind === 'string') return ` (default ${JSON.stringify(d)})`;
  return ` (default ${String(d)})`;
}

/** docker wraps flag help at the terminal width minus one (80 without a terminal). */
export function helpWidth(): number {
  return (process.stdout.isTTY && process.stdout.columns ? process.stdout.columns : 80) - 1;
}

export function flagUsages(specs: FlagSpec[], width = helpWidth()): string {
  const rows: { left: string; usage: string }[] = [];
  let maxlen = 0;
  const sorted = [...specs].filter((s) => !s.hidden).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const s of sorted) {
    let left = s.short ? `  -${s.short}, --${s.name}` : `      --${s.name}`;
    const typeName = s.typeName ?? (s.kind === 'bool' ? '' : s.kind);
    if (typeName) left += ` ${typeName}`;
    maxlen = Math.max(maxlen, left.length + 1);
    rows.push({ left, usage: s.usage + defaultSuffix(s) });
  }
  return rows
    .map((r) => `${r.left} ${' '.repeat(maxlen - r.left.length)} ${wrapText(maxlen + 2, width, r.usage)}\n`)
    .join('');
}
