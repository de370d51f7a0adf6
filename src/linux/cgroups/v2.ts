/**
 * cgroup v2: one hierarchy for every controller, mounted at /sys/fs/cgroup, so one directory per
 * container. Documentation/admin-guide/cgroup-v2.rst describes it all.
 *
 * What is new compared with v1: a controller can be used in a cgroup only when its parent lists
 * it in cgroup.subtree_control ("Enabling and Disabling"), and a cgroup that does so cannot hold
 * processes itself ("No Internal Process Constraint"; the root cgroup is the exception).
 */
import * as path from 'node:path';
import { UserError } from '../../errors';
import { CgroupBase } from './base';
import { applyDeviceProgram } from './devices';
import { hasControlFile, isSet, pidsMaxValue, rdmaLines, readWords, writeCgroupFile } from './files';
import type { LinuxResources } from './types';

/** The controllers whose files apply() writes. */
const CONTROLLERS = ['cpuset', 'cpu', 'io', 'memory', 'hugetlb', 'pids', 'rdma'];

export class CgroupV2 extends CgroupBase {
  private get dir(): string {
    return this.placement.dirs.unified;
  }

  /** v2 moves whole processes only, through cgroup.procs: the runtime moves the init (addProcess). */
  selfJoinFiles(): undefined {
    return undefined;
  }

  /** The nearest cgroup above ours that we did not create: whatever it delegates, we can use. */
  private delegatingParent(): string {
    return path.dirname(this.placement.created[0] ?? this.dir);
  }

  private delegated(): string[] {
    return readWords(path.join(this.delegatingParent(), 'cgroup.subtree_control'));
  }

  /**
   * In each directory we create above the container's own, enable the controllers that the
   * parent we did not create passes down, so that they reach the container's cgroup. The
   * container's cgroup itself enables none: it will hold processes. A cgroup we did not create is
   * never changed.
   */
  protected prepareNew(dir: string): void {
    if (dir === this.dir) return;
    const delegated = this.delegated();
    const enable = CONTROLLERS.filter((c) => delegated.includes(c));
    if (enable.length === 0) return;
    const value = enable.map((c) => `+${c}`).join(' ');
    const file = path.join(dir, 'cgroup.subtree_control');
    writeCgroupFile(this.kernel, 'linux.resources', file, value, 'let the cgroups below use these controllers');
  }

  /** An error that explains why `controller` is missing, instead of changing a cgroup not ours. */
  private requireController(controller: string, field: string): void {
    if (this.delegated().includes(controller)) return;
    const parent = this.delegatingParent();
    throw new UserError(
      `${field}: the ${controller} controller is not available to ${this.dir}: ` +
        `${parent}/cgroup.subtree_control does not enable it, ` +
        'and nk-runtime does not change cgroups it did not create',
      `enable it there (echo +${controller} > ${parent}/cgroup.subtree_control) ` +
        'or choose a linux.cgroupsPath under a cgroup that delegates it; a cgroup holding processes ' +
        'cannot delegate (cgroup-v2.rst, "No Internal Process Constraint")',
    );
  }

  apply(resources: LinuxResources | undefined): void {
    if (!resources) return;
    this.applyMemory(resources.memory);
    this.applyMemoryExtras(resources.memory);
    this.applyCpu(resources.cpu);
    this.applyCpuExtras(resources.cpu);
    this.applyPids(resources.pids);
    this.applyIo(resources.blockIO);
    this.applyHugepages(resources.hugepageLimits);
    this.applyRdma(resources.rdma);
    if (resources.network && (resources.network.classID !== undefined || resources.network.priorities?.length)) {
      throw new UserError(
        'linux.resources.network: cgroup v2 has no net_cls or net_prio controller',
        'leave it out; on v2, match a container\'s packets by its cgroup path instead (iptables -m cgroup --path, or a BPF program)',
      );
    }
    this.applyUnified(resources.unified);
    // No controller: a device program is attached to the cgroup itself (devices.ts).
    applyDeviceProgram(this.kernel, resources.devices, this.dir);
  }

  /** Write `value` to a file of our cgroup whose controller must reach it. */
  private write(controller: string, field: string, file: string, value: string, note?: string): void {
    this.requireController(controller, field);
    writeCgroupFile(this.kernel, field, path.join(this.dir, file), value, note);
  }

  /** reservation (memory.low); the v1-only ones are refused, rather than quietly dropped. */
  private applyMemoryExtras(memory: LinuxResources['memory']): void {
    if (!memory) return;
    const f = 'linux.resources.memory';
    if (isSet(memory.reservation)) {
      const value = memory.reservation === -1 ? 'max' : String(memory.reservation);
      this.write('memory', `${f}.reservation`, 'memory.low', value, 'memory below this is protected from reclaim (v1: the soft limit)');
    }
    const v1Only: [string, boolean][] = [
      ['swappiness', memory.swappiness !== undefined && memory.swappiness !== -1],
      ['disableOOMKiller', memory.disableOOMKiller === true],
      ['kernel', isSet(memory.kernel)],
      ['kernelTCP', isSet(memory.kernelTCP)],
    ];
    for (const [key, given] of v1Only) {
      if (given) throw new UserError(`${f}.${key}: cgroup v1 only; this host uses cgroup v2`, `leave out ${f}.${key}`);
    }
  }

  /** cpus, mems (cpuset.cpus, cpuset.mems); idle (cpu.idle); burst (cpu.max.burst). */
  private applyCpuExtras(cpu: LinuxResources['cpu']): void {
    if (!cpu) return;
    const f = 'linux.resources.cpu';
    if (cpu.cpus) this.write('cpuset', `${f}.cpus`, 'cpuset.cpus', cpu.cpus, 'the CPUs its processes may run on');
    if (cpu.mems) this.write('cpuset', `${f}.mems`, 'cpuset.mems', cpu.mems, 'the memory nodes it may allocate from');
    if (cpu.burst !== undefined) this.write('cpu', `${f}.burst`, 'cpu.max.burst', String(cpu.burst));
    if (cpu.idle !== undefined) this.write('cpu', `${f}.idle`, 'cpu.idle', String(cpu.idle), '1: its processes run only when nothing else wants the CPU');
    if (isSet(cpu.realtimeRuntime) || isSet(cpu.realtimePeriod)) {
      throw new UserError(`${f}.realtimeRuntime, realtimePeriod: cgroup v2 has no realtime CPU budget (cpu.rt_*)`, 'leave them out on a cgroup v2 host');
    }
  }

  /**
   * blockIO on v2's io controller: weights in io.weight (1..10000, mapped from v1's 10..1000 as
   * runc does), throttles in io.max ("8:0 rbps=1048576"). v2 has no leaf weights.
   */
  private applyIo(io: LinuxResources['blockIO']): void {
    if (!io) return;
    const f = 'linux.resources.blockIO';
    if (isSet(io.weight)) {
      this.write('io', `${f}.weight`, 'io.weight', `default ${blkioWeightToIoWeight(io.weight)}`, `v1 weight ${io.weight} on v2's scale`);
    }
    (io.weightDevice ?? []).forEach((d, i) => {
      if (isSet(d.weight)) this.write('io', `${f}.weightDevice[${i}]`, 'io.weight', `${d.major}:${d.minor} ${blkioWeightToIoWeight(d.weight)}`);
    });
    const throttles = [
      ['throttleReadBpsDevice', 'rbps'],
      ['throttleWriteBpsDevice', 'wbps'],
      ['throttleReadIOPSDevice', 'riops'],
      ['throttleWriteIOPSDevice', 'wiops'],
    ] as const;
    for (const [key, name] of throttles) {
      (io[key] ?? []).forEach((d, i) => this.write('io', `${f}.${key}[${i}]`, 'io.max', `${d.major}:${d.minor} ${name}=${d.rate === 0 ? 'max' : d.rate}`));
    }
  }

  /** hugetlb.<size>.max (v1: hugetlb.<size>.limit_in_bytes). */
  private applyHugepages(limits: LinuxResources['hugepageLimits']): void {
    (limits ?? []).forEach((h, i) => this.write('hugetlb', `linux.resources.hugepageLimits[${i}]`, `hugetlb.${h.pageSize}.max`, String(h.limit)));
  }

  private applyRdma(rdma: LinuxResources['rdma']): void {
    for (const [device, line] of rdmaLines(rdma)) this.write('rdma', `linux.resources.rdma.${device}`, 'rdma.max', line);
  }

  /**
   * `unified`: cgroup v2 files and values, written as they are ({"memory.high": "50M"}). A key
   * names a file of the container's own cgroup: no "/" (runc refuses them too), and its
   * controller (the part before the first ".") must reach the cgroup.
   */
  private applyUnified(unified: LinuxResources['unified']): void {
    for (const [key, value] of Object.entries(unified ?? {})) {
      const field = `linux.resources.unified["${key}"]`;
      if (key.includes('/') || key === '.' || key === '..' || !key.includes('.')) {
        throw new UserError(`${field}: must be the name of a file of the cgroup, such as "memory.high"`);
      }
      const controller = key.slice(0, key.indexOf('.'));
      if (controller === 'cgroup') {
        writeCgroupFile(this.kernel, field, path.join(this.dir, key), String(value));
        continue;
      }
      this.write(controller, field, key, String(value));
    }
  }

  private applyMemory(memory: LinuxResources['memory']): void {
    const limit = memory?.limit;
    const swap = swapMaxValue(limit, memory?.swap);
    if (!isSet(limit) && swap === undefined) return;
    this.requireController('memory', 'linux.resources.memory');
    if (isSet(limit)) {
      const value = limit === -1 ? 'max' : String(limit);
      writeCgroupFile(this.kernel, 'linux.resources.memory.limit', path.join(this.dir, 'memory.max'), value);
    }
    if (swap !== undefined) {
      const file = path.join(this.dir, 'memory.swap.max');
      // No such file: the kernel does not account swap. Asking for "no limit" or "no swap" is
      // then already true, as runc reasons; any other limit cannot be honoured.
      if (!hasControlFile(this.dir, 'memory.swap.max')) {
        if (swap === 'max' || swap === '0') return;
        throw new UserError(`linux.resources.memory.swap: ${file} does not exist: this kernel does not account swap`);
      }
      writeCgroupFile(this.kernel, 'linux.resources.memory.swap', file, swap);
    }
  }

  private applyCpu(cpu: LinuxResources['cpu']): void {
    const { shares, quota, period } = cpu ?? {};
    if (!isSet(shares) && !isSet(quota) && !isSet(period)) return;
    this.requireController('cpu', 'linux.resources.cpu');
    if (isSet(shares)) {
      const weight = String(cpuSharesToWeight(shares));
      const file = path.join(this.dir, 'cpu.weight');
      writeCgroupFile(this.kernel, 'linux.resources.cpu.shares', file, weight, `shares ${shares} as a v2 weight`);
    }
    if (isSet(quota) || isSet(period)) {
      // One file holds both: "$MAX $PERIOD"; "max" is no limit. Without a period, the kernel
      // keeps the current one.
      let value = isSet(quota) && quota > 0 ? String(quota) : 'max';
      if (isSet(period)) value += ` ${period}`;
      const fields = [isSet(quota) && 'linux.resources.cpu.quota', isSet(period) && 'linux.resources.cpu.period'];
      writeCgroupFile(this.kernel, fields.filter(Boolean).join(', '), path.join(this.dir, 'cpu.max'), value);
    }
  }

  private applyPids(pids: LinuxResources['pids']): void {
    if (!isSet(pids?.limit)) return;
    this.requireController('pids', 'linux.resources.pids');
    writeCgroupFile(this.kernel, 'linux.resources.pids.limit', path.join(this.dir, 'pids.max'), pidsMaxValue(pids.limit));
  }
}

/**
 * v1's cpu.shares (2..262144, default 1024) as v2's cpu.weight (1..10000, default 100), by the
 * same linear map as runc (ConvertCPUSharesToCgroupV2Value), so a config gets the same weight
 * under both. Note that it maps v1's default 1024 to 39, not to v2's default 100.
 */
export function cpuSharesToWeight(shares: number): number {
  if (shares === 0) return 0;
  // Math.trunc: Go's integer division rounds toward zero.
  return 1 + Math.trunc(((shares - 2) * 9999) / 262142);
}

/**
 * v1's blkio weight (10..1000) as v2's io.weight (1..10000), by runc's linear map
 * (ConvertBlkIOToIOWeightValue): 10 -> 1, 500 -> 4950, 1000 -> 10000.
 */
export function blkioWeightToIoWeight(weight: number): number {
  if (weight === 0) return 0;
  return 1 + Math.trunc(((weight - 10) * 9999) / 990);
}

/**
 * What to write to memory.swap.max, or undefined for nothing. OCI's swap is memory + swap
 * together (the v1 meaning); v2's memory.swap.max counts swap alone. Converted as runc does
 * (ConvertMemorySwapToCgroupV2Value).
 */
export function swapMaxValue(limit: number | undefined, swap: number | undefined): string | undefined {
  if (limit === -1 && !isSet(swap)) return 'max'; // no memory limit: no swap limit either
  if (!isSet(swap)) return undefined;
  if (swap === -1) return 'max';
  if (!isSet(limit) || limit === -1) {
    throw new UserError('linux.resources.memory.swap: a swap limit needs linux.resources.memory.limit too');
  }
  if (swap < limit) {
    throw new UserError(
      'linux.resources.memory.swap: must be at least linux.resources.memory.limit (it counts memory plus swap)',
    );
  }
  return String(swap - limit);
}
