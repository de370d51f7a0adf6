import type { Argv } from 'yargs';
import * as fs from 'node:fs';
import { UserError } from '../../errors';
import { parseTrace, traceMermaid, traceText } from '../../explain/trace-format';
import { writeOut } from '../../output';
import { runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const traceCommand = {
  command: 'trace <container-id>',
  describe: "the container's life so far: every kernel call of create, start, exec, pause, resume and kill, in order",
  builder: (y: Argv) =>
    withId(y).option('format', { type: 'string', choices: ['text', 'json', 'mermaid'], default: 'text', describe: 'a timeline, JSON lines, or a Mermaid sequence diagram' }),
  handler: (args: Args<{ 'container-id': string; format: string }>) =>
    runCommand(`trace ${args['container-id']}`, args, () => {
      const container = contextFor(args).store.existing(args['container-id']);
      let text: string;
      try {
        text = fs.readFileSync(`${container.dir}/trace.jsonl`, 'utf8');
      } catch {
        throw new UserError(`container ${args['container-id']} has no trace yet`, 'its create has not finished');
      }
      if (args.format === 'json') writeOut(text);
      else if (args.format === 'mermaid') writeOut(traceMermaid(parseTrace(text)));
      else writeOut(traceText(parseTrace(text)));
    }),
};
