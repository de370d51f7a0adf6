import type { Argv } from 'yargs';
import { start } from '../../runtime/start';
import { requireRoot, runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const startCommand = {
  command: 'start <container-id>',
  describe: 'start the program of a created container',
  builder: (y: Argv) => withId(y),
  handler: (args: Args<{ 'container-id': string }>) =>
    runCommand(`start ${args['container-id']}`, args, async () => {
      requireRoot();
      await start(contextFor(args), args['container-id']);
    }),
};
