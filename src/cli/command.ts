/**
 * The shape of a command: its docker name and usage line, its flags, how many arguments it
 * takes, and a `run` that turns flags into options for the client. The help text and the
 * usage errors are docker's (cobra's) wording, with `berth` for `docker`.
 */
import type { Readable, Writable } from 'node:stream';
import type { EngineClient } from '../client';
import { flagUsages, UsageError, type FlagSpec, type FlagValues } from './flags';

export const PROG = 'berth';

export interface Globals {
  host?: string;
  config: string;
  debug: boolean;
  logLevel: string;
  /** Set when --tls/--tlsverify (or BERTH_TLS_VERIFY/DOCKER_TLS_VERIFY) asks for TLS. */
  tls?: { verify: boolean; cacert: string; cert: string; key: string };
  /** The context in use (`default` when -H / BERTH_HOST / DOCKER_HOST decide). */
  context?: string;
}

/** The keys of docker's config.json that the CLI itself reads (in --config, default ~/.berth). */
export interface CliConfigFile {
  psFormat?: string;
  imagesFormat?: string;
  detachKeys?: string;
}

export interface CliContext {
  globals: Globals;
  config(): CliConfigFile;
  client(): EngineClient;
  stdin: Readable & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
  stdout: Writable & { isTTY?: boolean; columns?: number; rows?: number };
  stderr: Writable;
}

export interface ArgRule { min?: number; max?: number }

export interface CommandDef {
  /** e.g. `container run`; the last word is the verb. */
  path: string;
  /** Usage line after the program name, e.g. `run [OPTIONS] IMAGE [COMMAND] [ARG...]`. */
  use: string;
  short: string;
  /** Other full names, shown under "Aliases:" (e.g. `run`, `container ls`). */
  aliases?: string[];
  flags: FlagSpec[];
  args: ArgRule;
  /** false: the first positional argument ends flag parsing (run, create, exec). */
  interspersed?: boolean;
  /** Show `--help` in the options list (docker does for run and create). */
  listHelp?: boolean;
  run(ctx: CliContext, flags: FlagValues, args: string[], changed: Set<string>): Promise<number | void>;
}

/** An error that ends the CLI with a status code after printing its message (if any). */
export class StatusError extends Error {
  constructor(readonly status: number, message = '') {
    super(message);
    this.name = 'StatusError';
  }
}

/** The usage error cobra prints for a wrong number of arguments. */
export class ArgCountError extends Error {
  constructor(message: string, readonly see: boolean) {
    super(message);
  }
}

export function useLine(cmd: CommandDef, invoked: string): string {
  const verbAndRest = cmd.use.split(' ');
  return `${PROG} ${invoked} ${verbAndRest.slice(1).join(' ')}`.trimEnd();
}

export function checkArgs(cmd: CommandDef, invoked: string, args: string[]): void {
  const { min, max } = cmd.args;
  const name = `'${PROG} ${invoked}'`;
  const plural = (n: number) => (n === 1 ? 'argument' : 'arguments');
  if (min !== undefined && max !== undefined && min === max && args.length !== min) {
    if (min === 0) throw new ArgCountError(`${name} accepts no arguments`, false);
    throw new ArgCountError(`${name} requires ${min} ${plural(min)}`, false);
  }
  if (min !== undefined && args.length < min) {
    if (max !== undefined) throw new ArgCountError(`${name} requires at least ${min} and at most ${max} ${plural(max)}`, false);
    throw new ArgCountError(`${name} requires at least ${min} ${plural(min)}`, true);
  }
  if (max !== undefined && args.length > max) {
    if (min !== undefined && min > 0) throw new ArgCountError(`${name} requires at least ${min} and at most ${max} ${plural(max)}`, false);
    throw new ArgCountError(`${name} requires at most ${max} ${plural(max)}`, false);
  }
}

export function helpText(cmd: CommandDef, invoked: string): string {
  let out = `Usage:  ${useLine(cmd, invoked)}\n\n${cmd.short}\n`;
  if (cmd.aliases?.length) {
    const all = [cmd.path, ...cmd.aliases].map((a) => `${PROG} ${a}`);
    out += `\nAliases:\n  ${all.join(', ')}\n`;
  }
  const flags = cmd.listHelp ? [...cmd.flags, { name: 'help', kind: 'bool' as const, usage: 'Print usage' }] : cmd.flags;
  if (flags.length) out += `\nOptions:\n${flagUsages(flags)}`;
  return out;
}

// Shared flag definitions with docker's texts.
export const FORMAT_USAGE_TABLE =
  "Format output using a custom template:\n'table':            Print output in table format with column headers (default)\n'table TEMPLATE':   Print output in table format using the given Go template\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";
export const FORMAT_USAGE_PLAIN =
  "Format output using a custom template:\n'json':             Print in JSON format\n'TEMPLATE':         Print output using the given Go template.\nRefer to https://docs.docker.com/go/formatting/ for more information about formatting output with templates";

/** The detach keys of a command: its flag, else config.json's `detachKeys`. */
export function detachKeysOf(ctx: CliContext, flag: unknown): string {
  return String(flag ?? '') || ctx.config().detachKeys || '';
}

export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? (v as string[]) : [];
}

/** `--filter a=b --filter a=c` as the client's Filters. */
export function parseFilterFlags(values: string[], flagText = '-f, --filter'): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const f of values) {
    const eq = f.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid argument "${f}" for "${flagText}" flag: bad format of filter (expected name=value)`);
    const k = f.slice(0, eq).trim().toLowerCase();
    (out[k] ??= []).push(f.slice(eq + 1).trim());
  }
  return out;
}
