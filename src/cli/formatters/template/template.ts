// The Template object: parse once, execute against many values.
import { BUILTINS, DOCKER_FUNCS, FuncDef } from './funcs';
import { Executor } from './exec';
import { ParsedTemplate, parse } from './parse';

export interface ParseOptions {
  /** Template name used in error messages (docker uses ""). */
  name?: string;
  /** Extra functions; names must be known at parse time, as in Go. */
  funcs?: Record<string, Function>;
}

// eslint-disable-next-line @typescript-eslint/ban-types
function toDefs(funcs?: Record<string, Function>): Record<string, FuncDef> {
  const out: Record<string, FuncDef> = {};
  for (const [k, f] of Object.entries(funcs ?? {})) out[k] = { fn: f as (...a: unknown[]) => unknown };
  return out;
}

export class Template {
  private readonly baseFuncs: Record<string, FuncDef>;

  constructor(readonly parsed: ParsedTemplate, funcs?: Record<string, Function>) {
    this.baseFuncs = { ...BUILTINS, ...DOCKER_FUNCS, ...toDefs(funcs) };
  }

  get name(): string { return this.parsed.name; }

  /** Execute against `data`; throws a Go-style error (`template: :1:2: executing "" at <.X>: ...`). */
  execute(data: unknown, funcs?: Record<string, Function>): string {
    const r = this.executePartial(data, funcs);
    if (r.error) throw r.error;
    return r.output;
  }

  /** Execute, returning whatever was written before an error (Go writes output as it goes). */
  executePartial(data: unknown, funcs?: Record<string, Function>, defs?: Record<string, FuncDef>):
    { output: string; error: Error | null } {
    const ex = new Executor(this.parsed, { ...this.baseFuncs, ...toDefs(funcs), ...(defs ?? {}) });
    try {
      ex.run(data);
      return { output: ex.out, error: null };
    } catch (e) {
      return { output: ex.out, error: e instanceof Error ? e : new Error(String(e)) };
    }
  }
}

/** Parse a Go text/template (with the docker CLI's functions available). */
export function parseTemplate(src: string, opts: ParseOptions = {}): Template {
  const known = (n: string) => n in BUILTINS || n in DOCKER_FUNCS || (opts.funcs !== undefined && n in opts.funcs);
  return new Template(parse(src, opts.name ?? '', known), opts.funcs);
}
