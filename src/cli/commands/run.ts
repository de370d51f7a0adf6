import * as path from 'node:path';
import type { Argv } from 'yargs';
import { UserError } from '../../errors';
import { run } from '../../runtime/run';
import { requireRoot, runCommand } from '../report';
import { contextFor, dryRun, preserveFds, withBundle, withId, type Args } from './options';

export const runContainerCommand = {
  command: 'run <container-id>',
  describe: 'create and start a container; attached, wait for it, delete it and exit with its status',
  builder: (y: Argv) =>
    withBundle(withId(y))
      .option('detach', { alias: 'd', type: 'boolean', default: false, describe: 'do not wait for the container' })
      .option('timeout', { type: 'string', describe: 'SIGTERM the container after this long (10s, 500ms, 2m), SIGKILL after the grace; exit status 124' })
      .option('timeout-grace', { type: 'string', describe: 'time between SIGTERM and SIGKILL for --timeout (default 2s)' })
      .option('result', { type: 'string', describe: 'write how the program ended and what it used (exit code or signal, timed out, OOM-killed, wall and CPU time, peak memory) to this file, as JSON' }),
  handler: (args: Args<{ 'container-id': string; bundle: string; 'pid-file'?: string; detach: boolean; 'console-socket'?: string; 'no-pivot'?: boolean; 'preserve-fds'?: string; timeout?: string; 'timeout-grace'?: string; result?: string; 'dry-run'?: boolean }>) =>
    runCommand(`run ${args['container-id']}`, args, async () => {
      if (!args['dry-run']) requireRoot(true);
      if (args['timeout-grace'] !== undefined && args.timeout === undefined) throw new UserError('--timeout-grace: only with --timeout');
      if (args.timeout !== undefined && args.detach) throw new UserError('--timeout: only for an attached run (without --detach)', 'for a detached container, use nk-runtime kill when its time is up');
      if (args.result !== undefined && args.detach) throw new UserError('--result: only for an attached run (without --detach)', 'a detached container is not waited for: there is no end to report');
      const timeout = args.timeout === undefined ? undefined : runTimeout(args.timeout, args['timeout-grace']);
      if (args['dry-run']) return dryRun(args).create('run', args['container-id'], { bundle: args.bundle, pidFile: args['pid-file'], consoleSocket: args['console-socket'], preserveFds: preserveFds(args['preserve-fds']), systemdCgroup: args.systemdCgroup, noPivot: args['no-pivot'], detach: args.detach, timeout: timeout?.text, resultFile: args.result === undefined ? undefined : path.resolve(args.result) });
      return run(contextFor(args), args['container-id'], { bundle: args.bundle, pidFile: args['pid-file'], consoleSocket: args['console-socket'], preserveFds: preserveFds(args['preserve-fds']), systemdCgroup: args.systemdCgroup, noPivot: args['no-pivot'], detach: args.detach, timeout, resultFile: args.result === undefined ? undefined : path.resolve(args.result) });
    }),
};

/** --timeout and --timeout-grace as milliseconds (the parser is loaded only when they are given). */
function runTimeout(timeout: string, grace: string | undefined): { ms: number; graceMs: number; text: string } {
  const { parseDuration } = require('../../runtime/duration') as typeof import('../../runtime/duration');
  return { ms: parseDuration('--timeout', timeout), graceMs: grace === undefined ? 2000 : parseDuration('--timeout-grace', grace), text: timeout };
}
