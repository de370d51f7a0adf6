import type { Argv } from 'yargs';
import { kill } from '../../runtime/kill';
import { parseSignal } from '../../runtime/signals';
import { requireRoot, runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const killCommand = {
  command: 'kill <container-id> [signal]',
  describe: 'send a signal (default SIGTERM) to the container\'s init',
  builder: (y: Argv) =>
    withId(y)
      .positional('signal', { type: 'string', default: 'SIGTERM', describe: 'a name (TERM, SIGKILL) or a number (9)' })
      .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'signal every process in the container\'s cgroup' }),
  handler: (args: Args<{ 'container-id': string; signal: string; all: boolean }>) =>
    runCommand(`kill ${args['container-id']}`, args, () => {
      requireRoot();
      kill(contextFor(args), args['container-id'], parseSignal(String(args.signal)), args.all);
    }),
};
