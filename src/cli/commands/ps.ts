import type { Argv } from 'yargs';
import { listProcesses } from '../../runtime/ps';
import { writeOut } from '../../output';
import { runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const psCommand = {
  command: 'ps <container-id>',
  describe: 'list the processes of a container (host pids)',
  builder: (y: Argv) => withId(y).option('format', { alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table' }),
  handler: (args: Args<{ 'container-id': string; format: string }>) =>
    runCommand(`ps ${args['container-id']}`, args, () => {
      const processes = listProcesses(contextFor(args), args['container-id']);
      if (args.format === 'json') writeOut(JSON.stringify(processes.map((p) => p.pid)) + '\n');
      else writeOut(['PID      CMD', ...processes.map((p) => `${String(p.pid).padEnd(8)} ${p.command}`)].join('\n') + '\n');
    }),
};
