/**
 * `nk-runtime events`: what a container uses, as JSON lines in runc's shape.
 *
 *   events --stats ID          one {"type":"stats","id":ID,"data":{cpu, memory, pids, blkio, hugetlb}}
 *   events [--interval 5s] ID  a stats line every interval, and {"type":"oom","id":ID} each time
 *                              the kernel's OOM killer kills a process of the container; until it stops
 *
 * OOM kills are counted by the kernel (v1 memory.oom_control, v2 memory.events: "oom_kill N"):
 * the counter is read often (every 100 ms), so a kill is reported soon after it happens.
 */
import { UserError } from '../errors';
import { oomKills, readStats } from '../linux/cgroups/stats';
import type { RuntimeContext } from './context';
import { deriveStatus } from './status';

/** How often the OOM counter and the container's status are read between stats lines. */
const POLL_MS = 100;

export type Event = { type: 'stats'; id: string; data: ReturnType<typeof readStats> } | { type: 'oom'; id: string };

export async function events(ctx: RuntimeContext, id: string, options: { stats: boolean; intervalMs: number }, emit: (event: Event) => void): Promise<void> {
  const container = ctx.store.existing(id);
  const state = container.readState();
  const running = () => deriveStatus(container, container.readState()) !== 'stopped';
  if (!running()) throw new UserError(`cannot read events of container ${id}: it is stopped`);
  if (!state.cgroup) throw new UserError(`cannot read events of container ${id}: it has no cgroup recorded`);
  const cgroup = state.cgroup;

  if (options.stats) {
    emit({ type: 'stats', id, data: readStats(cgroup) });
    return;
  }
  if (!(options.intervalMs > 0)) throw new UserError('--interval: must be more than 0');
  let kills = oomKills(cgroup);
  let nextStats = 0;
  for (;;) {
    const now = Date.now();
    const seen = oomKills(cgroup);
    for (; kills < seen; kills++) emit({ type: 'oom', id });
    if (!running()) return;
    if (now >= nextStats) {
      emit({ type: 'stats', id, data: readStats(cgroup) });
      nextStats = now + options.intervalMs;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, options.intervalMs)));
  }
}
