import { invalidParameter } from '../errdefs';
import { KNOWN, parseLine, type RawInstruction } from './dockerfile';
import { parseDuration, parseJsonArray, parseNameValues, parseWords } from './words';

/**
 * What dockerd checks while parsing, before the build starts (and answers as an HTTP error,
 * not in the build stream): known instructions, their flags, forms and argument counts.
 */
const FLAGS: Record<string, string[]> = {
  from: ['platform'], run: ['mount', 'network', 'security'], copy: ['chown', 'chmod', 'from', 'link', 'parents', 'exclude'],
  add: ['chown', 'chmod', 'link', 'checksum', 'keep-git-dir'], healthcheck: ['interval', 'timeout', 'start-period', 'start-interval', 'retries'],
};

const parseError = (ins: RawInstruction, msg: string) => invalidParameter(`dockerfile parse error line ${ins.line}: ${msg}`);

export function validateInstruction(ins: RawInstruction, escape: string): void {
  if (!KNOWN.has(ins.cmd)) throw parseError(ins, `unknown instruction: ${ins.cmd.toUpperCase()}`);
  const allowed = FLAGS[ins.cmd] ?? [];
  for (const f of ins.flags) if (!allowed.includes(f.name)) throw parseError(ins, `Unknown flag: ${f.name}`);
  const name = ins.cmd.toUpperCase();
  switch (ins.cmd) {
    case 'env': case 'label':
      try { parseNameValues(ins.args, ins.cmd, escape); } catch (e) { throw invalidParameter(`failed to parse Dockerfile: ${(e as Error).message}`); }
      break;
    case 'from': {
      const w = parseWords(ins.args, escape);
      if (w.length !== 1 && !(w.length === 3 && w[1].toLowerCase() === 'as')) throw parseError(ins, 'FROM requires either one or three arguments');
      break;
    }
    case 'shell':
      if (!parseJsonArray(ins.args)) throw parseError(ins, 'SHELL requires the arguments to be in JSON form');
      break;
    case 'copy': case 'add':
      if (!ins.heredocs.length && (parseJsonArray(ins.args) ?? parseWords(ins.args, escape)).length < 2) {
        throw parseError(ins, `${name} requires at least two arguments, but only one was provided. Destination could not be determined.`);
      }
      break;
    case 'workdir': case 'user': case 'stopsignal': case 'maintainer':
      if (!ins.args.trim()) throw parseError(ins, `${name} requires exactly one argument`);
      break;
    case 'run': case 'cmd': case 'entrypoint': case 'expose': case 'volume': case 'arg':
      if (!ins.args.trim() && ins.cmd !== 'cmd' && ins.cmd !== 'entrypoint') throw parseError(ins, `${name} requires at least one argument`);
      break;
    case 'healthcheck': {
      const kind = (/^\S+/.exec(ins.args)?.[0] ?? '').toUpperCase();
      if (kind !== 'CMD' && kind !== 'NONE') throw parseError(ins, `Unknown type "${kind}" in HEALTHCHECK (try CMD)`);
      try {
        for (const f of ['interval', 'timeout', 'start-period', 'start-interval']) parseDuration(`--${f}`, ins.flags.find((x) => x.name === f)?.value ?? null);
      } catch (e) { throw parseError(ins, (e as Error).message); }
      break;
    }
    case 'onbuild': {
      const trig = parseLine(ins.args, escape);
      if (trig.cmd === 'onbuild') throw parseError(ins, "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
      if (trig.cmd === 'from' || trig.cmd === 'maintainer') throw parseError(ins, `${trig.cmd.toUpperCase()} isn't allowed as an ONBUILD trigger`);
      validateInstruction({ ...trig, line: ins.line }, escape);
      break;
    }
    default: break;
  }
}
