import type { CommandDef } from '../../command';
import { containerInspect } from '../system/inspect';
import { attach } from './attach';
import { create } from './create';
import { exec } from './exec';
import { kill } from './kill';
import { prune } from './prune';
import { rename } from './rename';
import { rm } from './rm';
import { restart, stop } from './stop';
import { wait } from './wait';
import { logs } from './logs';
import { ps } from './ps';
import { run } from './run';
import { start } from './start';
import { stats } from './stats';
import { top } from './top';
import { pause, unpause } from './pause';
import { update } from './update';
import { diff } from './diff';
import { exportCmd } from './export';
import { commit } from './commit';

export const containerCommands: CommandDef[] = [run, create, start, ps, logs, exec, attach, stop, restart, kill, wait, rm, rename, prune, containerInspect,
  stats, top, pause, unpause, update, diff, exportCmd, commit];
