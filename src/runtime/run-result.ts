/**
 * `run --result FILE`: the end of a job, for the program that ran it (a job service, a CI runner,
 * an agent's sandbox), as one JSON object:
 *
 *   {"id": "job1", "exitCode": 0, "signal": null, "timedOut": false, "oomKilled": false,
 *    "wallTimeMs": 1520.4, "cpuTimeMs": 1387.2, "peakMemoryBytes": 35098624}
 *
 * exitCode is null when a signal ended the program, and signal names it ("SIGKILL"). Wall time
 * runs from `start` to the program's end. The CPU time and the peak memory come from the
 * container's cgroup (all its processes, not only the first), read after the program has ended
 * and before the cgroup is removed: CPU time from `start` on; the peak includes the init's last
 * steps before execve (a few MB). oomKilled: the kernel's count of OOM kills in the cgroup
 * (memory.oom_control or memory.events).
 */
import { files as fs } from '../linux/files';
import type { CgroupPlacement } from '../linux/cgroups';
import { oomKills, readStats } from '../linux/cgroups/stats';
import type { ChildExit } from '../linux/kernel';

export interface RunResult {
  id: string;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  oomKilled: boolean;
  wallTimeMs: number;
  /** Null where the cgroup cannot say (no cpu accounting, no memory peak on this kernel). */
  cpuTimeMs: number | null;
  peakMemoryBytes: number | null;
}

/** Where the job's figures start: after create, before start. */
export interface Measuring {
  cgroup?: CgroupPlacement;
  wallStart: number;
  cpuStartNs: number;
}

/**
 * Take the starting point. The init's own start-up (an engine booting, the rootfs being built) is
 * charged to the cgroup too; the CPU time it took is subtracted, so the figure is the job's.
 */
export function startMeasuring(cgroup: CgroupPlacement | undefined): Measuring {
  return { cgroup, wallStart: performance.now(), cpuStartNs: cgroup ? readStats(cgroup).cpu.usage.total : 0 };
}

export function runResult(what: { id: string; ended: ChildExit; timedOut: boolean; from: Measuring }): RunResult {
  const { cgroup } = what.from;
  let cpuTimeMs: number | null = null;
  let peakMemoryBytes: number | null = null;
  let oomKilled = false;
  if (cgroup) {
    const stats = readStats(cgroup);
    cpuTimeMs = stats.cpu.usage.total > 0 ? round((stats.cpu.usage.total - what.from.cpuStartNs) / 1e6) : null;
    peakMemoryBytes = stats.memory.usage.max > 0 ? stats.memory.usage.max : null;
    oomKilled = oomKills(cgroup) > 0;
  }
  return {
    id: what.id,
    exitCode: what.ended.code,
    signal: what.ended.signal,
    timedOut: what.timedOut,
    oomKilled,
    wallTimeMs: round(performance.now() - what.from.wallStart),
    cpuTimeMs,
    peakMemoryBytes,
  };
}

/** Written whole (a temporary file, then rename): a reader never sees half of it. */
export function writeRunResult(file: string, what: Parameters<typeof runResult>[0]): void {
  const temporary = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(temporary, JSON.stringify(runResult(what), null, 2) + '\n');
  fs.renameSync(temporary, file);
}

const round = (n: number) => Math.round(n * 10) / 10;
