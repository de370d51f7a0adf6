import type { Argv } from 'yargs';
import { containerState } from '../../runtime/query';
import { writeOut } from '../../output';
import { runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const stateCommand = {
  command: 'state <container-id>',
  describe: 'print the OCI state of a container as JSON',
  builder: (y: Argv) => withId(y),
  handler: (args: Args<{ 'container-id': string }>) =>
    runCommand(`state ${args['container-id']}`, args, () => {
      writeOut(JSON.stringify(containerState(contextFor(args), args['container-id']), null, 2) + '\n');
    }),
};
