import type { Argv } from 'yargs';
import { deleteContainer } from '../../runtime/delete';
import { requireRoot, runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const deleteCommand = {
  command: 'delete <container-id>',
  describe: 'remove a stopped container (--force: kill it first)',
  builder: (y: Argv) => withId(y).option('force', { alias: 'f', type: 'boolean', default: false, describe: 'kill a container that still runs, then remove it' }),
  handler: (args: Args<{ 'container-id': string; force: boolean }>) =>
    runCommand(`delete ${args['container-id']}`, args, async () => {
      requireRoot();
      await deleteContainer(contextFor(args), args['container-id'], args.force);
    }),
};
