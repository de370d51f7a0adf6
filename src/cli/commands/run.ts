import type { Argv } from 'yargs';
import { run } from '../../runtime/run';
import { requireRoot, runCommand } from '../report';
import { contextFor, preserveFds, withBundle, withId, type Args } from './options';

export const runContainerCommand = {
  command: 'run <container-id>',
  describe: 'create and start a container; attached, wait for it, delete it and exit with its status',
  builder: (y: Argv) =>
    withBundle(withId(y)).option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'do not wait for the container' }),
  handler: (args: Args<{ 'container-id': string; bundle: string; 'pid-file'?: string; detach: boolean; 'console-socket'?: string; 'no-pivot'?: boolean; 'preserve-fds'?: string }>) =>
    runCommand(`run ${args['container-id']}`, args, async () => {
      requireRoot();
      return run(contextFor(args), args['container-id'], { bundle: args.bundle, pidFile: args['pid-file'], consoleSocket: args['console-socket'], preserveFds: preserveFds(args['preserve-fds']), systemdCgroup: args.systemdCgroup, noPivot: args['no-pivot'], detach: args.detach });
    }),
};
