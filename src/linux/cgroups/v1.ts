/**
 * cgroup v1: one hierarchy per controller (or per group of co-mounted controllers), each its own
 * mount under /sys/fs/cgroup, and so one directory per hierarchy for every container.
 * Documentation/admin-guide/cgroup-v1/*.rst describes each controller's files.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../errors';
import { isUnder } from './detect';
import { CgroupBase } from './base';
import { isSet, pidsMaxValue, readValue, writeCgroupFile } from './files';
import type { LinuxResources } from './types';

export class CgroupV1 extends CgroupBase {
  /**
   * A new cpuset cgroup starts with an empty cpuset.cpus and cpuset.mems, and adding a process
   * to it then fails with ENOSPC (cgroup-v1/cpusets.rst). Copy the parent's values into each
   * directory we create, top down, as runc does. (A parent with cgroup.clone_children set to 1
   * makes the kernel do the copy itself: then there is nothing to write.)
   */
  protected prepareNew(dir: string): void {
    const cpuset = this.placement.dirs.cpuset;
    if (!cpuset || !isUnder(cpuset, dir)) return; // not a level of the cpuset hierarchy
    for (const name of ['cpuset.cpus', 'cpuset.mems']) {
      if (readValue(path.join(dir, name)) !== '') continue;
      const parent = path.dirname(dir);
      const value = readValue(path.join(parent, name));
      if (value === '') {
        throw new UserError(`cgroup: ${parent}/${name} is empty, so no cgroup below it can hold processes`);
      }
      const note = `a new cpuset cgroup has no ${name === 'cpuset.cpus' ? 'CPUs' : 'memory nodes'}: use the parent's`;
      writeCgroupFile(this.kernel, 'linux.cgroupsPath', path.join(dir, name), value, note);
    }
  }

  apply(resources: LinuxResources | undefined): void {
    if (!resources) return;
    this.applyMemory(resources.memory);
    this.applyCpu(resources.cpu);
    this.applyPids(resources.pids);
  }

  /** The directory of `controller`, or an error naming the field that needs it. */
  private dirOf(controller: string, field: string): string {
    const dir = this.placement.dirs[controller];
    if (!dir) throw new UserError(`${field}: this host has no cgroup v1 ${controller} hierarchy mounted`);
    return dir;
  }

  private applyMemory(memory: LinuxResources['memory']): void {
    const limit = memory?.limit;
    let swap = memory?.swap;
    if (!isSet(limit) && !isSet(swap)) return;
    const dir = this.dirOf('memory', 'linux.resources.memory');
    const limitFile = path.join(dir, 'memory.limit_in_bytes');
    // OCI's swap is memory + swap together, which is exactly what memsw counts (memory.rst, 2.4).
    const swapFile = path.join(dir, 'memory.memsw.limit_in_bytes');
    const swapAccounted = fs.existsSync(swapFile);

    // As runc: "no memory limit" with no swap given means no limit on swap either.
    if (limit === -1 && !isSet(swap) && swapAccounted) swap = -1;
    if (isSet(swap) && !swapAccounted) {
      throw new UserError(
        `linux.resources.memory.swap: ${swapFile} does not exist: this kernel does not account swap`,
        'boot the kernel with swapaccount=1, or leave out linux.resources.memory.swap',
      );
    }
    const writeLimit = () => {
      if (isSet(limit)) writeCgroupFile(this.kernel, 'linux.resources.memory.limit', limitFile, String(limit));
    };
    const writeSwap = () => {
      if (isSet(swap)) writeCgroupFile(this.kernel, 'linux.resources.memory.swap', swapFile, String(swap));
    };
    // The kernel refuses (EINVAL) any write that would leave memsw below the memory limit. A new
    // cgroup has both unlimited: lower the memory limit first. When raising limits (an update),
    // swap must go first. runc decides the same way.
    const raising = isSet(limit) && isSet(swap) && (swap === -1 || Number(readValue(limitFile)) < swap);
    if (raising) {
      writeSwap();
      writeLimit();
    } else {
      writeLimit();
      writeSwap();
    }
  }

  private applyCpu(cpu: LinuxResources['cpu']): void {
    const { shares, quota, period } = cpu ?? {};
    if (!isSet(shares) && !isSet(quota) && !isSet(period)) return;
    const dir = this.dirOf('cpu', 'linux.resources.cpu');

    if (isSet(shares)) {
      const file = path.join(dir, 'cpu.shares');
      writeCgroupFile(this.kernel, 'linux.resources.cpu.shares', file, String(shares));
      // The kernel does not refuse shares outside 2..262144: it quietly clamps them
      // (kernel/sched/core.c). Read the value back, as runc does, so the user hears about it.
      const actual = Number(readValue(file));
      if (actual !== shares) {
        throw new UserError(
          `linux.resources.cpu.shares: the kernel set ${file} to ${actual}, not ${shares}`,
          'cpu.shares must be between 2 and 262144',
        );
      }
    }
    // The period first: the kernel checks each write against the other value as it is now
    // (Documentation/scheduler/sched-bwc.rst), and a new cgroup's quota is -1 (no limit), so a
    // period can always be set before the quota, not always after it.
    if (isSet(period)) {
      writeCgroupFile(this.kernel, 'linux.resources.cpu.period', path.join(dir, 'cpu.cfs_period_us'), String(period));
    }
    if (isSet(quota)) {
      writeCgroupFile(this.kernel, 'linux.resources.cpu.quota', path.join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
  }

  private applyPids(pids: LinuxResources['pids']): void {
    if (!isSet(pids?.limit)) return;
    const dir = this.dirOf('pids', 'linux.resources.pids');
    writeCgroupFile(this.kernel, 'linux.resources.pids.limit', path.join(dir, 'pids.max'), pidsMaxValue(pids.limit));
  }
}
