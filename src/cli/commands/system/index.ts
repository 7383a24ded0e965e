import type { CommandDef } from '../../command';
import { events } from './events';
import { info } from './info';
import { inspect } from './inspect';
import { version } from './version';

export const systemCommands: CommandDef[] = [version, info, events, inspect];
