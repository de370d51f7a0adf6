/** Pieces the command modules share. */
import type { Argv } from 'yargs';
import { makeContext, type RuntimeContext } from '../../runtime/context';
import { warn, type GlobalOptions } from '../report';

export type Args<T> = GlobalOptions & T;

/** The runtime context for a command, from the global options. */
export function contextFor(args: GlobalOptions): RuntimeContext {
  return makeContext({ root: args.root, educational: args.educational > 0, warn: (message) => warn(args, message) });
}

export function withId<T>(y: Argv<T>) {
  return y.positional('container-id', { type: 'string', demandOption: true, describe: 'the container\'s ID' });
}

export function withBundle<T>(y: Argv<T>) {
  return y
    .option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'the bundle directory (config.json and rootfs)' })
    .option('pid-file', { type: 'string', describe: 'write the init\'s host pid to this file' });
}
