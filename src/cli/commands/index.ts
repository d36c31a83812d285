// Every CLI command, in help order. Each capability adds one import line.
import type { Command } from '../command.js';
import { comicsCommand } from './comics.js';
import { evalPanelsCommand } from './eval-panels.js';

export const commands: Command[] = [comicsCommand, evalPanelsCommand];
