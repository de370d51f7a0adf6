import type { Argv } from 'yargs';
import { features } from '../../runtime/features';
import { writeOut } from '../../output';
import { runCommand } from '../report';
import type { Args } from './options';

export const featuresCommand = {
  command: 'features',
  describe: 'print what nk-runtime supports, as OCI features JSON',
  builder: (y: Argv) => y,
  handler: (args: Args<object>) =>
    runCommand('features', args, () => {
      writeOut(JSON.stringify(features(require('../../../package.json').version), null, 2) + '\n');
    }),
};
