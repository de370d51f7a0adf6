/**
 * Freezing a cgroup: every process in it stops where it is, without a signal it could see or
 * catch, until the cgroup is thawed (what `pause` and `resume` do).
 *
 *   v1  the freezer controller: write FROZEN or THAWED to freezer.state. Freezing takes a moment
 *       (the state reads FREEZING until every task has stopped), so we read it back until it says
 *       FROZEN. (Documentation/admin-guide/cgroup-v1/freezer-subsystem.rst)
 *   v2  no controller needed: write 1 or 0 to cgroup.freeze, and wait until cgroup.events says
 *       "frozen 1" (or "frozen 0"). (cgroup-v2.rst, "Core Interface Files")
 *
 * A frozen process does not act on signals, not even SIGKILL (on v1 it stays pending until the
 * thaw): whoever kills a paused container thaws it afterwards, as runc does.
 *
 * Kept apart from v1.ts and v2.ts: `state` reads isFrozen() on every call, and needs no more.
 */
import { files as fs } from '../files';
import * as path from 'node:path';
import { UserError } from '../../errors';
import type { Kernel } from '../kernel';
import { readValue, sleep, writeCgroupFile } from './files';
import type { CgroupPlacement } from './types';

/** How long freeze() waits for every process to stop before it gives up (and thaws). */
const FREEZE_PATIENCE_MS = 5_000;

/** Whether the container's cgroup is frozen (paused). False when there is no freezer. */
export function isFrozen(placement: CgroupPlacement): boolean {
  try {
    if (placement.version === 2) return readValue(path.join(placement.dirs.unified, 'cgroup.freeze')) === '1';
    const dir = placement.dirs.freezer;
    return dir !== undefined && readValue(path.join(dir, 'freezer.state')) === 'FROZEN';
  } catch {
    return false; // the cgroup is gone
  }
}

/** The file to write, the values for frozen and thawed, and how to read the state back. */
function freezerOf(placement: CgroupPlacement) {
  if (placement.version === 2) {
    const dir = placement.dirs.unified;
    const events = path.join(dir, 'cgroup.events');
    return {
      file: path.join(dir, 'cgroup.freeze'),
      values: { frozen: '1', thawed: '0' },
      // "populated 1\nfrozen 1": the kernel sets "frozen 1" once every process has stopped.
      reached: (frozen: boolean) => readEvents(events).frozen === (frozen ? '1' : '0'),
    };
  }
  const dir = placement.dirs.freezer;
  if (!dir) {
    throw new UserError('cgroup: this host has no cgroup v1 freezer hierarchy mounted, so a container cannot be paused', 'mount it: mount -t cgroup -o freezer freezer /sys/fs/cgroup/freezer');
  }
  const file = path.join(dir, 'freezer.state');
  return {
    file,
    values: { frozen: 'FROZEN', thawed: 'THAWED' },
    reached: (frozen: boolean) => readValue(file) === (frozen ? 'FROZEN' : 'THAWED'),
  };
}

/** Freeze every process of the cgroup, and return once they have all stopped. */
export function freeze(kernel: Kernel, placement: CgroupPlacement, cause = 'pause'): void {
  const { file, values, reached } = freezerOf(placement);
  const k = kernel.because(cause, 'freeze every process of the container: they stop where they are');
  writeCgroupFile(k, cause, file, values.frozen);
  const deadline = Date.now() + FREEZE_PATIENCE_MS;
  for (let wait = 1, tries = 1; !reached(true); wait = Math.min(wait * 2, 50), tries++) {
    if (Date.now() > deadline) {
      thaw(kernel, placement, cause);
      throw new UserError(`cgroup: ${file} did not reach ${values.frozen} within ${FREEZE_PATIENCE_MS / 1000} s: the container was thawed again`, 'a process in it may be stuck in the kernel (state D): try again');
    }
    sleep(wait);
    // v1: a task that was busy in the kernel can keep the state at FREEZING; writing FROZEN
    // again makes the kernel try those tasks again (runc does the same).
    if (placement.version === 1 && tries % 10 === 0) writeCgroupFile(k, cause, file, values.frozen, 'still FREEZING: ask again');
  }
}

/** Thaw the cgroup: its processes go on from where they stopped. */
export function thaw(kernel: Kernel, placement: CgroupPlacement, cause = 'resume'): void {
  const { file, values, reached } = freezerOf(placement);
  const k = kernel.because(cause, 'thaw the container: its processes go on where they stopped');
  writeCgroupFile(k, cause, file, values.thawed);
  const deadline = Date.now() + FREEZE_PATIENCE_MS;
  for (let wait = 1; !reached(false) && Date.now() < deadline; wait = Math.min(wait * 2, 50)) sleep(wait);
}

/** cgroup.events: "key value" lines. */
function readEvents(file: string): Record<string, string> {
  const events: Record<string, string> = {};
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return events;
  }
  for (const line of text.split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key) events[key] = value;
  }
  return events;
}
