/**
 * `nk-runtime delete`: remove a stopped container: its cgroup and its state dir. The mounts need
 * no work: they lived in the container's mount namespace, which died with its last process.
 * With --force a container that still runs is killed (SIGKILL) first.
 */
import { UserError } from '../errors';
import { cgroupFromPlacement } from '../linux/cgroups';
import { isFrozen, thaw } from '../linux/cgroups/freezer';
import type { RuntimeContext } from './context';
import { mark } from '../log';
import { hookState, runHooks } from './hooks';
import { sendIgnoringGone } from './kill';
import { deriveStatus, processStartTime } from './status';
import type { SavedState } from './state-store';

const SIGKILL = 9;

export async function deleteContainer(ctx: RuntimeContext, id: string, force: boolean): Promise<void> {
  const container = ctx.store.container(id);
  // containerd's shim deletes again after the container is gone: with --force that is fine.
  if (!container.exists() && force) return;
  ctx.store.existing(id);
  const unlock = container.lock(ctx.kernel);
  try {
    const state = container.readState();
    mark('delete: locked, state read');
    const status = deriveStatus(container, state);
    if (status !== 'stopped') {
      if (!force) {
        throw new UserError(`cannot delete container ${id}: it is ${status}`, `stop it first (nk-runtime kill ${id} KILL), or use delete --force`);
      }
      ctx.narrator?.heading(`nk-runtime delete --force ${id}  (it is ${status}: killing it first)`);
      await killEverything(ctx, state);
    } else {
      ctx.narrator?.heading(`nk-runtime delete ${id}`);
    }
    if (state.cgroup) cgroupFromPlacement(ctx.kernel.because('cleanup'), state.cgroup).destroy();
    mark('delete: cgroup removed');
    if (state.hooks?.poststop) {
      runHooks(ctx.kernel, 'poststop', state.hooks.poststop, hookState(state, 'stopped'), (message) => ctx.warn(`delete ${id}: ${message}`));
    }
    container.remove();
    mark('delete: state dir removed');
  } finally {
    unlock();
  }
  // The container's trace.jsonl is gone with its dir: only NK_TRACE_FILE's copy keeps these steps.
  if (process.env.NK_TRACE_FILE) ctx.saveTrace(container.dir, `delete ${id}`);
}

/** SIGKILL the init and everything in the cgroup, then wait until they are gone (at most 10 s). */
async function killEverything(ctx: RuntimeContext, state: SavedState): Promise<void> {
  const k = ctx.kernel.because('delete --force');
  const cgroup = state.cgroup ? cgroupFromPlacement(ctx.kernel, state.cgroup) : undefined;
  const alive = () => {
    const pids = cgroup?.pids() ?? [];
    const started = state.pid ? processStartTime(state.pid) : undefined;
    if (started !== undefined && (!state.pidStartTime || started === state.pidStartTime)) pids.push(state.pid!);
    return [...new Set(pids)];
  };
  for (let waited = 0; waited < 10_000; waited += 10) {
    const pids = alive();
    if (pids.length === 0) return;
    if (waited % 500 === 0) {
      for (const pid of pids) sendIgnoringGone(() => k.kill(pid, SIGKILL));
      // A paused container's processes die only once thawed (see kill.ts).
      if (state.cgroup && isFrozen(state.cgroup)) thaw(ctx.kernel, state.cgroup, 'delete --force');
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new UserError(`processes of container ${state.id} did not die after SIGKILL: ${alive().join(' ')}`);
}
