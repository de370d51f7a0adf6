import type { Argv } from 'yargs';
import { create } from '../../runtime/create';
import { requireRoot, runCommand } from '../report';
import { contextFor, dryRun, preserveFds, withBundle, withId, type Args } from './options';

export const createCommand = {
  command: 'create <container-id>',
  describe: 'create a container from a bundle: everything but starting the program',
  builder: (y: Argv) => withBundle(withId(y)),
  handler: (args: Args<{ 'container-id': string; bundle: string; 'pid-file'?: string; 'console-socket'?: string; 'no-pivot'?: boolean; 'preserve-fds'?: string; 'dry-run'?: boolean }>) =>
    runCommand(`create ${args['container-id']}`, args, async () => {
      const options = { bundle: args.bundle, pidFile: args['pid-file'], consoleSocket: args['console-socket'], preserveFds: preserveFds(args['preserve-fds']), systemdCgroup: args.systemdCgroup, noPivot: args['no-pivot'] };
      if (args['dry-run']) return dryRun(args).create('create', args['container-id'], options);
      requireRoot(true);
      await create(contextFor(args), args['container-id'], options);
      // The init lives on without us; nothing else keeps this process, so end now.
      return 0;
    }),
};
