import type { Argv } from 'yargs';
import { events } from '../../runtime/events';
import { parseDuration } from '../../runtime/duration';
import { writeOut } from '../../output';
import { runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const eventsCommand = {
  command: 'events <container-id>',
  describe: 'print resource usage (and OOM kills) of a container as JSON lines, until it stops',
  builder: (y: Argv) =>
    withId(y)
      .option('stats', { type: 'boolean', default: false, describe: 'print the usage once and exit' })
      .option('interval', { type: 'string', default: '5s', describe: 'time between stats lines: 500ms, 5s, 1m' }),
  handler: (args: Args<{ 'container-id': string; stats: boolean; interval: string }>) =>
    runCommand(`events ${args['container-id']}`, args, async () => {
      const intervalMs = parseDuration('--interval', args.interval);
      await events(contextFor(args), args['container-id'], { stats: args.stats, intervalMs }, (event) => writeOut(JSON.stringify(event) + '\n'));
    }),
};
