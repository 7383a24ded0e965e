import type { CommandDef } from '../../command';
import { dialStdio } from './dial-stdio';
import { events } from './events';
import { info } from './info';
import { inspect } from './inspect';
import { version } from './version';

export const systemCommands: CommandDef[] = [version, info, events, inspect, dialStdio];
