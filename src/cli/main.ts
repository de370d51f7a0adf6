/**
 * The command line: runc's syntax (see shared/CLIENTS.md), one small module per command under
 * commands/. This file only wires them together; the work is in src/runtime/.
 *
 * Every command starts a fresh process, so what it loads is paid on every call: the plain forms
 * of the hot commands are read by argv.ts and load only their own command's module; everything
 * else goes through yargs, which is loaded only then.
 */
import type { CommandModule } from 'yargs';
import { DEFAULT_ROOT } from '../runtime/state-store';
import { parseHot, type HotCommand } from './argv';
import { mark } from '../log';
import { isSingleExecutable } from '../engine';
import { exitNow } from '../linux/libc';

/** Each hot command's module, loaded on demand. */
const HOT: Record<HotCommand, () => CommandModule> = {
  create: () => require('./commands/create').createCommand,
  start: () => require('./commands/start').startCommand,
  run: () => require('./commands/run').runContainerCommand,
  state: () => require('./commands/state').stateCommand,
  kill: () => require('./commands/kill').killCommand,
  delete: () => require('./commands/delete').deleteCommand,
  exec: () => require('./commands/exec').execCommand,
};

/**
 * The commands of a container's lifecycle, which write everything synchronously (output.ts): in
 * the single executable they end with exitNow() once done, not with Bun's own exit, which takes
 * about 0.4 ms more each (docs/performance.md). Not `run` or `exec`: they may relay a terminal
 * through streams, which must be flushed. Not with DEBUG either: `debug` writes through one.
 */
const ENDS_AT_ONCE = new Set<HotCommand>(['create', 'start', 'state', 'kill', 'delete']);

export function main(argv: string[]): void {
  mark('cli: modules loaded');
  const hot = parseHot(argv);
  mark(`cli: ${hot ? hot.command : 'yargs'}`);
  if (hot) {
    const command = HOT[hot.command]();
    mark('cli: command loaded');
    const done = command.handler(hot.args as never) as unknown as Promise<void>;
    if (isSingleExecutable && ENDS_AT_ONCE.has(hot.command) && !process.env.DEBUG) {
      void done.then(() => exitNow(Number(process.exitCode ?? 0)));
    }
  }
  else withYargs(argv);
}

function withYargs(argv: string[]): void {
  const yargs: typeof import('yargs').default = require('yargs');
  const { commands } = require('./commands') as typeof import('./commands');
  const version = require('../../package.json').version as string;
  // yargs prints through process.stdout and process.stderr: as in output.ts, a reader that went
  // away is not an error.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  let cli = yargs(stdinDash(argv))
    .scriptName('nk-runtime')
    .usage('$0 [global options] <command> [options] <container-id>\n\nAn educational OCI container runtime: -E narrates every kernel step.')
    .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state', global: true })
    .option('educational', { alias: 'E', type: 'count', describe: 'narrate every kernel step as it happens (on stderr)', global: true })
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces of errors', global: true })
    .option('step', { type: 'boolean', default: false, describe: 'pause before each kernel step, say what to look at, go on at Enter (implies -E)', global: true })
    .option('log', { type: 'string', describe: 'also write errors to this file', global: true })
    .option('log-format', { type: 'string', choices: ['text', 'json'], default: 'text', describe: 'format of --log', global: true })
    .option('systemd-cgroup', { type: 'boolean', default: false, hidden: true, global: true })
    .version(version)
    .help()
    .alias('help', 'h')
    .strict()
    .demandCommand(1, 'Say which command to run: nk-runtime --help lists them.')
    .recommendCommands()
    .wrap(Math.min(100, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      // yargs spreads some messages over lines ("Invalid values:\n  Argument: ..."): keep one.
      process.stderr.write(`nk-runtime: ${String(msg ?? '').trim().replace(/\s*\n\s*/g, ' ')}\n  hint: nk-runtime --help\n`);
      process.exit(2);
    });
  for (const command of commands) cli = cli.command(command);
  void cli.parseAsync();
}

/**
 * "--resources -" (stdin, as runc's update takes it): yargs reads a lone "-" after a long option
 * as no value at all; "--resources=-" it reads right.
 */
function stdinDash(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') return [...out, ...argv.slice(i)];
    if (/^--[\w-]+$/.test(argv[i]) && argv[i + 1] === '-') out.push(`${argv[i++]}=-`);
    else out.push(argv[i]);
  }
  return out;
}

main(process.argv.slice(2));
