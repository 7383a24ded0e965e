import type { CommandDef } from '../../command';
import { imageInspect } from '../system/inspect';
import { history } from './history';
import { images } from './ls';
import { rmi } from './rm';
import { tag } from './tag';
import { importCmd } from './import';

export const imageCommands: CommandDef[] = [images, history, tag, rmi, importCmd, imageInspect];
