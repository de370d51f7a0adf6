/** `nk-runtime kill`: send a signal to the container's init, or with --all to every process in its cgroup. */
import { UserError } from '../errors';
import { cgroupFromPlacement } from '../linux/cgroups';
import { thaw } from '../linux/cgroups/freezer';
import { KernelError } from '../linux/kernel';
import type { RuntimeContext } from './context';
import { deriveStatus } from './status';

const SIGKILL = 9;

export function kill(ctx: RuntimeContext, id: string, signal: number, all: boolean): void {
  const container = ctx.store.existing(id);
  const unlock = container.lock(ctx.kernel);
  try {
    const state = container.readState();
    const status = deriveStatus(container, state);
    // containerd looks for "container not running" in this message and then carries on.
    if (status === 'stopped') throw new UserError(`cannot kill container ${id}: container not running`);
    const k = ctx.kernel.because('kill');
    if (all && state.cgroup) {
      for (const pid of cgroupFromPlacement(ctx.kernel, state.cgroup).pids()) sendIgnoringGone(() => k.kill(pid, signal));
    } else {
      k.kill(state.pid!, signal);
    }
    // A frozen process acts on no signal, not even SIGKILL: it stays pending until the thaw. So a
    // paused container that is killed is thawed, and dies (runc does the same). Other signals
    // wait for `resume`, as they would under runc.
    if (status === 'paused' && signal === SIGKILL) thaw(ctx.kernel, state.cgroup!, 'kill');
  } finally {
    ctx.saveTrace(container.dir, `kill ${id}`);
    unlock();
  }
}

/** A process can exit between listing and signalling it: that is not an error. */
export function sendIgnoringGone(send: () => void): void {
  try {
    send();
  } catch (err) {
    if (!(err instanceof KernelError && err.code === 'ESRCH')) throw err;
  }
}
