/**
 * cgroup v1: one hierarchy per controller (or per group of co-mounted controllers), each its own
 * mount under /sys/fs/cgroup, and so one directory per hierarchy for every container.
 * Documentation/admin-guide/cgroup-v1/*.rst describes each controller's files.
 */
import { files as fs } from '../files';
import * as path from 'node:path';
import { UserError } from '../../errors';
import { isUnder } from './detect';
import { CgroupBase } from './base';
import { applyDeviceRules } from './devices';
import { MissingControllerError, hasControlFile, isSet, nearestExisting, pidsMaxValue, rdmaLines, readValue, readValueOr, writeCgroupFile } from './files';
import type { LinuxResources } from './types';

/** What memory.limit_in_bytes of a new cgroup reads: no limit (the largest page-aligned value). */
const NO_LIMIT = '9223372036854771712';

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
      // A directory a dry run did not make would have started empty, as every new one.
      if (fs.existsSync(dir) && readValue(path.join(dir, name)) !== '') continue;
      const parent = nearestExisting(path.dirname(dir));
      const value = readValue(path.join(parent, name));
      if (value === '') {
        throw new UserError(`cgroup: ${parent}/${name} is empty, so no cgroup below it can hold processes`);
      }
      const note = `a new cpuset cgroup has no ${name === 'cpuset.cpus' ? 'CPUs' : 'memory nodes'}: use the parent's`;
      writeCgroupFile(this.kernel, 'linux.cgroupsPath', path.join(dir, name), value, note);
    }
  }

  /**
   * A pid written to cgroup.procs moves a whole process, all its threads, and the kernel takes a
   * lock on every process of the machine to do it (cgroup_threadgroup_rwsem): the first such
   * move in a while waits for an RCU grace period, 10-15 ms here. One case needs no such lock: a
   * thread moving itself alone, 0 written to a v1 hierarchy's `tasks` (kernel/cgroup/cgroup.c,
   * cgroup_procs_write_start). The init moves its main thread so, the one that makes the
   * namespaces and becomes the program; the engine's other threads stay where they were born
   * until execve ends them (a v1 process may have threads in several cgroups: cgroup-v1/cgroups.rst).
   */
  selfJoinFiles(): string[] {
    return this.uniqueDirs().map((dir) => path.join(dir, 'tasks'));
  }

  apply(resources: LinuxResources | undefined): void {
    if (!resources) return;
    if (resources.unified && Object.keys(resources.unified).length > 0) {
      throw new UserError(
        'linux.resources.unified: this host uses cgroup v1, and unified holds cgroup v2 files',
        'use the v1 fields of linux.resources (memory, cpu, ...) instead',
      );
    }
    this.applyMemory(resources.memory);
    this.applyMemoryExtras(resources.memory);
    this.applyCpu(resources.cpu);
    this.applyCpuExtras(resources.cpu);
    this.applyPids(resources.pids);
    this.applyBlockIO(resources.blockIO);
    this.applyHugepages(resources.hugepageLimits);
    this.applyNetwork(resources.network);
    this.applyRdma(resources.rdma);
    applyDeviceRules(this.kernel, resources.devices, this.placement.dirs.devices);
  }

  /** Write `value` to `file` in `controller`'s directory, for config field `field`. */
  private write(controller: string, field: string, file: string, value: string, note?: string): void {
    writeCgroupFile(this.kernel, field, path.join(this.dirOf(controller, field), file), value, note);
  }

  /** reservation, swappiness, disableOOMKiller, kernel, kernelTCP (cgroup-v1/memory.rst). */
  private applyMemoryExtras(memory: LinuxResources['memory']): void {
    if (!memory) return;
    const f = 'linux.resources.memory';
    if (isSet(memory.reservation)) {
      this.write('memory', `${f}.reservation`, 'memory.soft_limit_in_bytes', String(memory.reservation), 'a soft limit: memory is reclaimed down to it when the host runs short');
    }
    if (memory.swappiness !== undefined && memory.swappiness !== -1) {
      // As runc: 0 is a value here (never swap), and anything above 100 is refused.
      if (memory.swappiness < 0 || memory.swappiness > 100) throw new UserError(`${f}.swappiness: ${memory.swappiness} is not between 0 and 100`);
      this.write('memory', `${f}.swappiness`, 'memory.swappiness', String(memory.swappiness));
    }
    if (memory.disableOOMKiller) {
      this.write('memory', `${f}.disableOOMKiller`, 'memory.oom_control', '1', 'at the limit, processes wait for memory instead of being killed');
    }
    for (const [key, file] of [['kernel', 'memory.kmem.limit_in_bytes'], ['kernelTCP', 'memory.kmem.tcp.limit_in_bytes']] as const) {
      const value = memory[key];
      if (!isSet(value)) continue;
      if (!hasControlFile(this.dirOf('memory', `${f}.${key}`), file)) {
        throw new UserError(`${f}.${key}: this kernel has no ${file} (kernel memory is counted with the rest since Linux 5.x)`, `leave out ${f}.${key}`);
      }
      this.write('memory', `${f}.${key}`, file, String(value));
    }
  }

  /** cpus, mems (cpuset); realtime runtime and period; burst; idle (cgroup-v1/cpusets.rst, sched-rt-group.rst). */
  private applyCpuExtras(cpu: LinuxResources['cpu']): void {
    if (!cpu) return;
    const f = 'linux.resources.cpu';
    if (cpu.cpus) this.write('cpuset', `${f}.cpus`, 'cpuset.cpus', cpu.cpus, 'the CPUs its processes may run on');
    if (cpu.mems) this.write('cpuset', `${f}.mems`, 'cpuset.mems', cpu.mems, 'the memory nodes it may allocate from');
    // As with the CFS quota: the period first, so the runtime is checked against the new period.
    if (isSet(cpu.realtimePeriod)) this.write('cpu', `${f}.realtimePeriod`, 'cpu.rt_period_us', String(cpu.realtimePeriod));
    if (isSet(cpu.realtimeRuntime)) this.write('cpu', `${f}.realtimeRuntime`, 'cpu.rt_runtime_us', String(cpu.realtimeRuntime));
    if (cpu.burst !== undefined) this.write('cpu', `${f}.burst`, 'cpu.cfs_burst_us', String(cpu.burst), 'unused quota it may save up and spend at once');
    if (cpu.idle !== undefined) this.write('cpu', `${f}.idle`, 'cpu.idle', String(cpu.idle), '1: its processes run only when nothing else wants the CPU (SCHED_IDLE)');
  }

  /** weight, leafWeight, per-device weights and throttles (cgroup-v1/blkio-controller.rst). */
  private applyBlockIO(io: LinuxResources['blockIO']): void {
    if (!io) return;
    const f = 'linux.resources.blockIO';
    const dir = () => this.dirOf('blkio', f);
    if (isSet(io.weight)) {
      // CFQ's blkio.weight is gone from recent kernels; BFQ has its own file (as runc picks).
      const file = hasControlFile(dir(), 'blkio.weight') ? 'blkio.weight' : 'blkio.bfq.weight';
      this.write('blkio', `${f}.weight`, file, String(io.weight));
    }
    if (isSet(io.leafWeight)) this.write('blkio', `${f}.leafWeight`, 'blkio.leaf_weight', String(io.leafWeight));
    (io.weightDevice ?? []).forEach((d, i) => {
      if (isSet(d.weight)) this.write('blkio', `${f}.weightDevice[${i}]`, 'blkio.weight_device', `${d.major}:${d.minor} ${d.weight}`);
      if (isSet(d.leafWeight)) this.write('blkio', `${f}.weightDevice[${i}]`, 'blkio.leaf_weight_device', `${d.major}:${d.minor} ${d.leafWeight}`);
    });
    const throttles = [
      ['throttleReadBpsDevice', 'blkio.throttle.read_bps_device'],
      ['throttleWriteBpsDevice', 'blkio.throttle.write_bps_device'],
      ['throttleReadIOPSDevice', 'blkio.throttle.read_iops_device'],
      ['throttleWriteIOPSDevice', 'blkio.throttle.write_iops_device'],
    ] as const;
    for (const [key, file] of throttles) {
      (io[key] ?? []).forEach((d, i) => this.write('blkio', `${f}.${key}[${i}]`, file, `${d.major}:${d.minor} ${d.rate}`));
    }
  }

  /** hugetlb.<size>.limit_in_bytes (cgroup-v1/hugetlb.rst). */
  private applyHugepages(limits: LinuxResources['hugepageLimits']): void {
    (limits ?? []).forEach((h, i) => {
      this.write('hugetlb', `linux.resources.hugepageLimits[${i}]`, `hugetlb.${h.pageSize}.limit_in_bytes`, String(h.limit));
    });
  }

  /** net_cls.classid and net_prio.ifpriomap (cgroup-v1/net_cls.rst, net_prio.rst). */
  private applyNetwork(network: LinuxResources['network']): void {
    if (!network) return;
    if (network.classID !== undefined) {
      this.write('net_cls', 'linux.resources.network.classID', 'net_cls.classid', String(network.classID), 'tc and iptables can match the class of its packets');
    }
    (network.priorities ?? []).forEach((p, i) => {
      this.write('net_prio', `linux.resources.network.priorities[${i}]`, 'net_prio.ifpriomap', `${p.name} ${p.priority}`);
    });
  }

  private applyRdma(rdma: LinuxResources['rdma']): void {
    for (const [device, line] of rdmaLines(rdma)) this.write('rdma', `linux.resources.rdma.${device}`, 'rdma.max', line);
  }

  /** The directory of `controller`, or an error naming the field that needs it. */
  private dirOf(controller: string, field: string): string {
    const dir = this.placement.dirs[controller];
    if (!dir) throw new MissingControllerError(controller, field);
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
    const swapAccounted = hasControlFile(dir, 'memory.memsw.limit_in_bytes');

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
    const raising = isSet(limit) && isSet(swap) && (swap === -1 || Number(readValueOr(limitFile, NO_LIMIT)) < swap);
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
      const actual = Number(readValueOr(file, String(shares)));
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
