import type { Argv } from 'yargs';
import { listContainers } from '../../runtime/query';
import { writeOut } from '../../output';
import { runCommand } from '../report';
import { contextFor, type Args } from './options';

export const listCommand = {
  command: 'list',
  describe: 'list the containers',
  builder: (y: Argv) =>
    y
      .option('format', { alias: 'f', type: 'string', choices: ['table', 'json'], default: 'table' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print only the IDs' }),
  handler: (args: Args<{ format: string; quiet: boolean }>) =>
    runCommand('list', args, () => {
      const states = listContainers(contextFor(args));
      if (args.quiet) {
        writeOut(states.map((s) => s.id + '\n').join(''));
      } else if (args.format === 'json') {
        writeOut(JSON.stringify(states) + '\n');
      } else {
        const rows = [['ID', 'PID', 'STATUS', 'BUNDLE', 'CREATED'], ...states.map((s) => [s.id, String(s.pid), s.status, s.bundle, s.created])];
        const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
        writeOut(rows.map((r) => r.map((c, i) => c.padEnd(widths[i])).join('   ').trimEnd() + '\n').join(''));
      }
    }),
};
