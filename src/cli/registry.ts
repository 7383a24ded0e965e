/** Every command berth knows, by each name docker gives it, and the root help text. */
import { PROG, type CommandDef } from './command';
import { flagUsages, type FlagSpec } from './flags';
import { containerCommands } from './commands/container';
import { imageCommands } from './commands/image';
import { systemCommands } from './commands/system';
import { networkCommands } from './commands/network';
import { volumeCommands } from './commands/volume';
import { contextCommands } from './commands/context/context';

export const MANAGEMENT = ['container', 'image', 'system', 'network', 'volume', 'builder', 'buildx', 'context', 'manifest', 'plugin', 'trust', 'swarm', 'node', 'service', 'stack', 'secret', 'config', 'checkpoint'];

/** Docker commands that exist but come in later issues: they say so and exit 1. */
export const NOT_IMPLEMENTED = new Set([
  'save', 'load',
  'pull', 'push', 'build', 'login', 'logout', 'search',
  'image pull', 'image push', 'image save', 'image load', 'image build', 'image prune',
  'system prune',
  ...MANAGEMENT.filter((m) => !['container', 'image', 'system', 'network', 'volume', 'context'].includes(m)),
]);

const all: CommandDef[] = [...containerCommands, ...imageCommands, ...systemCommands, ...networkCommands, ...volumeCommands, ...contextCommands];
const byName = new Map<string, CommandDef>();
for (const c of all) for (const n of [c.path, ...(c.aliases ?? [])]) byName.set(n, c);

export function findCommand(words: string[]): { cmd: CommandDef; invoked: string; args: string[] } | undefined {
  if (MANAGEMENT.includes(words[0])) {
    const invoked = `${words[0]} ${words[1] ?? ''}`;
    const cmd = byName.get(invoked);
    return cmd && { cmd, invoked, args: words.slice(2) };
  }
  const cmd = byName.get(words[0]);
  return cmd && { cmd, invoked: words[0], args: words.slice(1) };
}

function section(title: string, rows: [string, string][]): string {
  const w = Math.max(...rows.map(([n]) => n.length)) + 2;
  return `${title}:\n${rows.map(([n, d]) => `  ${n.padEnd(w)}${d}`).join('\n')}\n`;
}

const short = (name: string) => byName.get(name)?.short ?? '';

export function rootHelp(globalFlags: FlagSpec[]): string {
  const common = ['run', 'exec', 'ps', 'images', 'version', 'info'];
  const commands = ['attach', 'create', 'events', 'history', 'import', 'inspect', 'kill', 'logs', 'rename', 'restart', 'rm', 'rmi', 'start', 'stop', 'tag', 'wait'];
  return [
    `Usage:  ${PROG} [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n`,
    section('Common Commands', common.map((c) => [c, short(c)])),
    section('Management Commands', [['container', 'Manage containers'], ['context', 'Manage contexts'], ['image', 'Manage images'], ['system', 'Manage Berth']]),
    section('Commands', commands.map((c) => [c, short(c)])),
    `Global Options:\n${flagUsages(globalFlags)}`,
    `Run '${PROG} COMMAND --help' for more information on a command.\n`,
  ].join('\n');
}

export function managementHelp(name: string): string {
  const cmds = all.filter((c) => c.path.startsWith(`${name} `));
  const title = name === 'container' ? 'Manage containers' : name === 'image' ? 'Manage images' : name === 'system' ? 'Manage Berth' : `Manage ${name}s`;
  if (!cmds.length) return `Usage:  ${PROG} ${name} COMMAND\n\n${title}\n`;
  const rows: [string, string][] = cmds.map((c) => [c.path.split(' ')[1], c.short]);
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  return `Usage:  ${PROG} ${name} COMMAND\n\n${title}\n\n${section('Commands', rows)}\nRun '${PROG} ${name} COMMAND --help' for more information on a command.\n`;
}
