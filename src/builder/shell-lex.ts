import { invalidParameter } from '../errdefs';

/**
 * Docker's shell-like word processing for Dockerfile arguments (moby's shell.Lex): quotes,
 * the escape character, $VAR, ${VAR}, ${VAR:-word}, ${VAR-word}, ${VAR:+word},
 * ${VAR+word}, ${VAR:?msg}, ${VAR?msg}. `env` holds "K=V" pairs; the last one wins.
 */
export class ShellLex {
  constructor(readonly escape = '\\') {}

  /** One word: quotes removed, variables replaced, no splitting. */
  word(s: string, env: string[] | Map<string, string>): string {
    return this.process(s, toMap(env), false)[0] ?? '';
  }

  /** Splits on unquoted whitespace after replacement (EXPOSE, VOLUME, COPY sources ...). */
  words(s: string, env: string[] | Map<string, string>): string[] {
    return this.process(s, toMap(env), true);
  }

  private process(s: string, env: Map<string, string>, split: boolean): string[] {
    const words: string[] = [];
    let cur = '';
    let inWord = false;
    let i = 0;
    const esc = this.escape;
    const push = () => { if (inWord) words.push(cur); cur = ''; inWord = false; };
    while (i < s.length) {
      const ch = s[i];
      if (split && /\s/.test(ch)) { push(); i++; continue; }
      inWord = true;
      if (ch === esc) {
        if (i + 1 < s.length) { cur += s[i + 1]; i += 2; } else { cur += ch; i++; }
        continue;
      }
      if (ch === "'") {
        const end = s.indexOf("'", i + 1);
        if (end < 0) throw invalidParameter('unexpected end of statement while looking for matching single-quote');
        cur += s.slice(i + 1, end);
        i = end + 1;
        continue;
      }
      if (ch === '"') {
        i++;
        while (i < s.length && s[i] !== '"') {
          if (s[i] === esc && i + 1 < s.length && (s[i + 1] === '"' || s[i + 1] === '$' || s[i + 1] === esc)) { cur += s[i + 1]; i += 2; continue; }
          if (s[i] === '$') { const r = this.variable(s, i, env); cur += r.value; i = r.next; continue; }
          cur += s[i++];
        }
        if (i >= s.length) throw invalidParameter('unexpected end of statement while looking for matching double-quote');
        i++;
        continue;
      }
      if (ch === '$') { const r = this.variable(s, i, env); cur += r.value; i = r.next; continue; }
      cur += ch;
      i++;
    }
    push();
    return split ? words : [words.join('')];
  }

  /** Reads the variable reference at s[i] === '$'. */
  private variable(s: string, i: number, env: Map<string, string>): { value: string; next: number } {
    const n = s[i + 1];
    if (n === '{') {
      const close = matchingBrace(s, i + 2);
      if (close < 0) throw invalidParameter(`missing '}' in '${s}'`);
      const body = s.slice(i + 2, close);
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+?])([\s\S]*))?$/.exec(body);
      if (!m) throw invalidParameter(`failed to process "${s}": unsupported modifier in \${${body}}`);
      const [, name, op, word] = m;
      const set = env.has(name);
      const val = env.get(name) ?? '';
      const nonEmpty = set && val !== '';
      let value = val;
      const sub = () => this.word(word ?? '', env);
      switch (op) {
        case ':-': value = nonEmpty ? val : sub(); break;
        case '-': value = set ? val : sub(); break;
        case ':+': value = nonEmpty ? sub() : ''; break;
        case '+': value = set ? sub() : ''; break;
        case ':?': if (!nonEmpty) throw invalidParameter(`failed to process "${s}": ${name}: ${word || 'is not allowed to be unset'}`); break;
        case '?': if (!set) throw invalidParameter(`failed to process "${s}": ${name}: ${word || 'is not allowed to be unset'}`); break;
        default: break;
      }
      return { value, next: close + 1 };
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9]/.exec(s.slice(i + 1));
    if (!m) return { value: '$', next: i + 1 };
    return { value: env.get(m[0]) ?? '', next: i + 1 + m[0].length };
  }
}

function matchingBrace(s: string, from: number): number {
  let depth = 1;
  for (let j = from; j < s.length; j++) {
    if (s[j] === '{') depth++;
    else if (s[j] === '}' && --depth === 0) return j;
  }
  return -1;
}

export function toMap(env: string[] | Map<string, string>): Map<string, string> {
  if (env instanceof Map) return env;
  const m = new Map<string, string>();
  for (const e of env) {
    const eq = e.indexOf('=');
    if (eq < 0) m.set(e, ''); else m.set(e.slice(0, eq), e.slice(eq + 1));
  }
  return m;
}
