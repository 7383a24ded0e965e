// The Go view of JSON-ish JavaScript values.
//
// Mapping: string -> string; integral number -> int; other number -> float64;
// boolean -> bool; null -> nil (interface); undefined -> "no value" (Go's
// invalid reflect.Value: a missing map key or field); array -> []interface{};
// plain object -> map[string]interface{}; function -> method.

/** Go type name, as shown in error messages and by %T. */
export function goTypeName(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string': return 'string';
    case 'boolean': return 'bool';
    case 'number': return isInt(v) ? 'int' : 'float64';
    case 'bigint': return 'int64';
    case 'function': return 'func(...)';
  }
  return Array.isArray(v) ? '[]interface {}' : 'map[string]interface {}';
}

export const isInt = (n: number): boolean => Number.isInteger(n);
export const isMap = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Go's text/template truth: zero values and empty containers are false. */
export function truth(v: unknown): boolean {
  if (v === null || v === undefined) return false;
  switch (typeof v) {
    case 'boolean': return v;
    case 'number': return v !== 0;
    case 'bigint': return v !== 0n;
    case 'string': return v.length > 0;
    case 'function': return true;
  }
  if (Array.isArray(v)) return v.length > 0;
  return Object.keys(v as object).length > 0;
}

/** Sorted keys, as Go's fmt and text/template range use for maps. */
export function sortedKeys(m: Record<string, unknown>): string[] {
  return Object.keys(m).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

export function intString(n: number): string {
  if (Object.is(n, -0)) return '0';
  return Math.abs(n) <= Number.MAX_SAFE_INTEGER ? String(n) : BigInt(n).toString();
}

/** Shortest decimal digits and decimal-point position of |n| (like strconv's). */
function shortestDigits(n: number): { digits: string; exp: number } {
  const [m, e] = Math.abs(n).toExponential().split('e');
  return { digits: m.replace('.', ''), exp: Number(e) };
}

function expSuffix(exp: number, upper = false): string {
  const a = Math.abs(exp);
  return (upper ? 'E' : 'e') + (exp < 0 ? '-' : '+') + (a < 10 ? '0' + a : String(a));
}

function special(n: number): string | null {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return null;
}

/** Exact decimal expansion of |n| (finite, non-zero): value = 0.<digits> x 10^dp. */
function exactDecimal(n: number): { digits: string; dp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, Math.abs(n));
  const bits = view.getBigUint64(0);
  const bexp = Number((bits >> 52n) & 0x7ffn);
  let mant = bits & ((1n << 52n) - 1n);
  let e: number;
  if (bexp === 0) e = -1074; else { mant |= 1n << 52n; e = bexp - 1075; }
  let digits: string; let dp: number;
  if (e >= 0) { digits = (mant << BigInt(e)).toString(); dp = digits.length; } else {
    digits = (mant * 5n ** BigInt(-e)).toString();
    dp = digits.length + e;
  }
  const lead = digits.length - digits.replace(/^0+/, '').length;
  digits = digits.slice(lead).replace(/0+$/, '');
  return { digits: digits || '0', dp: digits ? dp - lead : 1 };
}

/** Round the exact decimal of |n| to nd significant digits, half to even (as strconv does). */
function roundedDigits(n: number, nd: number, fixedFrac?: number): { digits: string; dp: number } {
  if (n === 0) return { digits: '0'.repeat(Math.max(nd, 1)), dp: 1 };
  let { digits, dp } = exactDecimal(n);
  if (fixedFrac !== undefined) nd = dp + fixedFrac;
  if (nd < 0) return { digits: '', dp };
  if (digits.length <= nd) return { digits: digits + '0'.repeat(nd - digits.length), dp };
  const rest = digits.slice(nd);
  let kept = digits.slice(0, nd);
  const up = rest[0] > '5' || (rest[0] === '5' && (/[1-9]/.test(rest.slice(1)) || (nd > 0 && Number(kept[nd - 1]) % 2 === 1)));
  if (up) {
    const inc = (BigInt(kept || '0') + 1n).toString();
    if (inc.length > kept.length) { dp++; kept = nd === 0 ? '1' : inc.slice(0, nd); if (fixedFrac !== undefined) kept = inc; } else kept = inc.padStart(nd, '0');
  }
  return { digits: kept, dp };
}

/** strconv.FormatFloat(n, 'e', prec, 64); prec < 0 means shortest. */
export function formatE(n: number, prec: number, upper = false): string {
  const sp = special(n); if (sp) return sp;
  let mant: string; let exp: number;
  if (prec < 0) {
    const d = shortestDigits(n);
    mant = d.digits.length > 1 ? d.digits[0] + '.' + d.digits.slice(1) : d.digits;
    exp = d.exp;
  } else {
    const r = roundedDigits(n, prec + 1);
    mant = r.digits.length > 1 ? r.digits[0] + '.' + r.digits.slice(1) : r.digits;
    exp = n === 0 ? 0 : r.dp - 1;
  }
  return (n < 0 || Object.is(n, -0) ? '-' : '') + mant + expSuffix(exp, upper);
}

/** strconv.FormatFloat(n, 'f', prec, 64); prec < 0 means shortest. */
export function formatF(n: number, prec: number): string {
  const sp = special(n); if (sp) return sp;
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  const a = Math.abs(n);
  if (prec >= 0) {
    if (a === 0) return sign + (prec > 0 ? '0.' + '0'.repeat(prec) : '0');
    const r = roundedDigits(a, 0, prec);
    let int = r.dp > 0 ? r.digits.slice(0, r.dp) : '0';
    const frac = r.dp >= 0 ? r.digits.slice(r.dp) : '0'.repeat(-r.dp) + r.digits;
    int = int.padEnd(Math.max(r.dp, 1), '0');
    return sign + int + (prec > 0 ? '.' + frac.padEnd(prec, '0').slice(0, prec) : '');
  }
  const { digits, exp } = shortestDigits(a);
  let s: string;
  if (exp >= digits.length - 1) s = digits + '0'.repeat(exp - digits.length + 1);
  else if (exp >= 0) s = digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  else s = '0.' + '0'.repeat(-exp - 1) + digits;
  if (prec > 0) {
    const [ip, fp = ''] = s.split('.');
    s = ip + '.' + (fp + '0'.repeat(prec)).slice(0, prec);
  }
  return sign + s;
}

/** strconv.FormatFloat(n, 'g', prec, 64); prec < 0 means shortest (what %v uses). */
export function formatG(n: number, prec: number, upper = false): string {
  const sp = special(n); if (sp) return sp;
  let digits: string; let exp: number;
  if (prec < 0) ({ digits, exp } = shortestDigits(n));
  else {
    if (prec === 0) prec = 1;
    const r = roundedDigits(n, prec);
    digits = r.digits.replace(/0+$/, '') || '0';
    exp = n === 0 ? 0 : r.dp - 1;
  }
  let eprec = prec < 0 ? 6 : prec;
  if (prec >= 0 && eprec > digits.length && digits.length >= exp + 1) eprec = digits.length;
  const sign = n < 0 || Object.is(n, -0) ? '-' : '';
  if (exp < -4 || exp >= eprec) {
    const mant = digits.length > 1 ? digits[0] + '.' + digits.slice(1) : digits;
    return sign + mant + expSuffix(exp, upper);
  }
  if (exp >= digits.length - 1) return sign + digits + '0'.repeat(exp - digits.length + 1);
  if (exp >= 0) return sign + digits.slice(0, exp + 1) + '.' + digits.slice(exp + 1);
  return sign + '0.' + '0'.repeat(-exp - 1) + digits;
}

/** fmt's %v of one value (fmt.Sprint(v) for a single operand). */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  switch (typeof v) {
    case 'string': return v;
    case 'boolean': return v ? 'true' : 'false';
    case 'number': return isInt(v) && Math.abs(v) < 2 ** 63 ? intString(v) : formatG(v, -1);
    case 'bigint': return v.toString();
    case 'function': return '<func>';
  }
  if (Array.isArray(v)) return '[' + v.map(formatValue).join(' ') + ']';
  if (v instanceof Date) return v.toISOString();
  const m = v as Record<string, unknown>;
  return 'map[' + sortedKeys(m).map((k) => k + ':' + formatValue(m[k])).join(' ') + ']';
}

function jsonString(s: string): string {
  let out = '"';
  for (let k = 0; k < s.length; k++) {
    const ch = s[k];
    const c = s.charCodeAt(k);
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c < 0x20) out += '\\u00' + c.toString(16).padStart(2, '0');
    else if (c === 0x2028 || c === 0x2029) out += '\\u' + c.toString(16);
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(k + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { out += ch + s[k + 1]; k++; } else out += '\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) out += '\ufffd';
    else out += ch;
  }
  return out + '"';
}

/**
 * Go's encoding/json with SetEscapeHTML(false) (docker's `json` func). Object
 * keys keep their insertion order (Go structs encode in declaration order;
 * callers pass map-like data with keys in the order they want, e.g. sorted).
 * Throws on unsupported values (NaN, Inf, functions), like json.Marshal errors.
 */
export function jsonEncode(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string': return jsonString(v);
    case 'boolean': return v ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`json: unsupported value: ${formatG(v, -1)}`);
      return isInt(v) && Math.abs(v) < 1e21 ? intString(v) : String(v);
    case 'bigint': return v.toString();
    case 'function': throw new Error('json: unsupported type: func()');
  }
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') {
    return jsonEncode(JSON.parse(JSON.stringify(v)));
  }
  if (Array.isArray(v)) return '[' + v.map(jsonEncode).join(',') + ']';
  const m = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k of Object.keys(m)) {
    if (m[k] === undefined || typeof m[k] === 'function') continue;
    parts.push(jsonString(k) + ':' + jsonEncode(m[k]));
  }
  return '{' + parts.join(',') + '}';
}
