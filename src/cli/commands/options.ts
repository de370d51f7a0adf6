/** Pieces the command modules share. */
import type { Argv } from 'yargs';
import { UserError } from '../../errors';
import { makeContext, type RuntimeContext } from '../../runtime/context';
import { warn, type GlobalOptions } from '../report';

export type Args<T> = GlobalOptions & T;

/** The runtime context for a command, from the global options. */
export function contextFor(args: GlobalOptions): RuntimeContext {
  // --step implies -E: a pause shows the step, the narration its result.
  return makeContext({ root: args.root, educational: args.educational > 0 || args.step === true, explainLevel: Math.max(args.educational, args.step ? 1 : 0), step: args.step, warn: (message) => warn(args, message) });
}

export function withId<T>(y: Argv<T>) {
  return y.positional('container-id', { type: 'string', demandOption: true, describe: 'the container\'s ID' });
}

export function withBundle<T>(y: Argv<T>) {
  return y
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'the bundle directory (config.json and rootfs)' })
    .option('pid-file', { type: 'string', describe: 'write the init\'s host pid to this file' })
    .option('console-socket', { type: 'string', describe: 'send the terminal master fd to this unix socket (process.terminal)' })
    .option('no-pivot', { type: 'boolean', describe: 'MS_MOVE and chroot instead of pivot_root (for a rootfs on a ramdisk; weaker)' })
    .option('no-new-keyring', { type: 'boolean', describe: 'accepted: nk-runtime never makes a session keyring' })
    .option('preserve-fds', { type: 'string', describe: 'pass fds 3 to 2+N on to the program as they are' })
    .option('dry-run', DRY_RUN);
}

/** --dry-run, for create, run and exec. */
export const DRY_RUN = {
  type: 'boolean',
  default: false,
  describe: 'change nothing, need no root: narrate (as -E) every call the command would make, the init\'s too, up to execve',
} as const;

/**
 * The dry run's module (src/runtime/dry-run.ts), loaded only for --dry-run, and its options from
 * the global ones: -E is implied.
 */
export function dryRun(args: GlobalOptions) {
  const module = require('../../runtime/dry-run') as typeof import('../../runtime/dry-run');
  const options = { root: args.root, explainLevel: Math.max(1, args.educational), warn: (message: string) => warn(args, message) };
  return {
    create: (command: 'create' | 'run', id: string, create: Parameters<typeof module.dryRunCreate>[3]) => module.dryRunCreate(options, command, id, create),
    exec: (id: string, exec: Parameters<typeof module.dryRunExec>[2]) => module.dryRunExec(options, id, exec),
  };
}

/**
 * --preserve-fds N: a count of fds. Whether 3 to 2+N are the caller's cannot be checked here: the
 * engine (Node or Bun) opens fds of its own at start-up, in the first free numbers. As with runc,
 * the caller must have them open.
 */
export function preserveFds(value: string | undefined): number {
  if (value === undefined) return 0;
  if (!/^\d+$/.test(String(value))) throw new UserError(`--preserve-fds ${value}: must be a number of fds (0 or more)`);
  return Number(value);
}
