/**
 * `nk-runtime pause` and `resume`: freeze every process of a running container, and thaw them
 * (src/linux/cgroups/freezer.ts). Nothing is stored: `state` reads the freezer to say "paused".
 */
import { UserError } from '../errors';
import { freeze, thaw } from '../linux/cgroups/freezer';
import type { RuntimeContext } from './context';
import { deriveStatus } from './status';

export function pause(ctx: RuntimeContext, id: string): void {
  const container = ctx.store.existing(id);
  const unlock = container.lock(ctx.kernel);
  try {
    const state = container.readState();
    const status = deriveStatus(container, state);
    if (status !== 'running') {
      const hint = status === 'paused' ? undefined : status === 'created' ? `start it first (nk-runtime start ${id})` : undefined;
      throw new UserError(`cannot pause container ${id}: it is ${status}, not running`, hint);
    }
    if (!state.cgroup) throw new UserError(`cannot pause container ${id}: it has no cgroup recorded`);
    ctx.narrator?.heading(`nk-runtime pause ${id}`);
    freeze(ctx.kernel, state.cgroup, 'pause');
    ctx.saveTrace(container.dir, `pause ${id}`);
  } finally {
    unlock();
  }
}

export function resume(ctx: RuntimeContext, id: string): void {
  const container = ctx.store.existing(id);
  const unlock = container.lock(ctx.kernel);
  try {
    const state = container.readState();
    const status = deriveStatus(container, state);
    if (status !== 'paused') throw new UserError(`cannot resume container ${id}: it is ${status}, not paused`);
    ctx.narrator?.heading(`nk-runtime resume ${id}`);
    thaw(ctx.kernel, state.cgroup!, 'resume');
    ctx.saveTrace(container.dir, `resume ${id}`);
  } finally {
    unlock();
  }
}
