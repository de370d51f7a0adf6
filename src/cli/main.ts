/**
 * The command line: runc's syntax (see shared/CLIENTS.md), one small module per command under
 * commands/. This file only wires them together; the work is in src/runtime/.
 */
import yargs from 'yargs';
import { DEFAULT_ROOT } from '../runtime/state-store';
import { commands } from './commands';

export function main(argv: string[]): void {
  // A reader that goes away (`nk-runtime -E run ... | head`) must not kill a command half-way:
  // it would leave a container half made. Output to a closed pipe is dropped instead.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  const version = require('../../package.json').version as string;
  let cli = yargs(argv)
    .scriptName('nk-runtime')
    .usage('$0 [global options] <command> [options] <container-id>\n\nAn educational OCI container runtime: -E narrates every kernel step.')
    .option('root', { type: 'string', default: DEFAULT_ROOT, describe: 'directory for container state', global: true })
    .option('educational', { alias: 'E', type: 'count', describe: 'narrate every kernel step as it happens (on stderr)', global: true })
    .option('debug', { type: 'boolean', default: false, describe: 'show stack traces of errors', global: true })
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

main(process.argv.slice(2));
