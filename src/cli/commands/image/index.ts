import type { CommandDef } from '../../command';
import { imageInspect } from '../system/inspect';
import { history, images, rmi, tag } from './images';
import { importCmd } from './import';

export const imageCommands: CommandDef[] = [images, history, tag, rmi, importCmd, imageInspect];
