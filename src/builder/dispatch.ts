import type { ContainerConfig, HealthConfig } from '../api/types';
import { invalidParameter } from '../errdefs';
import { parseSignal } from '../util/signal';
import { parseLine, type RawInstruction } from './dockerfile';
import { copyStep } from './copy-step';
import type { BuildRun } from './run-state';
import { goQuote, shellOf, type StageState } from './state';
import { metaStep, runInstruction, workdirStep } from './steps';
import { parseDuration, parseJsonArray, parseNameValues, parseWords } from './words';

/**
 * One instruction of a stage, with moby's dispatchers' rules: which arguments are expanded,
 * how exec and shell forms become Cmd/Entrypoint, and the "#(nop)" comment each
 * metadata-only step is committed and cached under.
 */
export const BUILTIN_ARGS = new Set(['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy']);

/** Variables visible to expansion: declared ARGs with a value, overridden by ENV. */
export function expansionEnv(st: StageState): Map<string, string> {
  const m = new Map<string, string>();
  for (const [k, v] of st.args) if (v !== undefined) m.set(k, v);
  for (const e of st.config.Env ?? []) {
    const eq = e.indexOf('=');
    m.set(eq < 0 ? e : e.slice(0, eq), eq < 0 ? '' : e.slice(eq + 1));
  }
  return m;
}

const flag = (ins: RawInstruction, name: string): string | null | undefined => ins.flags.find((f) => f.name === name)?.value;

function checkFlags(ins: RawInstruction, allowed: string[]): void {
  for (const f of ins.flags) {
    if (!allowed.includes(f.name)) throw invalidParameter(`Unknown flag: ${f.name}`);
  }
}

function setEnv(config: ContainerConfig, key: string, value: string): void {
  const env = (config.Env ?? []).filter((e) => e.split('=', 1)[0] !== key);
  const idx = (config.Env ?? []).findIndex((e) => e.split('=', 1)[0] === key);
  const line = `${key}=${value}`;
  if (idx >= 0) { const copy = [...(config.Env ?? [])]; copy[idx] = line; config.Env = copy; } else config.Env = [...env, line];
}

function cmdForm(b: BuildRun, st: StageState, ins: RawInstruction): string[] {
  const json = parseJsonArray(ins.args);
  if (json) return json;
  return [...shellOf(st), ins.args];
}

export async function dispatch(b: BuildRun, st: StageState, ins: RawInstruction): Promise<void> {
  const env = () => expansionEnv(st);
  const word = (s: string) => b.lex.word(s, env());
  switch (ins.cmd) {
    case 'env': {
      checkFlags(ins, []);
      const pairs = parseNameValues(ins.args, 'env', b.lex.escape);
      const parts: string[] = [];
      // every value sees the variables as they were before this ENV (Docker's rule)
      const before = env();
      for (const p of pairs) {
        const value = p.legacy ? b.lex.word(p.value, before) : b.lex.word(p.value, before);
        const key = p.legacy ? p.key : b.lex.word(p.key, before);
        setEnv(st.config, key, value);
        parts.push(`${key}=${value}`);
      }
      return metaStep(b, st, `ENV ${parts.join(' ')}`);
    }
    case 'label': {
      checkFlags(ins, []);
      const pairs = parseNameValues(ins.args, 'label', b.lex.escape);
      const labels = { ...(st.config.Labels ?? {}) };
      const parts: string[] = [];
      for (const p of pairs) {
        const key = word(p.key);
        const value = p.legacy ? word(p.value) : word(p.value);
        labels[key] = value;
        parts.push(`${key}=${value}`);
      }
      st.config.Labels = labels;
      return metaStep(b, st, `LABEL ${parts.join(' ')}`);
    }
    case 'maintainer': {
      st.image.author = ins.args;
      return metaStep(b, st, `MAINTAINER ${ins.args}`, ins.args);
    }
    case 'arg': {
      checkFlags(ins, []);
      const parts: string[] = [];
      for (const w of parseWords(ins.args, b.lex.escape)) {
        const eq = w.indexOf('=');
        const name = eq < 0 ? w : w.slice(0, eq);
        const def = eq < 0 ? undefined : word(w.slice(eq + 1));
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalidParameter(`ARG names can not be blank`);
        b.usedArgs.add(name);
        const given = b.buildArgs.get(name);
        const value = given !== undefined && given !== null ? given : def !== undefined ? def : b.metaArgs.get(name);
        st.args.set(name, value);
        parts.push(def !== undefined ? `${name}=${def}` : name);
      }
      return metaStep(b, st, `ARG ${parts.join(' ')}`);
    }
    case 'cmd': {
      checkFlags(ins, []);
      st.config.Cmd = cmdForm(b, st, ins);
      st.cmdSet = true;
      return metaStep(b, st, `CMD ${goQuote(st.config.Cmd)}`);
    }
    case 'entrypoint': {
      checkFlags(ins, []);
      const json = parseJsonArray(ins.args);
      st.config.Entrypoint = json ?? (ins.args.trim() === '' ? null : [...shellOf(st), ins.args]);
      if (!st.cmdSet) st.config.Cmd = null;
      return metaStep(b, st, `ENTRYPOINT ${goQuote(st.config.Entrypoint)}`);
    }
    case 'expose': {
      const ports = { ...(st.config.ExposedPorts ?? {}) };
      const list: string[] = [];
      for (const w of b.lex.words(ins.args, env())) {
        const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp|sctp))?$/i.exec(w);
        if (!m) throw invalidParameter(`Invalid containerPort: ${w.split('/')[0]}`);
        const lo = Number(m[1]);
        const hi = m[2] ? Number(m[2]) : lo;
        for (let p = lo; p <= hi; p++) { const k = `${p}/${(m[3] ?? 'tcp').toLowerCase()}`; ports[k] = {}; list.push(k); }
      }
      st.config.ExposedPorts = ports;
      return metaStep(b, st, `EXPOSE ${list.join(' ')}`);
    }
    case 'user': {
      const u = word(ins.args);
      if (u === '') throw invalidParameter('USER requires exactly one argument');
      st.config.User = u;
      return metaStep(b, st, `USER ${u}`);
    }
    case 'volume': {
      const list = parseJsonArray(ins.args) ?? b.lex.words(ins.args, env());
      const vols = { ...(st.config.Volumes ?? {}) };
      for (const v of list) {
        const t = v.trim();
        if (!t) throw invalidParameter('VOLUME specified can not be an empty string');
        vols[t] = {};
      }
      st.config.Volumes = vols;
      return metaStep(b, st, `VOLUME [${list.join(' ')}]`);
    }
    case 'stopsignal': {
      const sig = word(ins.args);
      parseSignal(sig);
      st.config.StopSignal = sig;
      return metaStep(b, st, `STOPSIGNAL ${sig}`);
    }
    case 'shell': {
      const json = parseJsonArray(ins.args);
      if (!json) throw invalidParameter('SHELL requires the arguments to be in JSON form');
      if (json.length === 0) throw invalidParameter('SHELL requires at least one argument');
      st.config.Shell = json;
      return metaStep(b, st, `SHELL ${goQuote(json)}`);
    }
    case 'healthcheck': {
      checkFlags(ins, ['interval', 'timeout', 'start-period', 'start-interval', 'retries']);
      const m = /^(\S+)\s*([\s\S]*)$/.exec(ins.args) ?? ['', '', ''];
      const kind = m[1].toUpperCase();
      let hc: HealthConfig;
      if (kind === 'NONE') {
        if (m[2].trim() || ins.flags.length) throw invalidParameter('HEALTHCHECK NONE takes no arguments');
        hc = { Test: ['NONE'] };
      } else if (kind === 'CMD') {
        if (!m[2].trim()) throw invalidParameter('Missing command after HEALTHCHECK CMD');
        const json = parseJsonArray(m[2]);
        hc = { Test: json ? ['CMD', ...json] : ['CMD-SHELL', m[2]] };
        const iv = parseDuration('--interval', flag(ins, 'interval') ?? null);
        const to = parseDuration('--timeout', flag(ins, 'timeout') ?? null);
        const sp = parseDuration('--start-period', flag(ins, 'start-period') ?? null);
        const si = parseDuration('--start-interval', flag(ins, 'start-interval') ?? null);
        if (iv) hc.Interval = iv;
        if (to) hc.Timeout = to;
        if (sp) hc.StartPeriod = sp;
        if (si) hc.StartInterval = si;
        const r = flag(ins, 'retries');
        if (r) {
          if (!/^-?\d+$/.test(r)) throw invalidParameter(`strconv.ParseInt: parsing "${r}": invalid syntax`);
          if (Number(r) < 0) throw invalidParameter('--retries cannot be negative');
          if (Number(r)) hc.Retries = Number(r);
        }
      } else throw invalidParameter(`Unknown type "${m[1]}" in HEALTHCHECK (try CMD)`);
      st.config.Healthcheck = hc;
      return metaStep(b, st, `HEALTHCHECK ${JSON.stringify(hc)}`);
    }
    case 'onbuild': {
      const trig = parseLine(ins.args, b.lex.escape);
      if (trig.cmd === 'onbuild') throw invalidParameter("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trig.cmd === 'from' || trig.cmd === 'maintainer') throw invalidParameter(`${trig.cmd.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      const expr = ins.args.trim();
      st.config.OnBuild = [...(st.config.OnBuild ?? []), expr];
      return metaStep(b, st, `ONBUILD ${expr}`);
    }
    case 'workdir': {
      const p = word(ins.args);
      if (!p) throw invalidParameter('WORKDIR requires exactly one argument');
      const base = st.config.WorkingDir || '/';
      const joined = p.startsWith('/') ? p : `${base.replace(/\/$/, '')}/${p}`;
      st.config.WorkingDir = normalizePath(joined);
      return workdirStep(b, st);
    }
    case 'run': return runInstruction(b, st, ins);
    case 'copy': checkFlags(ins, ['chown', 'chmod', 'from', 'link', 'parents', 'exclude']); return copyStep(b, st, ins, false);
    case 'add': checkFlags(ins, ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir']); return copyStep(b, st, ins, true);
    default:
      throw invalidParameter(`unknown instruction: ${ins.cmd.toUpperCase()}`);
  }
}

export function normalizePath(p: string): string {
  const parts: string[] = [];
  for (const s of p.split('/')) {
    if (s === '' || s === '.') continue;
    if (s === '..') parts.pop(); else parts.push(s);
  }
  return `/${parts.join('/')}`;
}
