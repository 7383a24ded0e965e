// Go literal decoding: strconv.Unquote for "..."/`...`/'x' and number constants.

type ErrFn = (msg: string) => never;

/** Decode a Go string, raw string or char literal (the quotes included). */
export function unquote(q: string, errorf: ErrFn): string {
  if (q.startsWith('`')) return q.slice(1, -1).replace(/\r/g, '');
  const body = q.slice(1, -1);
  let out = '';
  for (let k = 0; k < body.length; k++) {
    const c = body[k];
    if (c !== '\\') { out += c; continue; }
    const e = body[++k];
    const simple: Record<string, string> = {
      a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\',
    };
    if (e in simple) { out += simple[e]; continue; }
    if (e === '"' && q[0] === '"') { out += '"'; continue; }
    if (e === "'" && q[0] === "'") { out += "'"; continue; }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen) {
      const h = body.slice(k + 1, k + 1 + hexLen);
      if (h.length !== hexLen || !/^[0-9a-fA-F]+$/.test(h)) return errorf('invalid syntax');
      const v = parseInt(h, 16);
      if (e === 'x') out += String.fromCharCode(v); // a byte; treated as Latin-1 code point
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return errorf('invalid syntax');
        out += String.fromCodePoint(v);
      }
      k += hexLen;
      continue;
    }
    if (e >= '0' && e <= '7') {
      const o = body.slice(k, k + 3);
      if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) return errorf('invalid syntax');
      out += String.fromCharCode(parseInt(o, 8));
      k += 2;
      continue;
    }
    return errorf('invalid syntax');
  }
  if (q[0] === "'" && [...out].length !== 1) return errorf('invalid syntax');
  return out;
}

export interface NumberLit { val: number; isInt: boolean }

/** Parse a Go number constant the way text/template's newNumber does (ints, floats, chars). */
export function parseNumber(text: string, isChar: boolean, errorf: ErrFn): NumberLit {
  if (isChar) {
    const s = unquote(text, () => errorf(`malformed character constant: ${text}`));
    return { val: s.codePointAt(0)!, isInt: true };
  }
  if (/i$/.test(text)) return errorf(`complex numbers are not supported: ${JSON.stringify(text)}`);
  const bad = (): never => errorf(`illegal number syntax: ${JSON.stringify(text)}`);
  const t = text.replace(/_/g, '');
  let m = /^([+-]?)0([xXoObB])([0-9a-fA-F]+)$/.exec(t);
  if (m) {
    const base = { x: 16, o: 8, b: 2 }[m[2].toLowerCase() as 'x' | 'o' | 'b'];
    const digits = m[3];
    const valid = base === 16 ? /^[0-9a-fA-F]+$/ : base === 8 ? /^[0-7]+$/ : /^[01]+$/;
    if (!valid.test(digits)) bad();
    const v = Number(BigInt.asIntN(64, BigInt((base === 16 ? '0x' : base === 8 ? '0o' : '0b') + digits)));
    return { val: m[1] === '-' ? -v : v, isInt: true };
  }
  m = /^([+-]?)0([0-7]+)$/.exec(t);
  if (m) {
    const v = parseInt(m[2], 8);
    return { val: m[1] === '-' ? -v : v, isInt: true };
  }
  if (/^[+-]?[0-9]+$/.test(t)) return { val: Number(t), isInt: true };
  if (/^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t)) {
    const v = Number(t);
    return { val: v, isInt: Number.isInteger(v) };
  }
  return bad();
}
