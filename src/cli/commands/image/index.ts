import type { CommandDef } from '../../command';
import { imageInspect } from '../system/inspect';
import { history } from './history';
import { images } from './ls';
import { rmi } from './rm';
import { tag } from './tag';
import { importCmd } from './import';
import { pull, push } from './pull';
import { login, logout } from './login';
import { save, load } from './save';
import { imagePrune } from './prune';

export const imageCommands: CommandDef[] = [images, history, tag, rmi, importCmd, imageInspect, pull, push, login, logout, save, load, imagePrune];
