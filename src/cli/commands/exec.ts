import type { Argv } from 'yargs';
import { exec } from '../../runtime/exec';
import { requireRoot, runCommand } from '../report';
import { contextFor, DRY_RUN, dryRun, preserveFds, withId, type Args } from './options';

export const execCommand = {
  command: 'exec <container-id> [command..]',
  describe: 'run a command in a running container (in its namespaces and cgroups)',
  builder: (y: Argv) =>
    withId(y)
      .positional('command', { type: 'string', array: true, describe: 'the command and its arguments' })
      .option('process', { alias: 'p', type: 'string', describe: 'a process.json (the OCI "process" object) instead of a command' })
      .option('cwd', { type: 'string', describe: 'working directory inside the container' })
      .option('env', { alias: 'e', type: 'string', array: true, default: [], describe: 'KEY=VALUE to set (repeatable)' })
      .option('user', { alias: 'u', type: 'string', describe: 'UID or UID:GID' })
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'do not wait for the command' })
      .option('pid-file', { type: 'string', describe: 'write the process\'s host pid to this file' })
      .option('tty', { alias: 't', type: 'boolean', default: false, describe: 'a terminal: shown here, or sent to --console-socket' })
      .option('console-socket', { type: 'string', describe: 'send the terminal master fd to this unix socket' })
      .option('preserve-fds', { type: 'string', describe: 'pass fds 3 to 2+N on to the command as they are' })
      .option('dry-run', DRY_RUN),
  handler: (
    args: Args<{ 'container-id': string; command?: string[]; process?: string; cwd?: string; env: string[]; user?: string; detach: boolean; 'pid-file'?: string; tty: boolean; 'console-socket'?: string; 'preserve-fds'?: string; 'dry-run'?: boolean }>,
  ) =>
    runCommand(`exec ${args['container-id']}`, args, async () => {
      const options = {
        processFile: args.process,
        args: (args.command ?? []).map(String),
        cwd: args.cwd,
        env: args.env.map(String),
        user: args.user,
        detach: args.detach,
        pidFile: args['pid-file'],
        tty: args.tty,
        consoleSocket: args['console-socket'],
        preserveFds: preserveFds(args['preserve-fds']),
      };
      if (args['dry-run']) return dryRun(args).exec(args['container-id'], options);
      requireRoot(true);
      return exec(contextFor(args), args['container-id'], options);
    }),
};
