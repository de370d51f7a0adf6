import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Argv } from 'yargs';
import { UserError } from '../../errors';
import { defaultSpec } from '../../oci/default-spec';
import { runCommand } from '../report';
import type { Args } from './options';

export const specCommand = {
  command: 'spec',
  describe: 'write a default config.json to start a bundle from (as runc spec does)',
  builder: (y: Argv) => y.option('bundle', { alias: 'b', type: 'string', default: '.', describe: 'where to write config.json' }),
  handler: (args: Args<{ bundle: string }>) =>
    runCommand('spec', args, () => {
      const file = path.join(args.bundle, 'config.json');
      if (fs.existsSync(file)) throw new UserError(`${file} exists already`, 'remove it first, or use --bundle to write elsewhere');
      fs.writeFileSync(file, JSON.stringify(defaultSpec(), null, 2) + '\n');
    }),
};
