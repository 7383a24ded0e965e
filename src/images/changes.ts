import type { ContainerConfig } from '../api/types';
import { invalidParameter } from '../errdefs';

/**
 * `docker import --change` / `docker commit --change`: Dockerfile instructions applied to an
 * image config, as Docker's BuildFromConfig does. Allowed: CMD, ENTRYPOINT, ENV, EXPOSE,
 * LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR; anything else is
 * "<instr> is not a valid change command". Exec form is a JSON array; anything else is
 * shell form (`/bin/sh -c <text>`). $VAR and ${VAR} expand from the config's Env, except
 * in CMD, ENTRYPOINT and ONBUILD, as in a Dockerfile.
 */
const ALLOWED = new Set(['cmd', 'entrypoint', 'env', 'expose', 'label', 'onbuild', 'stopsignal', 'user', 'volume', 'workdir']);

/** Parses `["a","b"]`; undefined when the text is not a JSON array of strings (shell form). */
function parseJsonArray(text: string): string[] | undefined {
  const t = text.trim();
  if (!t.startsWith('[')) return undefined;
  try {
    const v: unknown = JSON.parse(t);
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  } catch { /* shell form */ }
  return undefined;
}

function envMap(env: string[] | null | undefined): Map<string, string> {
  const m = new Map<string, string>();
  for (const e of env ?? []) { const i = e.indexOf('='); m.set(i < 0 ? e : e.slice(0, i), i < 0 ? '' : e.slice(i + 1)); }
  return m;
}

/**
 * Splits into words the way the Dockerfile lexer does for key=value instructions: quotes
 * group, backslash escapes, $VAR expands (not inside single quotes).
 */
export function splitWords(text: string, env: Map<string, string>): string[] {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let i = 0;
  const expand = (): string => {
    // at text[i] === '$'
    if (text[i + 1] === '{') {
      const end = text.indexOf('}', i + 2);
      if (end < 0) throw invalidParameter(`missing '}' in ${JSON.stringify(text)}`);
      const body = text.slice(i + 2, end);
      i = end + 1;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-+])(.*))?$/s.exec(body);
      if (!m) throw invalidParameter(`bad substitution in ${JSON.stringify(text)}`);
      const val = env.get(m[1]);
      if (m[2] === '-') return val ? val : m[3];
      if (m[2] === '+') return val ? m[3] : '';
      return val ?? '';
    }
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i + 1));
    if (!m) { i++; return '$'; }
    i += 1 + m[0].length;
    return env.get(m[0]) ?? '';
  };
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) {
      if (inWord) { words.push(cur); cur = ''; inWord = false; }
      i++;
      continue;
    }
    inWord = true;
    if (c === '\\' && i + 1 < text.length) { cur += text[i + 1]; i += 2; continue; }
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw invalidParameter(`unexpected end of statement while looking for matching single-quote`);
      cur += text.slice(i + 1, end);
      i = end + 1;
      continue;
    }
    if (c === '"') {
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length && '"\\$'.includes(text[i + 1])) { cur += text[i + 1]; i += 2; continue; }
        if (text[i] === '$') { cur += expand(); continue; }
        cur += text[i++];
      }
      if (i >= text.length) throw invalidParameter(`unexpected end of statement while looking for matching double-quote`);
      i++;
      continue;
    }
    if (c === '$') { cur += expand(); continue; }
    cur += c;
    i++;
  }
  if (inWord) words.push(cur);
  return words;
}

/** ENV and LABEL: `k=v k2="v 2"`, or the legacy `k the rest is the value`. */
function parseNameVal(instr: string, rest: string, env: Map<string, string>): [string, string][] {
  const words = splitWords(rest, env);
  if (words.length === 0) throw invalidParameter(`${instr} requires at least one argument`);
  if (!words[0].includes('=')) {
    // legacy form: the first word is the key, the raw remainder is the value
    const m = /^\s*(\S+)\s+([\s\S]*)$/.exec(rest);
    if (!m) throw invalidParameter(`${instr} must have two arguments`);
    return [[m[1], splitWords(m[2], env).join(' ')]];
  }
  return words.map((w) => {
    const i = w.indexOf('=');
    if (i <= 0) throw invalidParameter(`${instr} names can not be blank`);
    return [w.slice(0, i), w.slice(i + 1)];
  });
}

function checkSignal(sig: string): string {
  if (/^\d+$/.test(sig)) { if (Number(sig) > 0 && Number(sig) <= 64) return sig; }
  else if (/^(SIG)?(HUP|INT|QUIT|ILL|TRAP|ABRT|IOT|BUS|FPE|KILL|USR1|SEGV|USR2|PIPE|ALRM|TERM|STKFLT|CHLD|CONT|STOP|TSTP|TTIN|TTOU|URG|XCPU|XFSZ|VTALRM|PROF|WINCH|IO|POLL|PWR|SYS|RTMIN(\+\d+)?|RTMAX(-\d+)?)$/i.test(sig)) return sig;
  throw invalidParameter(`Invalid signal: ${sig}`);
}

/** Applies the change lines to a copy of `base` and returns it. */
export function applyChanges(base: ContainerConfig, changes: string[]): ContainerConfig {
  const cfg: ContainerConfig = JSON.parse(JSON.stringify(base)) as ContainerConfig;
  let cmdSet = false;
  // Docker parses the changes joined by newlines as one Dockerfile: continuation lines join.
  const lines = changes.join('\n').replace(/\\\r?\n/g, '').split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
  for (const line of lines) {
    const m = /^(\S+)(?:\s+([\s\S]*))?$/.exec(line);
    if (!m) continue;
    const instr = m[1].toLowerCase();
    const rest = (m[2] ?? '').trim();
    if (!ALLOWED.has(instr)) throw invalidParameter(`${instr} is not a valid change command`);
    const env = envMap(cfg.Env);
    const upper = instr.toUpperCase();
    switch (instr) {
      case 'cmd': {
        cfg.Cmd = parseJsonArray(rest) ?? ['/bin/sh', '-c', rest];
        cmdSet = true;
        break;
      }
      case 'entrypoint': {
        const arr = parseJsonArray(rest);
        cfg.Entrypoint = arr ?? (rest === '' ? null : ['/bin/sh', '-c', rest]);
        if (!cmdSet) cfg.Cmd = null;
        break;
      }
      case 'env': {
        const e = envMap(cfg.Env);
        for (const [k, v] of parseNameVal(upper, rest, env)) e.set(k, v);
        cfg.Env = [...e].map(([k, v]) => `${k}=${v}`);
        break;
      }
      case 'label': {
        const labels = { ...(cfg.Labels ?? {}) };
        for (const [k, v] of parseNameVal(upper, rest, env)) labels[k] = v;
        cfg.Labels = labels;
        break;
      }
      case 'expose': {
        const ports = { ...(cfg.ExposedPorts ?? {}) };
        const words = splitWords(rest, env);
        if (!words.length) throw invalidParameter('EXPOSE requires at least one argument');
        for (const w of words) {
          const pm = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
          if (!pm) throw invalidParameter(`Invalid containerPort: ${w}`);
          const proto = (pm[3] ?? 'tcp').toLowerCase();
          const from = Number(pm[1]);
          const to = pm[2] !== undefined ? Number(pm[2]) : from;
          if (from > 65535 || to > 65535 || to < from) throw invalidParameter(`Invalid containerPort: ${w}`);
          for (let p = from; p <= to; p++) ports[`${p}/${proto}`] = {};
        }
        cfg.ExposedPorts = ports;
        break;
      }
      case 'user': {
        const words = splitWords(rest, env);
        if (words.length !== 1) throw invalidParameter('USER requires exactly one argument');
        cfg.User = words[0];
        break;
      }
      case 'volume': {
        const vols = { ...(cfg.Volumes ?? {}) };
        const list = parseJsonArray(rest) ?? splitWords(rest, env);
        if (!list.length) throw invalidParameter('VOLUME requires at least one argument');
        for (const v of list) {
          if (v.trim() === '') throw invalidParameter('VOLUME specified can not be an empty string');
          vols[v] = {};
        }
        cfg.Volumes = vols;
        break;
      }
      case 'workdir': {
        const words = splitWords(rest, env);
        if (words.length !== 1) throw invalidParameter('WORKDIR requires exactly one argument');
        const w = words[0];
        const joined = w.startsWith('/') ? w : `${cfg.WorkingDir || '/'}/${w}`;
        const parts: string[] = [];
        for (const p of joined.split('/')) { if (p === '' || p === '.') continue; if (p === '..') parts.pop(); else parts.push(p); }
        cfg.WorkingDir = '/' + parts.join('/');
        break;
      }
      case 'stopsignal': {
        const words = splitWords(rest, env);
        if (words.length !== 1) throw invalidParameter('STOPSIGNAL requires exactly one argument');
        cfg.StopSignal = checkSignal(words[0]);
        break;
      }
      case 'onbuild': {
        if (!rest) throw invalidParameter('ONBUILD requires at least one argument');
        const trig = rest.split(/\s+/)[0].toUpperCase();
        if (trig === 'ONBUILD') throw invalidParameter("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
        if (trig === 'FROM' || trig === 'MAINTAINER') throw invalidParameter(`${trig} isn't allowed as an ONBUILD trigger`);
        cfg.OnBuild = [...(cfg.OnBuild ?? []), rest];
        break;
      }
    }
  }
  return cfg;
}
