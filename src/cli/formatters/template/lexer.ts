// Lexer for Go text/template syntax (modelled on Go's text/template/parse/lex.go).
// Produces the whole item list up front; the parser walks it.

export enum T {
  Error, EOF, Text, LeftDelim, RightDelim, Space, Identifier, Field, Variable,
  Dot, Number, String, RawString, CharConstant, Bool, Nil, Pipe, LeftParen,
  RightParen, Assign, Declare, Char,
  // keywords (everything after Keyword is a keyword)
  Keyword, Block, Break, Continue, Define, Else, End, If, Range, Template, With,
}

const KEYWORDS: Record<string, T> = {
  block: T.Block, break: T.Break, continue: T.Continue, define: T.Define, else: T.Else,
  end: T.End, if: T.If, range: T.Range, template: T.Template, with: T.With,
};

export interface Item {
  typ: T;
  pos: number; // byte-ish (UTF-16) offset in the source
  val: string;
  line: number;
}

/** Go's item.String(), used in error messages. */
export function itemString(i: Item): string {
  if (i.typ === T.EOF) return 'EOF';
  if (i.typ === T.Error) return i.val;
  if (i.typ > T.Keyword) return `<${i.val}>`;
  if ([...i.val].length > 10) return goQuote([...i.val].slice(0, 10).join('')) + '...';
  return goQuote(i.val);
}

/** strconv.Quote-like quoting (enough for messages and %q). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (c >= 0x80 && c < 0xa0) out += '\\u' + c.toString(16).padStart(4, '0');
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isAlnum = (c: string) => /^[\p{L}\p{Nd}_]$/u.test(c);

export function lex(input: string, leftDelim = '{{', rightDelim = '}}'): Item[] {
  const items: Item[] = [];
  let pos = 0;
  let start = 0;
  let line = 1;
  let startLine = 1;
  let parenDepth = 0;
  let insideAction = false;

  const emit = (typ: T, val = input.slice(start, pos)) => {
    items.push({ typ, pos: start, val, line: startLine });
    startLine = line;
    start = pos;
  };
  const advance = (n: number) => {
    for (let k = 0; k < n; k++) if (input[pos + k] === '\n') line++;
    pos += n;
  };
  const ignore = () => { start = pos; startLine = line; };
  const fail = (msg: string): Item[] => {
    items.push({ typ: T.Error, pos: start, val: msg, line: startLine });
    return items;
  };
  const hasLeftTrim = (p: number) => input[p] === '-' && p + 1 < input.length && isSpace(input[p + 1]);
  const atRightDelim = (): { delim: boolean; trim: boolean } => {
    if (input.startsWith(rightDelim, pos)) return { delim: true, trim: false };
    if (isSpace(input[pos] ?? '') && input[pos + 1] === '-' && input.startsWith(rightDelim, pos + 2)) {
      return { delim: true, trim: true };
    }
    return { delim: false, trim: false };
  };

  for (;;) {
    if (!insideAction) {
      // lexText
      const x = input.indexOf(leftDelim, pos);
      if (x < 0) {
        advance(input.length - pos);
        if (pos > start) emit(T.Text);
        emit(T.EOF, '');
        return items;
      }
      advance(x - pos);
      let textEnd = pos;
      if (hasLeftTrim(x + leftDelim.length)) {
        while (textEnd > start && isSpace(input[textEnd - 1])) textEnd--;
      }
      if (textEnd > start) {
        items.push({ typ: T.Text, pos: start, val: input.slice(start, textEnd), line: startLine });
      }
      start = pos;
      startLine = line;
      // lexLeftDelim
      const trim = hasLeftTrim(x + leftDelim.length);
      const afterMarker = pos + leftDelim.length + (trim ? 2 : 0);
      if (input.startsWith('/*', afterMarker)) {
        // comment
        advance(afterMarker - pos);
        ignore();
        const end = input.indexOf('*/', pos + 2);
        if (end < 0) return fail('unclosed comment');
        advance(end + 2 - pos);
        const r = atRightDelim();
        if (!r.delim) return fail('comment ends before closing delimiter');
        advance((r.trim ? 2 : 0) + rightDelim.length);
        if (r.trim) {
          while (pos < input.length && isSpace(input[pos])) advance(1);
        }
        ignore();
        continue;
      }
      advance(leftDelim.length);
      emit(T.LeftDelim);
      if (trim) { advance(2); ignore(); }
      insideAction = true;
      parenDepth = 0;
      continue;
    }
    // lexInsideAction
    const r = atRightDelim();
    if (r.delim) {
      if (parenDepth > 0) return fail('unclosed left paren');
      if (r.trim) { advance(2); ignore(); }
      advance(rightDelim.length);
      emit(T.RightDelim);
      if (r.trim) {
        while (pos < input.length && isSpace(input[pos])) advance(1);
        ignore();
      }
      insideAction = false;
      continue;
    }
    if (pos >= input.length) return fail('unclosed action');
    const c = input[pos];
    if (isSpace(c)) {
      while (pos < input.length && isSpace(input[pos])) {
        if (input[pos + 1] === '-' && input.startsWith(rightDelim, pos + 2)) break;
        advance(1);
      }
      emit(T.Space);
      continue;
    }
    if (c === '=') { advance(1); emit(T.Assign); continue; }
    if (c === ':') {
      if (input[pos + 1] !== '=') { return fail('expected :='); }
      advance(2); emit(T.Declare); continue;
    }
    if (c === '|') { advance(1); emit(T.Pipe); continue; }
    if (c === '"') {
      advance(1);
      for (;;) {
        const ch = input[pos];
        if (ch === '\\') { if (pos + 1 < input.length && input[pos + 1] !== '\n') { advance(2); continue; } }
        if (ch === undefined || ch === '\n') return fail('unterminated quoted string');
        advance(1);
        if (ch === '"') break;
      }
      emit(T.String); continue;
    }
    if (c === '`') {
      const end = input.indexOf('`', pos + 1);
      if (end < 0) return fail('unterminated raw quoted string');
      advance(end + 1 - pos);
      emit(T.RawString); continue;
    }
    if (c === "'") {
      advance(1);
      for (;;) {
        const ch = input[pos];
        if (ch === '\\') { if (pos + 1 < input.length && input[pos + 1] !== '\n') { advance(2); continue; } }
        if (ch === undefined || ch === '\n') return fail('unterminated character constant');
        advance(1);
        if (ch === "'") break;
      }
      emit(T.CharConstant); continue;
    }
    if (c === '$') {
      advance(1);
      while (pos < input.length && isAlnum(input[pos])) advance(1);
      if (!atTerminator()) return fail(`bad character ${goRuneU(input.codePointAt(pos)!)}`);
      emit(T.Variable); continue;
    }
    if (c === '.') {
      if (pos + 1 < input.length && /[0-9]/.test(input[pos + 1])) { if (!lexNumber()) return items; continue; }
      advance(1);
      if (pos < input.length && isAlnum(input[pos])) {
        while (pos < input.length && isAlnum(input[pos])) advance(1);
        if (!atTerminator()) return fail(`bad character ${goRuneU(input.codePointAt(pos)!)}`);
        emit(T.Field);
      } else emit(T.Dot);
      continue;
    }
    if (c === '+' || c === '-' || /[0-9]/.test(c)) { if (!lexNumber()) return items; continue; }
    if (isAlnum(c)) {
      while (pos < input.length && isAlnum(input[pos])) advance(1);
      const word = input.slice(start, pos);
      if (!atTerminator()) return fail(`bad character ${goRuneU(input.codePointAt(pos)!)}`);
      if (KEYWORDS[word] !== undefined) emit(KEYWORDS[word]);
      else if (word === 'true' || word === 'false') emit(T.Bool);
      else if (word === 'nil') emit(T.Nil);
      else emit(T.Identifier);
      continue;
    }
    if (c === '(') { advance(1); emit(T.LeftParen); parenDepth++; continue; }
    if (c === ')') {
      parenDepth--;
      if (parenDepth < 0) return fail('unexpected right paren');
      advance(1); emit(T.RightParen);
      continue;
    }
    const cp = input.codePointAt(pos)!;
    if (cp < 0x7f && cp >= 0x20) { advance(1); emit(T.Char); continue; }
    return fail(`unrecognized character in action: ${goRuneU(cp)}`);
  }

  function atTerminator(): boolean {
    const ch = input[pos];
    if (ch === undefined || isSpace(ch)) return true;
    if ('.,|:)('.includes(ch)) return true;
    return input.startsWith(rightDelim, pos);
  }

  function lexNumber(): boolean {
    // Accept a loose superset (Go's scanNumber), validated later by parseNumber.
    if (input[pos] === '+' || input[pos] === '-') advance(1);
    let digits = '0123456789_';
    if (input[pos] === '0' && /[xXoObB]/.test(input[pos + 1] ?? '')) {
      const p = input[pos + 1].toLowerCase();
      advance(2);
      digits = p === 'x' ? '0123456789abcdefABCDEF_' : p === 'o' ? '01234567_' : '01_';
    }
    const run = (set: string) => { while (pos < input.length && set.includes(input[pos])) advance(1); };
    run(digits);
    if (input[pos] === '.') { advance(1); run(digits); }
    if (digits.length <= 11 && /[eE]/.test(input[pos] ?? '')) {
      advance(1); if (/[+-]/.test(input[pos] ?? '')) advance(1); run('0123456789_');
    } else if (digits.length > 16 && /[pP]/.test(input[pos] ?? '')) {
      advance(1); if (/[+-]/.test(input[pos] ?? '')) advance(1); run('0123456789_');
    }
    if (input[pos] === 'i') advance(1);
    if (pos < input.length && isAlnum(input[pos])) {
      advance(1);
      fail(`bad number syntax: ${goQuote(input.slice(start, pos))}`);
      return false;
    }
    emit(T.Number);
    return true;
  }
}

/** %#U formatting: U+0023 '#' */
export function goRuneU(cp: number): string {
  const hex = 'U+' + cp.toString(16).toUpperCase().padStart(4, '0');
  const ch = String.fromCodePoint(cp);
  return /\p{C}/u.test(ch) ? hex : `${hex} '${ch}'`;
}
