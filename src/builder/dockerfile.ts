import { DockerfileParser } from 'dockerfile-ast';
import { invalidParameter } from '../errdefs';

/**
 * The Dockerfile as the classic builder reads it. dockerfile-ast finds the instructions,
 * their line ranges, the parser directives and heredoc bodies; the text of each
 * instruction is then joined the way moby's parser joins it (escape + newline removed,
 * comment and empty lines inside a continuation dropped), so that `original` is what
 * "Step N/M : ..." prints and what the cache key is made of.
 */
export interface Heredoc { name: string; content: string; expand: boolean }

export interface RawInstruction {
  /** lower-case keyword: "run", "copy" ... */
  cmd: string;
  /** the joined line, as Docker prints it */
  original: string;
  /** `--name=value` flags before the arguments */
  flags: { name: string; value: string | null }[];
  /** the arguments after the flags (joined line, not yet expanded) */
  args: string;
  /** 1-based line of the keyword */
  line: number;
  heredocs: Heredoc[];
}

export interface ParsedDockerfile { escape: string; instructions: RawInstruction[]; warnings: string[] }

export const KNOWN = new Set(['add', 'arg', 'cmd', 'copy', 'entrypoint', 'env', 'expose', 'from', 'healthcheck', 'label',
  'maintainer', 'onbuild', 'run', 'shell', 'stopsignal', 'user', 'volume', 'workdir']);

const HEREDOC_START = /<<(-?)\s*(["']?)([A-Za-z_][A-Za-z0-9_]*)\2/g;

export function parseDockerfile(text: string): ParsedDockerfile {
  if (text.startsWith('\ufeff')) text = text.slice(1);
  const doc = DockerfileParser.parse(text);
  let escape = '\\';
  for (const d of doc.getDirectives()) {
    if (d.getName().toLowerCase() === 'escape') {
      const v = d.getValue();
      if (v !== '\\' && v !== '`') throw invalidParameter(`invalid ESCAPE '${v}'. Must be \` or \\`);
      escape = v;
    }
  }
  const lines = text.split(/\r?\n/);
  const out: RawInstruction[] = [];
  for (const ins of doc.getInstructions()) {
    const r = ins.getRange();
    out.push(joinInstruction(lines, r.start.line, r.end.line, escape));
  }
  if (out.length === 0) throw invalidParameter('the Dockerfile (Dockerfile) cannot be empty');
  return { escape, instructions: out, warnings: [] };
}

/** Joins lines [start, end] (0-based) into one instruction, moby-style; heredoc bodies are cut out. */
function joinInstruction(lines: string[], start: number, end: number, escape: string): RawInstruction {
  const contRe = new RegExp(`${escape === '\\' ? '\\\\' : '`'}[ \\t]*$`);
  let line = lines[start].replace(/^\s+/, '');
  let i = start;
  let cont = contRe.test(line);
  if (cont) line = line.replace(contRe, '');
  while (cont && i < end) {
    i++;
    const l = lines[i];
    if (/^\s*#/.test(l)) continue;
    if (l.trim() === '') continue;
    cont = contRe.test(l);
    line += cont ? l.replace(contRe, '') : l;
  }
  const m = /^(\S+)\s*([\s\S]*)$/.exec(line.trim()) ?? ['', line.trim(), ''];
  const cmd = m[1].toLowerCase();
  let rest = m[2];
  const flags: { name: string; value: string | null }[] = [];
  if (cmd !== 'onbuild') {
    for (;;) {
      const f = /^--([A-Za-z0-9-]+)(?:=("[^"]*"|'[^']*'|\S*))?(?:\s+|$)/.exec(rest);
      if (!f) break;
      if (f[0].trim() === '--') { rest = rest.slice(f[0].length); break; }
      flags.push({ name: f[1], value: f[2] === undefined ? null : f[2].replace(/^(["'])(.*)\1$/, '$2') });
      rest = rest.slice(f[0].length);
    }
  }
  const heredocs: Heredoc[] = [];
  if ((cmd === 'run' || cmd === 'copy' || cmd === 'add') && !rest.trimStart().startsWith('[')) {
    let body = i + 1;
    for (const h of rest.matchAll(HEREDOC_START)) {
      const strip = h[1] === '-';
      const content: string[] = [];
      while (body <= end && body < lines.length) {
        const l = strip ? lines[body].replace(/^\t+/, '') : lines[body];
        body++;
        if (l === h[3]) break;
        content.push(l);
      }
      heredocs.push({ name: h[3], content: content.length ? `${content.join('\n')}\n` : '', expand: h[2] === '' });
    }
  }
  return { cmd, original: line.trim() === line ? line : line.replace(/^\s+/, ''), flags, args: rest.trim(), line: start + 1, heredocs };
}

/** Parses ONBUILD's trigger (or a --change line) as one instruction. */
export function parseLine(text: string, escape = '\\'): RawInstruction {
  return joinInstruction([text], 0, 0, escape);
}
