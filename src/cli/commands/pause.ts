import type { Argv } from 'yargs';
import { pause, resume } from '../../runtime/pause';
import { requireRoot, runCommand } from '../report';
import { contextFor, withId, type Args } from './options';

export const pauseCommand = {
  command: 'pause <container-id>',
  describe: 'freeze every process of a running container (its cgroup\'s freezer)',
  builder: (y: Argv) => withId(y),
  handler: (args: Args<{ 'container-id': string }>) =>
    runCommand(`pause ${args['container-id']}`, args, () => {
      requireRoot();
      pause(contextFor(args), args['container-id']);
    }),
};

export const resumeCommand = {
  command: 'resume <container-id>',
  describe: 'thaw a paused container: its processes go on where they stopped',
  builder: (y: Argv) => withId(y),
  handler: (args: Args<{ 'container-id': string }>) =>
    runCommand(`resume ${args['container-id']}`, args, () => {
      requireRoot();
      resume(contextFor(args), args['container-id']);
    }),
};
