/** `nk-runtime ps`: the processes of a container, found through its cgroup (host pids). */
import { files as fs } from '../linux/files';
import { UserError } from '../errors';
import { cgroupFromPlacement } from '../linux/cgroups';
import type { RuntimeContext } from './context';
import { deriveStatus } from './status';

export interface ProcessInfo {
  pid: number;
  command: string;
}

export function listProcesses(ctx: RuntimeContext, id: string): ProcessInfo[] {
  const container = ctx.store.existing(id);
  const state = container.readState();
  if (deriveStatus(container, state) === 'stopped') return [];
  if (!state.cgroup) throw new UserError(`container ${id} has no cgroup recorded`);
  return cgroupFromPlacement(ctx.kernel, state.cgroup)
    .pids()
    .sort((a, b) => a - b)
    .map((pid) => ({ pid, command: commandLine(pid) }));
}

/** /proc/<pid>/cmdline: the arguments, NUL-separated (man 5 proc). */
function commandLine(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}
