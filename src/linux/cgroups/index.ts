/**
 * Cgroups: the part of the runtime that limits what a container may use (memory, CPU time,
 * processes) and keeps its processes together, on cgroup v1 and v2 alike (man 7 cgroups).
 *
 *   const cgroup = openCgroup({ kernel, id, cgroupsPath: config.linux?.cgroupsPath });
 *   cgroup.create();                       // mkdir
 *   cgroup.apply(config.linux?.resources); // write the limits
 *   cgroup.addProcess(initPid);            // write the pid to cgroup.procs
 *   save(cgroup.placement);                // into state.json; later:
 *   cgroupFromPlacement(kernel, placement).destroy();  // rmdir what create() made
 */
import { MOUNTINFO_STAND_IN, readProc, SELF_CGROUP_STAND_IN } from '../proc';
import type { Kernel } from '../kernel';
import { detectLayout } from './detect';
import { cgroupDir } from './paths';
import { CgroupV1 } from './v1';
import { CgroupV2 } from './v2';
import type { Cgroup, CgroupPlacement } from './types';

export type { Cgroup, CgroupPlacement, LinuxResources } from './types';
export { CgroupError } from './files';
export { cpuSharesToWeight } from './v2';

export interface OpenCgroupOptions {
  kernel: Kernel;
  /** The container's ID: the cgroup is "nk-<id>" when no cgroupsPath is given. */
  id: string;
  /** config.json's linux.cgroupsPath. */
  cgroupsPath?: string;
  /** Where the cgroup filesystems are mounted. Default /sys/fs/cgroup. */
  root?: string;
  /** The contents of /proc/self/cgroup (read when not given). */
  selfCgroup?: string;
  /** The contents of /proc/self/mountinfo (read when not given). */
  mountinfo?: string;
}

/** Work out where the container's cgroup goes on this host. Nothing is created yet. */
export function openCgroup(opts: OpenCgroupOptions): Cgroup {
  const root = opts.root ?? '/sys/fs/cgroup';
  const selfCgroup = opts.selfCgroup ?? readProc('/proc/self/cgroup', () => SELF_CGROUP_STAND_IN);
  const mountinfo = opts.mountinfo ?? readProc('/proc/self/mountinfo', () => MOUNTINFO_STAND_IN);
  const layout = detectLayout(root, mountinfo, selfCgroup);

  if (layout.version === 2) {
    const dir = cgroupDir(layout.unified, opts.id, opts.cgroupsPath);
    return new CgroupV2(opts.kernel, { version: 2, dirs: { unified: dir }, created: [] }, { unified: root });
  }
  const dirs: Record<string, string> = {};
  const mounts: Record<string, string> = {};
  for (const [controller, hierarchy] of Object.entries(layout.controllers)) {
    dirs[controller] = cgroupDir(hierarchy, opts.id, opts.cgroupsPath);
    mounts[controller] = hierarchy.mountPoint;
  }
  return new CgroupV1(opts.kernel, { version: 1, dirs, created: [] }, mounts);
}

/**
 * The cgroup of an existing container, from the placement saved in its state.json. Everything
 * but create() works on it; destroy() updates `placement.created` to what is left.
 */
export function cgroupFromPlacement(kernel: Kernel, placement: CgroupPlacement): Cgroup {
  return placement.version === 2 ? new CgroupV2(kernel, placement) : new CgroupV1(kernel, placement);
}
