import type { CommandDef } from '../../command';
import { networkConnectCmd, networkCreateCmd, networkDisconnectCmd, networkInspectCmd, networkLs, networkPruneCmd, networkRm } from './network';
import { port } from './port';

export const networkCommands: CommandDef[] = [networkConnectCmd, networkCreateCmd, networkDisconnectCmd, networkInspectCmd, networkLs, networkPruneCmd, networkRm, port];
