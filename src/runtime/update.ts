/**
 * `nk-runtime update`: change the resource limits of a container that exists (created, running
 * or paused), through the same cgroup code that create used.
 *
 * As runc: the new values (a LinuxResources JSON from --resources, then the flags on top) are
 * merged into the container's saved config, field by field; every group the update names
 * (memory, cpu, ...) is then written again whole, so that values the kernel checks against each
 * other (a memory limit and its swap, a CPU quota and its period) go together.
 */
import { UserError } from '../errors';
import { cgroupFromPlacement, type CgroupPlacement, type LinuxResources } from '../linux/cgroups';
import type { RuntimeContext } from './context';
import { deriveStatus } from './status';

/** Merge `update` into `old`: objects field by field, lists (devices, hugepageLimits) replaced. */
export function mergeResources(old: LinuxResources, update: LinuxResources): LinuxResources {
  const merged: Record<string, unknown> = { ...old };
  for (const [group, value] of Object.entries(update)) {
    const before = merged[group];
    const isObject = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
    merged[group] = isObject(value) && isObject(before) ? { ...(before as object), ...(value as object) } : value;
  }
  return merged as LinuxResources;
}

/** The groups `update` names, with their merged values: what apply() writes. */
export function resourcesToApply(merged: LinuxResources, update: LinuxResources): LinuxResources {
  const out: Record<string, unknown> = {};
  for (const group of Object.keys(update)) out[group] = (merged as Record<string, unknown>)[group];
  return out as LinuxResources;
}

export function update(ctx: RuntimeContext, id: string, changes: LinuxResources): void {
  const container = ctx.store.existing(id);
  const unlock = container.lock(ctx.kernel);
  try {
    const state = container.readState();
    const status = deriveStatus(container, state);
    if (status === 'stopped' || status === 'creating') {
      throw new UserError(`cannot update container ${id}: it is ${status}`);
    }
    if (!state.cgroup) throw new UserError(`cannot update container ${id}: it has no cgroup recorded`);
    if (Object.keys(changes).length === 0) {
      throw new UserError('update: nothing to change', 'give --resources FILE (or - for stdin), or flags such as --memory, --pids-limit');
    }
    ctx.narrator?.heading(`nk-runtime update ${id}`);
    const spec = container.readConfig();
    spec.linux ??= {};
    const merged = mergeResources(spec.linux.resources ?? {}, changes);
    checkMemoryLimit(state.cgroup, merged, changes);
    cgroupFromPlacement(ctx.kernel, state.cgroup).apply(resourcesToApply(merged, changes));
    // Keep the config true: the next update merges into these values.
    spec.linux.resources = merged;
    container.writeConfig(spec);
  } finally {
    unlock();
  }
}

/**
 * memory.checkBeforeUpdate (runtime-spec): a new memory limit below what the container uses now
 * is refused, instead of the kernel reclaiming memory, or OOM-killing, to get under it. The usage
 * is the cgroup's own count: memory.usage_in_bytes on v1, memory.current on v2.
 */
function checkMemoryLimit(placement: CgroupPlacement, merged: LinuxResources, changes: LinuxResources): void {
  const limit = changes.memory?.limit;
  if (!merged.memory?.checkBeforeUpdate || limit === undefined || limit <= 0) return;
  // The stats reader is loaded only here (and by events): update's start-up stays as it was.
  const { readStats } = require('../linux/cgroups/stats') as typeof import('../linux/cgroups/stats');
  const usage = readStats(placement).memory.usage.usage;
  if (limit < usage) {
    throw new UserError(
      `linux.resources.memory.limit: ${limit} is below the container's memory usage now (${usage} bytes), and memory.checkBeforeUpdate is set`,
      'give a limit above the usage, or set checkBeforeUpdate to false to let the kernel reclaim memory (or OOM-kill) to get under it',
    );
  }
}
