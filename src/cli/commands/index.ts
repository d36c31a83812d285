// Every CLI command, in help order. Each capability adds one import line.
import type { Command } from '../command.js';
import { sample } from './sample.js';
import { shots } from './shots.js';
import { evalShots } from './eval-shots.js';
import { analyze } from './analyze.js';
import { makeTruthCast, evalTracksCmd, evalClustersCmd } from './eval-cast.js';
import { comicsCommand } from './comics.js';
import { evalPanelsCommand } from './eval-panels.js';
import { characterCommands } from './characters.js';
import { evalCharacters } from './eval-characters.js';
import { interpolateCommand } from './interpolate.js';
import { evalInterpolate } from './eval-interpolate.js';
import { labelCommands } from './label.js';
import { app } from './app.js';
import { evalAppearancesCmd } from './eval-appearances.js';
import { modelCommands } from './models.js';
import { worker } from './worker.js';
import { queueStatusCmd } from './queue-status.js';

export const commands: Command[] = [
  sample,
  shots,
  evalShots,
  analyze,
  evalTracksCmd,
  evalClustersCmd,
  evalAppearancesCmd,
  makeTruthCast,
  ...labelCommands,
  app,
  comicsCommand,
  evalPanelsCommand,
  ...characterCommands,
  evalCharacters,
  interpolateCommand,
  evalInterpolate,
  ...modelCommands,
  worker,
  queueStatusCmd,
];
