import type { CommandDef } from '../../command';
import { volumeCreateCmd, volumeInspectCmd, volumeLs, volumePruneCmd, volumeRm } from './volume';
import { cp } from './cp';
import { systemDf } from './df';

/** `volume ...`, plus `cp` and `system df`, which belong to the same work (volumes, archive, disk usage). */
export const volumeCommands: CommandDef[] = [volumeCreateCmd, volumeLs, volumeInspectCmd, volumeRm, volumePruneCmd, cp, systemDf];
