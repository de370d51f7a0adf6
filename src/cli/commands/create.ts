import type { Argv } from 'yargs';
import { create } from '../../runtime/create';
import { requireRoot, runCommand } from '../report';
import { contextFor, preserveFds, withBundle, withId, type Args } from './options';

export const createCommand = {
  command: 'create <container-id>',
  describe: 'create a container from a bundle: everything but starting the program',
  builder: (y: Argv) => withBundle(withId(y)),
  handler: (args: Args<{ 'container-id': string; bundle: string; 'pid-file'?: string; 'console-socket'?: string; 'no-pivot'?: boolean; 'preserve-fds'?: string }>) =>
    runCommand(`create ${args['container-id']}`, args, async () => {
      requireRoot();
      await create(contextFor(args), args['container-id'], { bundle: args.bundle, pidFile: args['pid-file'], consoleSocket: args['console-socket'], preserveFds: preserveFds(args['preserve-fds']), systemdCgroup: args.systemdCgroup, noPivot: args['no-pivot'] });
      // The init lives on without us; nothing else keeps this process, so end now.
      return 0;
    }),
};
