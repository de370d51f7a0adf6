/**
 * The shapes shared by the cgroup modules: where a container's cgroup lives (the placement, kept
 * in state.json) and what the rest of the runtime can do with it (the Cgroup interface).
 *
 * A cgroup ("control group", man 7 cgroups) is a directory in a special filesystem. Making the
 * directory creates the group; writing a number to one of its files sets a limit; writing a pid
 * to its cgroup.procs moves that process (and its future children) into the group.
 */

import type { LinuxResources } from '../../oci/spec';

/** config.json's `linux.resources`; this module applies memory, cpu and pids (see v1.ts, v2.ts). */
export type { LinuxResources };

/** Where a container's cgroup is: plain data, so it can be saved in state.json and read back. */
export interface CgroupPlacement {
  version: 1 | 2;
  /** controller (v1: "memory", "cpu", ...) or "unified" (v2) -> absolute directory. */
  dirs: Record<string, string>;
  /** Directories this runtime created, deepest last. Only these are ever removed. */
  created: string[];
}

export interface Cgroup {
  readonly placement: CgroupPlacement;
  /** Make the directories: each missing level, recording the ones made. */
  create(): void;
  /** Write the limits of `linux.resources` this module knows; other fields are left alone. */
  apply(resources: LinuxResources | undefined): void;
  /**
   * Move a process into the cgroup (into every hierarchy, on v1). `part` makes the move in two
   * calls: 'early' joins the hierarchies whose limits cannot get in the way of a process that is
   * still starting up (v1: all but memory and pids; v2: none), 'late' the others.
   */
  addProcess(pid: number, part?: 'early' | 'late'): void;
  /**
   * The files through which a process can move itself in, at no cost (v1: each hierarchy's
   * `tasks`: 0 written there moves the thread that writes it), or undefined where it cannot
   * (v2: a process only moves whole, through cgroup.procs). See CgroupV1.selfJoinFiles.
   */
  selfJoinFiles(): string[] | undefined;
  /** The processes in the cgroup now. */
  pids(): number[];
  /** Remove the directories this runtime created, deepest first. */
  destroy(): void;
}
