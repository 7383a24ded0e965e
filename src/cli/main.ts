/**
 * `berth`: the docker CLI's command line over the Engine API. Global flags come first
 * (`berth -H unix:///x.sock ps -a`), then a command or a management command and its verb.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { EngineClient, ApiError, ConnectionError, type TlsOptions } from '../client';
import { ArgCountError, checkArgs, helpText, PROG, StatusError, useLine, type CliConfigFile, type CliContext, type CommandDef, type Globals } from './command';
import { parseFlags, UsageError, type FlagSpec } from './flags';
import { ContextError } from './commands/context/store';
import { resolveEndpoint } from './commands/context/resolve';
import { findCommand, rootHelp, managementHelp, NOT_IMPLEMENTED, MANAGEMENT } from './registry';

const VERSION = '0.1.0';

const CERT_DIR = process.env.BERTH_CERT_PATH || process.env.DOCKER_CERT_PATH || join(homedir(), '.berth');

export const GLOBAL_FLAGS: FlagSpec[] = [
  { name: 'config', kind: 'string', usage: 'Location of client config files', default: process.env.BERTH_CONFIG || join(homedir(), '.berth') },
  { name: 'debug', short: 'D', kind: 'bool', usage: 'Enable debug mode' },
  { name: 'context', short: 'c', kind: 'string', usage: 'Name of the context to use to connect to the daemon (overrides BERTH_HOST/DOCKER_HOST env var and default context set with "berth context use")' },
  { name: 'host', short: 'H', kind: 'list', usage: 'Daemon socket to connect to' },
  { name: 'log-level', short: 'l', kind: 'string', usage: 'Set the logging level ("debug", "info", "warn", "error", "fatal")', default: 'info' },
  { name: 'tls', kind: 'bool', usage: 'Use TLS; implied by --tlsverify' },
  { name: 'tlscacert', kind: 'string', usage: 'Trust certs signed only by this CA', default: join(CERT_DIR, 'ca.pem') },
  { name: 'tlscert', kind: 'string', usage: 'Path to TLS certificate file', default: join(CERT_DIR, 'cert.pem') },
  { name: 'tlskey', kind: 'string', usage: 'Path to TLS key file', default: join(CERT_DIR, 'key.pem') },
  { name: 'tlsverify', kind: 'bool', usage: 'Use TLS and verify the remote', default: !!(process.env.BERTH_TLS_VERIFY || process.env.DOCKER_TLS_VERIFY) },
  { name: 'version', short: 'v', kind: 'bool', usage: 'Print version information and quit' },
];

/** docker's TLS client set-up: the CA when verifying, the client pair when present. */
function tlsOptions(t: NonNullable<Globals['tls']>): TlsOptions {
  const read = (path: string, required: boolean): Buffer | undefined => {
    if (!existsSync(path)) {
      if (required) throw new StatusError(1, `Could not read CA certificate "${path}": open ${path}: no such file or directory`);
      return undefined;
    }
    return readFileSync(path);
  };
  return { verify: t.verify, ca: read(t.cacert, t.verify), cert: read(t.cert, false), key: read(t.key, false) };
}

export interface Io {
  stdin: CliContext['stdin'];
  stdout: CliContext['stdout'];
  stderr: CliContext['stderr'];
}

/** Read `<dir>/config.json`; a missing file is an empty config, a broken one is reported. */
export function loadConfigFile(dir: string, warn: (s: string) => void): CliConfigFile {
  const file = join(dir, 'config.json');
  if (!existsSync(file)) return {};
  try {
    const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    const str = (k: string) => (typeof raw[k] === 'string' ? (raw[k] as string) : undefined);
    return { psFormat: str('psFormat'), imagesFormat: str('imagesFormat'), detachKeys: str('detachKeys') };
  } catch (e) {
    warn(`WARNING: Error parsing config file (${file}): ${(e as Error).message}\n`);
    return {};
  }
}

function makeContext(globals: Globals, io: Io): CliContext {
  let client: EngineClient | undefined;
  let config: CliConfigFile | undefined;
  return {
    globals,
    client: () => (client ??= new EngineClient(globals.host, {
      // as DOCKER_API_VERSION does for docker: a fixed version instead of negotiating one
      apiVersion: process.env.BERTH_API_VERSION || process.env.DOCKER_API_VERSION || undefined,
      ...(globals.tls ? { tls: tlsOptions(globals.tls) } : {}),
    })),
    config: () => (config ??= loadConfigFile(globals.config, (s) => io.stderr.write(s))),
    ...io,
  };
}

export async function main(argv: string[], io: Io = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  const err = (s: string) => io.stderr.write(s);
  let parsed;
  try {
    parsed = parseFlags(argv, GLOBAL_FLAGS, false);
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n\nUsage:  ${PROG} [OPTIONS] COMMAND\n\nRun '${PROG} --help' for more information\n`);
      return 125;
    }
    throw e;
  }
  const g = parsed.values;
  if (g.version) {
    io.stdout.write(`Berth version ${VERSION}\n`);
    return 0;
  }
  const hosts = g.host as string[];
  if (hosts.length > 1) {
    err(`${PROG}: Specify only one -H\n`);
    return 1;
  }
  const globals: Globals = { host: hosts[0], config: String(g.config), debug: !!g.debug, logLevel: String(g['log-level']) };
  if (g.tls || g.tlsverify) {
    globals.tls = { verify: !!g.tlsverify, cacert: String(g.tlscacert), cert: String(g.tlscert), key: String(g.tlskey) };
  }
  try {
    const ep = resolveEndpoint({ hostFlag: hosts[0], contextFlag: String(g.context ?? '') || undefined, configDir: globals.config });
    globals.context = ep.context;
    if (ep.host !== undefined) globals.host = ep.host;
    if (ep.tls) globals.tls = ep.tls;
  } catch (e) {
    if (!(e instanceof ContextError)) throw e;
    err(/^conflicting/.test(e.message) ? `${e.message}\n` : `Failed to initialize: unable to resolve docker endpoint: ${e.message}\n`);
    return 1;
  }
  const rest = parsed.args;
  if (parsed.help || rest.length === 0 || (rest[0] === 'help' && rest.length === 1)) {
    io.stdout.write(rootHelp(GLOBAL_FLAGS));
    return 0;
  }
  let words = rest;
  if (words[0] === 'help') words = [...words.slice(1), '--help'];
  const found = findCommand(words);
  if (!found) {
    const name = words[0];
    const management = MANAGEMENT.includes(name);
    // as docker: `berth container` alone prints its help on stderr, `--help` on stdout
    if (management && words.length === 1 && !NOT_IMPLEMENTED.has(name)) {
      err(managementHelp(name));
      return 0;
    }
    if (management && (words[1] === '--help' || words[1] === '-h') && !NOT_IMPLEMENTED.has(name)) {
      io.stdout.write(managementHelp(name));
      return 0;
    }
    const full = management && words[1] ? `${name} ${words[1]}` : name;
    if (NOT_IMPLEMENTED.has(name) || NOT_IMPLEMENTED.has(full)) {
      err(`${PROG}: '${full}' is not implemented yet\n`);
      return 1;
    }
    if (management) {
      err(`${PROG}: unknown command: ${PROG} ${full}\n\nUsage:  ${PROG} ${name}\n\nRun '${PROG} ${name} --help' for more information\n`);
      return 1;
    }
    err(`${PROG}: unknown command: ${PROG} ${full}\n\nRun '${PROG} --help' for more information\n`);
    return 1;
  }
  const { cmd, invoked, args } = found;
  return runCommand(cmd, invoked, args, makeContext(globals, io));
}

export async function runCommand(cmd: CommandDef, invoked: string, argv: string[], ctx: CliContext): Promise<number> {
  const err = (s: string) => ctx.stderr.write(s);
  try {
    const p = parseFlags(argv, cmd.flags, cmd.interspersed !== false);
    if (p.help) {
      ctx.stdout.write(helpText(cmd, invoked));
      return 0;
    }
    checkArgs(cmd, invoked, p.args);
    const code = await cmd.run(ctx, p.values, p.args, p.changed);
    return typeof code === 'number' ? code : 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`${e.message}\n\nUsage:  ${useLine(cmd, invoked)}\n\nRun '${PROG} ${invoked} --help' for more information\n`);
      return 125;
    }
    if (e instanceof ArgCountError) {
      err(`${PROG}: ${e.message}\n\nUsage:  ${useLine(cmd, invoked)}\n\n${e.see ? 'See' : 'Run'} '${PROG} ${invoked} --help' for more information\n`);
      return 1;
    }
    if (e instanceof StatusError) {
      if (e.message) err(e.message.endsWith('\n') ? e.message : `${e.message}\n`);
      return e.status;
    }
    if (e instanceof ApiError) {
      err(`Error response from daemon: ${e.message}\n`);
      return 1;
    }
    if (e instanceof ConnectionError) {
      err(`${e.message}\n`);
      return 1;
    }
    err(`${(e as Error).message ?? String(e)}\n`);
    return 1;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
      // stdin may hold the loop open after the command is done (attach, run -i): flush, then exit
      process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
    },
    (e) => {
      process.stderr.write(`${(e as Error).stack ?? e}\n`);
      process.exit(1);
    },
  );
}
