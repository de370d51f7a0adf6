/** Every command of the CLI, in the order `--help` lists them. */
import type { CommandModule } from 'yargs';
import { createCommand } from './create';
import { startCommand } from './start';
import { runContainerCommand } from './run';
import { stateCommand } from './state';
import { killCommand } from './kill';
import { deleteCommand } from './delete';
import { execCommand } from './exec';
import { psCommand } from './ps';
import { pauseCommand, resumeCommand } from './pause';
import { updateCommand } from './update';
import { eventsCommand } from './events';
import { featuresCommand } from './features';
import { listCommand } from './list';
import { specCommand } from './spec';
import { traceCommand } from './trace';

export const commands = [
  createCommand,
  startCommand,
  runContainerCommand,
  stateCommand,
  killCommand,
  deleteCommand,
  execCommand,
  listCommand,
  specCommand,
  psCommand,
  pauseCommand,
  resumeCommand,
  updateCommand,
  eventsCommand,
  featuresCommand,
  traceCommand,
] as unknown as CommandModule[];
