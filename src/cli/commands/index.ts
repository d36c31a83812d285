// Every CLI command, in help order. Each capability adds one import line.
import type { Command } from '../command.js';

export const commands: Command[] = [];
