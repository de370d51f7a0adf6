/**
 * A container's status is derived, not stored, as runc does: the runtime is not running between
 * commands, so nothing would keep a stored status true when the program exits on its own.
 *
 *   creating  create has not finished (or crashed before it did)
 *   created   the init is alive and blocked on exec.fifo: the program has not started
 *   running   the init is alive and exec.fifo is gone: the program runs (it *is* the init now)
 *   paused    running, but its cgroup is frozen (`pause`): its processes are stopped
 *   stopped   the init is gone, or its pid now belongs to another process
 */
import { files as fs } from '../linux/files';
import { isFrozen } from '../linux/cgroups/freezer';
import type { ContainerDir, SavedState } from './state-store';

export type Status = 'creating' | 'created' | 'running' | 'stopped' | 'paused';

/**
 * The start time of a process, in clock ticks after boot: field 22 of /proc/<pid>/stat (man 5
 * proc). A pid can be reused once its process is gone; the start time cannot, so pid + start
 * time names one process for the life of the machine. Undefined when there is no such process,
 * or when it has exited and only its zombie remains.
 */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3, the state: Z is a zombie, X is dead. Neither runs anything any more.
  if (fields[0] === 'Z' || fields[0] === 'X') return undefined;
  return fields[19];
}

/** Is the process recorded in `state` still the same, living process? */
export function initAlive(state: SavedState): boolean {
  if (!state.pid || !state.pidStartTime) return false;
  return processStartTime(state.pid) === state.pidStartTime;
}

export function deriveStatus(container: ContainerDir, state: SavedState): Status {
  if (state.creating) {
    // A create that died half-way leaves this; if its init is gone too, nothing runs.
    return state.pid && processStartTime(state.pid) !== undefined ? 'creating' : 'stopped';
  }
  if (!initAlive(state)) return 'stopped';
  if (fs.existsSync(container.execFifo)) return 'created';
  // As runc: the freezer is the truth, whoever froze the cgroup.
  if (state.cgroup && isFrozen(state.cgroup)) return 'paused';
  return 'running';
}
