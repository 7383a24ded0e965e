// Go's fmt.Sprintf / Sprint / Sprintln for the JSON-ish value model (see value.ts).
import { goQuote } from './lexer';
import {
  formatE, formatF, formatG, formatValue, goTypeName, intString, isInt, isMap, sortedKeys,
} from './value';

interface Spec {
  minus: boolean; plus: boolean; sharp: boolean; space: boolean; zero: boolean;
  width: number; prec: number; // -1 = unset
}

/** fmt.Sprint: spaces between operands when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, k) => {
    if (k > 0 && typeof a !== 'string' && typeof args[k - 1] !== 'string') out += ' ';
    out += formatValue(a);
  });
  return out;
}

/** fmt.Sprintln: always spaces between operands, newline at the end. */
export function sprintln(args: unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}

function pad(s: string, sp: Spec, numeric = false): string {
  const len = [...s].length;
  if (sp.width <= len) return s;
  const n = sp.width - len;
  if (sp.minus) return s + ' '.repeat(n);
  if (sp.zero && numeric) {
    const sign = /^[+\- ]/.test(s) ? s[0] : '';
    return sign + '0'.repeat(n) + s.slice(sign.length);
  }
  if (sp.zero && !numeric) return '0'.repeat(n) + s;
  return ' '.repeat(n) + s;
}

function signed(s: string, sp: Spec): string {
  if (s.startsWith('-')) return s;
  if (sp.plus) return '+' + s;
  if (sp.space) return ' ' + s;
  return s;
}

function bad(verb: string, v: unknown): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${goTypeName(v)}=${formatValue(v)})`;
}

function utf8Hex(s: string, upper: boolean): string {
  const h = Buffer.from(s, 'utf8').toString('hex');
  return upper ? h.toUpperCase() : h;
}

/** Format one operand with one verb. */
function fmtOne(verb: string, v: unknown, sp: Spec): string {
  if (verb === 'T') return pad(goTypeName(v), sp);
  if (verb === 'v' && sp.sharp) return pad(goSyntax(v), sp);
  // Containers apply the verb to each element, like fmt does.
  if (Array.isArray(v) && verb !== 'T') {
    if (verb === 's' || verb === 'v' || verb === 'd' || verb === 'q' || 'xXofFeEgGtcbU'.includes(verb)) {
      const inner = { ...sp, width: -1 };
      return pad('[' + v.map((e) => fmtOne(verb, e, inner)).join(' ') + ']', sp);
    }
  }
  if (isMap(v)) {
    const inner = { ...sp, width: -1 };
    return pad('map[' + sortedKeys(v).map((k) => fmtOne(verb, k, inner) + ':' + fmtOne(verb, v[k], inner))
      .join(' ') + ']', sp);
  }
  if (v === undefined || v === null) {
    return verb === 'v' ? pad('<nil>', sp) : bad(verb, v);
  }
  switch (verb) {
    case 'v':
      if (typeof v === 'number') return pad(signed(isInt(v) ? intString(v) : formatG(v, -1), sp), sp, true);
      return pad(formatValue(v), sp);
    case 's':
      if (typeof v !== 'string') return bad(verb, v);
      return pad(sp.prec >= 0 ? [...v].slice(0, sp.prec).join('') : v, sp);
    case 'q':
      if (typeof v === 'string') {
        if (sp.sharp && !v.includes('`')) return pad('`' + v + '`', sp);
        return pad(goQuote(sp.prec >= 0 ? [...v].slice(0, sp.prec).join('') : v), sp);
      }
      if (typeof v === 'number' && isInt(v)) return pad(goQuote(String.fromCodePoint(v)).replace(/^"|"$/g, "'"), sp);
      return bad(verb, v);
    case 't':
      return typeof v === 'boolean' ? pad(String(v), sp) : bad(verb, v);
    case 'd': case 'b': case 'o': case 'O': case 'c': case 'U':
      if (typeof v !== 'number' || !isInt(v)) return bad(verb, v);
      return fmtInt(verb, v, sp);
    case 'x': case 'X': {
      const up = verb === 'X';
      if (typeof v === 'string') return pad((sp.sharp ? (up ? '0X' : '0x') : '') + utf8Hex(v, up), sp);
      if (typeof v === 'number' && isInt(v)) return fmtInt(verb, v, sp);
      return bad(verb, v);
    }
    case 'e': case 'E': case 'f': case 'F': case 'g': case 'G': {
      if (typeof v !== 'number') return bad(verb, v);
      const prec = sp.prec;
      let s: string;
      if (verb === 'e' || verb === 'E') s = formatE(v, prec < 0 ? 6 : prec, verb === 'E');
      else if (verb === 'f' || verb === 'F') s = formatF(v, prec < 0 ? 6 : prec);
      else s = formatG(v, prec, verb === 'G');
      return pad(signed(s, sp), sp, true);
    }
  }
  return bad(verb, v);
}

function fmtInt(verb: string, v: number, sp: Spec): string {
  const neg = v < 0;
  const big = BigInt(Math.abs(v));
  if (verb === 'c') return pad(String.fromCodePoint(v), sp);
  if (verb === 'U') {
    const u = 'U+' + big.toString(16).toUpperCase().padStart(4, '0');
    return pad(sp.sharp ? `${u} '${String.fromCodePoint(v)}'` : u, sp);
  }
  const base = verb === 'b' ? 2 : verb === 'o' || verb === 'O' ? 8 : verb === 'x' || verb === 'X' ? 16 : 10;
  let digits = big.toString(base);
  if (verb === 'X') digits = digits.toUpperCase();
  if (sp.prec >= 0) digits = sp.prec === 0 && v === 0 ? '' : digits.padStart(sp.prec, '0');
  let prefix = '';
  if (verb === 'O') prefix = '0o';
  else if (sp.sharp) prefix = verb === 'x' ? '0x' : verb === 'X' ? '0X' : verb === 'o' && digits[0] !== '0' ? '0' : verb === 'b' ? '0b' : '';
  const s = signed((neg ? '-' : '') + prefix + digits, sp);
  return pad(s, { ...sp, zero: sp.zero && sp.prec < 0 && !sp.minus }, true);
}

/** A rough %#v (Go-syntax) rendering for the JSON value model. */
function goSyntax(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return goQuote(v);
  if (typeof v === 'number') return isInt(v) ? intString(v) : formatG(v, -1);
  if (typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return '[]interface {}{' + v.map(goSyntax).join(', ') + '}';
  if (isMap(v)) {
    return 'map[string]interface {}{' + sortedKeys(v).map((k) => goQuote(k) + ':' + goSyntax(v[k])).join(', ') + '}';
  }
  return formatValue(v);
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) { out += format.slice(i); break; }
    out += format.slice(i, pct);
    i = pct + 1;
    const sp: Spec = { minus: false, plus: false, sharp: false, space: false, zero: false, width: -1, prec: -1 };
    for (; i < format.length; i++) {
      const c = format[i];
      if (c === '-') { sp.minus = true; sp.zero = false; } else if (c === '+') sp.plus = true;
      else if (c === '#') sp.sharp = true;
      else if (c === ' ') sp.space = true;
      else if (c === '0') sp.zero = !sp.minus;
      else break;
    }
    const num = (): number => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        if (typeof a === 'number' && isInt(a)) return a;
        out += '%!(BADWIDTH)';
        return -1;
      }
      const m = /^[0-9]+/.exec(format.slice(i));
      if (!m) return -1;
      i += m[0].length;
      return Number(m[0]);
    };
    sp.width = num();
    if (sp.width < -1) { sp.minus = true; sp.width = -sp.width; }
    if (format[i] === '.') { i++; sp.prec = num(); if (sp.prec < 0) sp.prec = 0; }
    if (i >= format.length) { out += '%!(NOVERB)'; break; }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') { out += '%'; continue; }
    if (argi >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    out += fmtOne(verb, args[argi++], sp);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>'
      : `${goTypeName(a)}=${formatValue(a)}`)).join(', ') + ')';
  }
  return out;
}
