// Built-in functions of Go's text/template plus the docker CLI's extra ones
// (docker/cli templates.go: json split join title lower upper pad truncate),
// and the docker CLI's header variants used when rendering a table header.
import { sprint, sprintf, sprintln } from './printf';
import { goTypeName, isInt, isMap, jsonEncode, truth } from './value';

/** Thrown for argument type problems (reported without "error calling X:"). */
export class ArgTypeError extends Error {}

export interface FuncDef {
  fn: (...args: unknown[]) => unknown;
  /** exact arg count, or [min] for variadic */
  arity?: number | [number];
}

export function wantString(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v === undefined || v === null) throw new ArgTypeError('invalid value; expected string');
  throw new ArgTypeError(`wrong type for value; expected string; got ${goTypeName(v)}`);
}

export function wantInt(v: unknown): number {
  if (typeof v === 'number' && isInt(v)) return v;
  if (v === undefined || v === null) throw new ArgTypeError('invalid value; expected int');
  throw new ArgTypeError(`wrong type for value; expected int; got ${goTypeName(v)}`);
}

function wantStrings(v: unknown): string[] {
  if (v === undefined || v === null) return [];
  if (Array.isArray(v) && v.every((e) => typeof e === 'string')) return v as string[];
  throw new ArgTypeError(`wrong type for value; expected []string; got ${goTypeName(v)}`);
}

const utf8Len = (s: string) => Buffer.byteLength(s, 'utf8');

type Kind = 'nil' | 'bool' | 'number' | 'string' | 'other';
function kind(v: unknown): Kind {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number' || typeof v === 'bigint') return 'number';
  if (typeof v === 'string') return 'string';
  return 'other';
}

function eq(a: unknown, ...rest: unknown[]): boolean {
  if (rest.length === 0) throw new Error('missing argument for comparison');
  const ka = kind(a);
  for (const b of rest) {
    const kb = kind(b);
    if (ka === 'nil' || kb === 'nil') { if (ka === kb) return true; continue; }
    if (ka !== kb) throw new Error('incompatible types for comparison');
    if (ka === 'other') throw new Error(`non-comparable type ${goTypeName(a)}`);
    if (a === b) return true;
  }
  return false;
}

function lt(a: unknown, b: unknown): boolean {
  const ka = kind(a); const kb = kind(b);
  if (ka === 'bool' || ka === 'nil' || ka === 'other') throw new Error('invalid type for comparison');
  if (kb === 'bool' || kb === 'nil' || kb === 'other') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  if (ka === 'string') return Buffer.compare(Buffer.from(a as string), Buffer.from(b as string)) < 0;
  return (a as number) < (b as number);
}

function length(v: unknown): number {
  if (v === null || v === undefined) throw new Error('len of nil pointer');
  if (typeof v === 'string') return utf8Len(v);
  if (Array.isArray(v)) return v.length;
  if (isMap(v)) return Object.keys(v).length;
  throw new Error(`len of type ${goTypeName(v)}`);
}

function indexFn(item: unknown, ...indices: unknown[]): unknown {
  let cur = item;
  for (const ix of indices) {
    if (cur === null || cur === undefined) {
      // Treated as a nil map (string key: zero value "") or a nil slice (int key: out of range).
      if (typeof ix === 'string') { cur = ''; continue; }
      if (typeof ix === 'number' && isInt(ix)) throw new Error(`index out of range: ${ix}`);
      throw new Error('index of untyped nil');
    }
    if (Array.isArray(cur) || typeof cur === 'string') {
      if (typeof ix !== 'number' || !isInt(ix)) {
        throw new Error(`cannot index slice/array with type ${goTypeName(ix)}`);
      }
      const len = typeof cur === 'string' ? utf8Len(cur) : cur.length;
      if (ix < 0 || ix >= len) throw new Error(`index out of range: ${ix}`);
      cur = typeof cur === 'string' ? Buffer.from(cur, 'utf8')[ix] : cur[ix];
    } else if (isMap(cur)) {
      if (typeof ix !== 'string') {
        throw new Error(`value has type ${goTypeName(ix)}; should be string`);
      }
      if (Object.prototype.hasOwnProperty.call(cur, ix)) cur = cur[ix];
      else {
        // Zero value of the element type: "" for string maps (e.g. labels), else nil.
        const vals = Object.values(cur);
        cur = vals.every((x) => typeof x === 'string') ? '' : null;
      }
    } else {
      throw new Error(`can't index item of type ${goTypeName(cur)}`);
    }
  }
  return cur;
}

function sliceFn(item: unknown, ...idx: unknown[]): unknown {
  if (item === null || item === undefined) throw new Error('slice of untyped nil');
  if (idx.length > 3) throw new Error(`too many slice indexes: ${idx.length}`);
  const isStr = typeof item === 'string';
  if (!isStr && !Array.isArray(item)) throw new Error(`can't slice item of type ${goTypeName(item)}`);
  if (isStr && idx.length === 3) throw new Error('cannot 3-index slice a string');
  const buf = isStr ? Buffer.from(item as string, 'utf8') : null;
  const len = buf ? buf.length : (item as unknown[]).length;
  const nums = idx.map((x) => {
    if (typeof x !== 'number' || !isInt(x)) throw new Error(`cannot index slice/array with type ${goTypeName(x)}`);
    if (x < 0 || x > len) throw new Error(`index out of range: ${x}`);
    return x;
  });
  const lo = nums[0] ?? 0; const hi = nums[1] ?? len;
  if (lo > hi) throw new Error(`invalid slice index: ${lo} > ${hi}`);
  return buf ? buf.subarray(lo, hi).toString('utf8') : (item as unknown[]).slice(lo, hi);
}

function evalArgsString(args: unknown[]): string {
  return args.length === 1 && typeof args[0] === 'string' ? args[0] : sprint(args);
}

function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => ({ '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' }[c]!));
}

function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (ch === '"') out += '\\"';
    else if (ch === '<') out += '\\u003C';
    else if (ch === '>') out += '\\u003E';
    else if (ch === '&') out += '\\u0026';
    else if (ch === '=') out += '\\u003D';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20) out += '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())
    .replace(/%20/g, '+').replace(/%7E/g, '~');
}

/** strings.Title: upper-case the first letter of each word; the rest is kept. */
export function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += isSeparator(prev) ? mapRunes(ch, (c) => c.toUpperCase()) : ch;
    prev = ch;
  }
  return out;
}
function isSeparator(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  if (c <= 0x7f) return !/[0-9A-Za-z_]/.test(ch);
  if (/[\p{L}\p{Nd}]/u.test(ch)) return false;
  return /\s/u.test(ch);
}

/** Rune-wise case mapping like Go's strings.ToUpper/ToLower (no multi-rune expansions such as ß -> SS). */
function mapRunes(s: string, f: (c: string) => string): string {
  let out = '';
  for (const ch of s) {
    const m = f(ch);
    out += [...m].length === 1 ? m : ch;
  }
  return out;
}

export const BUILTINS: Record<string, FuncDef> = {
  and: { fn: () => undefined, arity: [1] }, // evaluated lazily by the executor
  or: { fn: () => undefined, arity: [1] },
  not: { fn: (v) => !truth(v), arity: 1 },
  len: { fn: length, arity: 1 },
  index: { fn: indexFn, arity: [1] },
  slice: { fn: sliceFn, arity: [1] },
  print: { fn: (...a) => sprint(a), arity: [0] },
  println: { fn: (...a) => sprintln(a), arity: [0] },
  printf: { fn: (f, ...a) => sprintf(wantString(f), a), arity: [1] },
  eq: { fn: eq, arity: [1] },
  ne: { fn: (a, b) => !eq(a, b), arity: 2 },
  lt: { fn: lt, arity: 2 },
  le: { fn: (a, b) => lt(a, b) || eq(a, b), arity: 2 },
  gt: { fn: (a, b) => !lt(a, b) && !eq(a, b), arity: 2 },
  ge: { fn: (a, b) => !lt(a, b), arity: 2 },
  html: { fn: (...a) => htmlEscape(evalArgsString(a)), arity: [0] },
  js: { fn: (...a) => jsEscape(evalArgsString(a)), arity: [0] },
  urlquery: { fn: (...a) => queryEscape(evalArgsString(a)), arity: [0] },
  call: {
    fn: (f, ...a) => {
      if (typeof f !== 'function') throw new Error(`non-function of type ${goTypeName(f)}`);
      return (f as (...x: unknown[]) => unknown)(...a);
    },
    arity: [1],
  },
};

/** docker/cli templates.basicFunctions */
export const DOCKER_FUNCS: Record<string, FuncDef> = {
  json: {
    fn: (v) => { try { return jsonEncode(v); } catch { return ''; } },
    arity: 1,
  },
  split: {
    fn: (s, sep) => {
      const str = wantString(s); const p = wantString(sep);
      return p === '' ? [...str] : str.split(p);
    },
    arity: 2,
  },
  join: { fn: (a, sep) => wantStrings(a).join(wantString(sep)), arity: 2 },
  title: { fn: (s) => goTitle(wantString(s)), arity: 1 },
  lower: { fn: (s) => mapRunes(wantString(s), (c) => c.toLowerCase()), arity: 1 },
  upper: { fn: (s) => mapRunes(wantString(s), (c) => c.toUpperCase()), arity: 1 },
  pad: {
    fn: (s, pre, suf) => {
      const str = wantString(s); const a = wantInt(pre); const b = wantInt(suf);
      return str === '' ? str : ' '.repeat(Math.max(a, 0)) + str + ' '.repeat(Math.max(b, 0));
    },
    arity: 3,
  },
  truncate: {
    fn: (s, n) => {
      const str = wantString(s); const len = wantInt(n);
      const buf = Buffer.from(str, 'utf8');
      return buf.length < len ? str : buf.subarray(0, Math.max(len, 0)).toString('utf8');
    },
    arity: 2,
  },
};

/** docker/cli templates.HeaderFunctions: keep header text intact (pad is not overridden). */
export const HEADER_FUNCS: Record<string, FuncDef> = {
  json: { fn: (v) => wantString(v), arity: 1 },
  split: { fn: (v, s) => { wantString(s); return wantString(v); }, arity: 2 },
  join: { fn: (v, s) => { wantString(s); return wantString(v); }, arity: 2 },
  title: { fn: (v) => wantString(v), arity: 1 },
  lower: { fn: (v) => wantString(v), arity: 1 },
  upper: { fn: (v) => wantString(v), arity: 1 },
  truncate: { fn: (v, n) => { wantInt(n); return wantString(v); }, arity: 2 },
};
