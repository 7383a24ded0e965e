/** Every command berth knows, by each name docker gives it, and the root help text. */
import { PROG, type CommandDef } from './command';
import { flagUsages, type FlagSpec } from './flags';
import { containerCommands } from './commands/container';
import { imageCommands } from './commands/image';
import { systemCommands } from './commands/system';
import { networkCommands } from './commands/network';
import { volumeCommands } from './commands/volume';
import { contextCommands } from './commands/context/context';
import { build } from './commands/build/build';
import { builderPrune } from './commands/build/prune';
import { registryCommands } from './commands/registry/registry';

export const MANAGEMENT = ['container', 'image', 'system', 'network', 'volume', 'builder', 'buildx', 'context', 'manifest', 'plugin', 'trust', 'swarm', 'node', 'service', 'stack', 'secret', 'config', 'checkpoint', 'registry'];

/** Docker commands that exist but come in later issues: they say so and exit 1. */
export const NOT_IMPLEMENTED = new Set([
  'search',
  'system prune',
  ...MANAGEMENT.filter((m) => !['container', 'image', 'system', 'network', 'volume', 'context', 'builder', 'registry'].includes(m)),
]);

const all: CommandDef[] = [...containerCommands, ...imageCommands, ...systemCommands, ...networkCommands, ...volumeCommands, ...contextCommands, build, builderPrune, ...registryCommands];
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

/** cobra's command list: names padded to 12 columns (NamePadding 11 + 1). */
function section(title: string, rows: [string, string][]): string {
  return `${title}:\n${rows.map(([n, d]) => `  ${n.padEnd(Math.max(12, n.length + 1))}${d}`).join('\n')}\n`;
}

const short = (name: string) => byName.get(name)?.short ?? '';

const MANAGEMENT_TITLES: Record<string, string> = {
  builder: 'Manage builds', checkpoint: 'Manage checkpoints', container: 'Manage containers', context: 'Manage contexts',
  image: 'Manage images', manifest: 'Manage Docker image manifests and manifest lists', network: 'Manage networks',
  plugin: 'Manage plugins', registry: 'Run a private registry', system: 'Manage Berth', trust: 'Manage trust on Docker images', volume: 'Manage volumes',
};

export function rootHelp(globalFlags: FlagSpec[]): string {
  const common = ['run', 'exec', 'ps', 'build', 'pull', 'push', 'images', 'login', 'logout', 'search', 'version', 'info'].filter((c) => byName.has(c));
  const management = MANAGEMENT.filter((m) => all.some((c) => c.path.startsWith(`${m} `))).sort();
  const topLevel = new Set<string>();
  for (const c of all) for (const n of [c.path, ...(c.aliases ?? [])]) if (!n.includes(' ')) topLevel.add(n);
  const commands = [...topLevel].filter((n) => !common.includes(n) && !MANAGEMENT.includes(n)).sort();
  return [
    `Usage:  ${PROG} [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers\n`,
    section('Common Commands', common.map((c) => [c, short(c)])),
    section('Management Commands', management.map((m) => [m, MANAGEMENT_TITLES[m] ?? `Manage ${m}s`])),
    section('Commands', commands.map((c) => [c, short(c)])),
    `Global Options:\n${flagUsages(globalFlags)}`,
    `Run '${PROG} COMMAND --help' for more information on a command.\n`,
  ].join('\n');
}

export function managementHelp(name: string): string {
  const cmds = all.filter((c) => c.path.startsWith(`${name} `));
  const title = name === 'registry' ? MANAGEMENT_TITLES.registry : name === 'container' ? 'Manage containers' : name === 'image' ? 'Manage images' : name === 'system' ? 'Manage Berth' : `Manage ${name}s`;
  if (!cmds.length) return `Usage:  ${PROG} ${name} COMMAND\n\n${title}\n`;
  const rows: [string, string][] = cmds.map((c) => [c.path.split(' ')[1], c.short]);
  rows.sort((a, b) => a[0].localeCompare(b[0]));
  return `Usage:  ${PROG} ${name} COMMAND\n\n${title}\n\n${section('Commands', rows)}\nRun '${PROG} ${name} COMMAND --help' for more information on a command.\n`;
}
