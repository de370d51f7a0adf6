/**
 * What a container has used, read from its cgroup's files, in the shape runc's `events` prints
 * (runc's types/events.go), so tools written for runc read ours too:
 *
 *   cpu      nanoseconds of CPU time, in all, per CPU, in the kernel and in user space; how often
 *            the CPU quota throttled it
 *   memory   bytes in use now, the most ever used ("max": the peak), the limit, how often the
 *            limit was hit ("failcnt"); the same for memory+swap and kernel memory; memory.stat raw
 *   pids     how many processes and threads, and the limit
 *   blkio    bytes and operations per device, read and written
 *   hugetlb  per page size: usage, peak, failcnt
 *
 *   v1 (cgroup-v1/*.rst)                       v2 (cgroup-v2.rst)
 *   cpuacct.usage, cpuacct.usage_percpu        cpu.stat usage_usec, user_usec, system_usec
 *   cpuacct.stat (user/system in clock ticks)  cpu.stat nr_periods, nr_throttled, throttled_usec
 *   cpu.stat (throttling)                      memory.current, memory.peak, memory.max
 *   memory.usage_in_bytes, max_usage_in_bytes  memory.swap.current, memory.swap.max
 *   memory.memsw.*, memory.kmem.*, memory.stat memory.stat, memory.events (max, oom_kill)
 *   memory.oom_control (oom_kill)              pids.current, pids.max
 *   pids.current, pids.max                     io.stat
 *   blkio.throttle.io_service*_recursive       hugetlb.<size>.current, .max, .events
 *   hugetlb.<size>.usage_in_bytes, ...
 *
 * Only reads: nothing here changes the machine, so nothing goes through the kernel layer. Loaded
 * only by `events`.
 */
import { files as fs } from '../files';
import * as path from 'node:path';
import type { CgroupPlacement } from './types';

/** The kernel counts cpuacct.stat in USER_HZ ticks, which is 100 per second on Linux. */
const NS_PER_TICK = 1e9 / 100;
/** v1 writes "no limit" as the largest multiple of the page size below 2^63. */
const V1_UNLIMITED = 9223372036854771712;

export interface MemoryEntry {
  limit: number;
  usage: number;
  max: number;
  failcnt: number;
}

export interface BlkioEntry {
  major: number;
  minor: number;
  op: string;
  value: number;
}

export interface Stats {
  cpu: {
    usage: { total: number; percpu: number[]; percpu_kernel?: number[]; percpu_user?: number[]; kernel: number; user: number };
    throttling: { periods: number; throttled_periods: number; throttled_time: number };
  };
  memory: {
    cache: number;
    usage: MemoryEntry;
    swap: MemoryEntry;
    kernel: MemoryEntry;
    kernelTCP: MemoryEntry;
    raw: Record<string, number>;
  };
  pids: { current: number; limit: number };
  blkio: {
    ioServiceBytesRecursive: BlkioEntry[];
    ioServicedRecursive: BlkioEntry[];
  };
  hugetlb: Record<string, { usage: number; max: number; failcnt: number }>;
}

/** A file's text, or undefined when it does not exist (a controller that is not there). */
function read(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** A number file; "max" (v2's no limit) and a missing file are 0, as runc reports them. */
function num(file: string): number {
  const text = read(file)?.trim();
  if (!text || text === 'max') return 0;
  const value = Number(text);
  return Number.isFinite(value) ? value : 0;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function keyValues(text: string | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of (text ?? '').split('\n')) {
    const [key, value] = line.trim().split(/\s+/);
    if (key && value !== undefined && /^-?\d+$/.test(value)) out[key] = Number(value);
  }
  return out;
}

/** How many times the kernel's OOM killer has killed a process of this cgroup (0 when unknown). */
export function oomKills(placement: CgroupPlacement): number {
  if (placement.version === 2) return keyValues(read(path.join(placement.dirs.unified, 'memory.events'))).oom_kill ?? 0;
  const dir = placement.dirs.memory;
  return dir ? (keyValues(read(path.join(dir, 'memory.oom_control'))).oom_kill ?? 0) : 0;
}

export function readStats(placement: CgroupPlacement): Stats {
  return placement.version === 2 ? statsV2(placement.dirs.unified) : statsV1(placement.dirs);
}

function emptyStats(): Stats {
  const entry = (): MemoryEntry => ({ limit: 0, usage: 0, max: 0, failcnt: 0 });
  return {
    cpu: { usage: { total: 0, percpu: [], kernel: 0, user: 0 }, throttling: { periods: 0, throttled_periods: 0, throttled_time: 0 } },
    memory: { cache: 0, usage: entry(), swap: entry(), kernel: entry(), kernelTCP: entry(), raw: {} },
    pids: { current: 0, limit: 0 },
    blkio: { ioServiceBytesRecursive: [], ioServicedRecursive: [] },
    hugetlb: {},
  };
}

function statsV1(dirs: Record<string, string>): Stats {
  const stats = emptyStats();
  const { cpu, cpuacct, memory, pids, blkio, hugetlb } = dirs;
  if (cpuacct) {
    const f = (name: string) => path.join(cpuacct, name);
    stats.cpu.usage.total = num(f('cpuacct.usage'));
    stats.cpu.usage.percpu = (read(f('cpuacct.usage_percpu')) ?? '').trim().split(/\s+/).filter(Boolean).map(Number);
    const ticks = keyValues(read(f('cpuacct.stat')));
    stats.cpu.usage.user = (ticks.user ?? 0) * NS_PER_TICK;
    stats.cpu.usage.kernel = (ticks.system ?? 0) * NS_PER_TICK;
  }
  if (cpu) {
    const s = keyValues(read(path.join(cpu, 'cpu.stat')));
    stats.cpu.throttling = { periods: s.nr_periods ?? 0, throttled_periods: s.nr_throttled ?? 0, throttled_time: s.throttled_time ?? 0 };
  }
  if (memory) {
    const entry = (prefix: string): MemoryEntry => {
      const f = (name: string) => path.join(memory, `${prefix}.${name}`);
      const limit = num(f('limit_in_bytes'));
      return { limit: limit >= V1_UNLIMITED ? 0 : limit, usage: num(f('usage_in_bytes')), max: num(f('max_usage_in_bytes')), failcnt: num(f('failcnt')) };
    };
    stats.memory.usage = entry('memory');
    stats.memory.swap = entry('memory.memsw');
    stats.memory.kernel = entry('memory.kmem');
    stats.memory.kernelTCP = entry('memory.kmem.tcp');
    stats.memory.raw = keyValues(read(path.join(memory, 'memory.stat')));
    stats.memory.cache = stats.memory.raw.total_cache ?? stats.memory.raw.cache ?? 0;
  }
  if (pids) stats.pids = { current: num(path.join(pids, 'pids.current')), limit: num(path.join(pids, 'pids.max')) };
  if (blkio) {
    // The throttle files count I/O whatever the I/O scheduler; the others only under CFQ/BFQ.
    const pick = (name: string) => read(path.join(blkio, `blkio.${name}`)) ?? read(path.join(blkio, `blkio.throttle.${name}`));
    stats.blkio.ioServiceBytesRecursive = blkioEntries(pick('io_service_bytes_recursive'));
    stats.blkio.ioServicedRecursive = blkioEntries(pick('io_serviced_recursive'));
  }
  if (hugetlb) {
    for (const name of fs.readdirSync(hugetlb)) {
      const match = /^hugetlb\.([^.]+)\.usage_in_bytes$/.exec(name);
      if (!match) continue;
      const f = (file: string) => path.join(hugetlb, `hugetlb.${match[1]}.${file}`);
      stats.hugetlb[match[1]] = { usage: num(f('usage_in_bytes')), max: num(f('max_usage_in_bytes')), failcnt: num(f('failcnt')) };
    }
  }
  return stats;
}

/** "8:0 Read 4096" lines (the "Total" lines are left out, as runc does). */
export function blkioEntries(text: string | undefined): BlkioEntry[] {
  const entries: BlkioEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const match = /^(\d+):(\d+) (\w+) (\d+)$/.exec(line.trim());
    if (match) entries.push({ major: Number(match[1]), minor: Number(match[2]), op: match[3], value: Number(match[4]) });
  }
  return entries;
}

function statsV2(dir: string): Stats {
  const stats = emptyStats();
  const f = (name: string) => path.join(dir, name);
  const cpu = keyValues(read(f('cpu.stat')));
  stats.cpu.usage.total = (cpu.usage_usec ?? 0) * 1000;
  stats.cpu.usage.user = (cpu.user_usec ?? 0) * 1000;
  stats.cpu.usage.kernel = (cpu.system_usec ?? 0) * 1000;
  stats.cpu.throttling = { periods: cpu.nr_periods ?? 0, throttled_periods: cpu.nr_throttled ?? 0, throttled_time: (cpu.throttled_usec ?? 0) * 1000 };

  const events = keyValues(read(f('memory.events')));
  // memory.peak is new in Linux 5.19; without it, the peak is unknown (0).
  stats.memory.usage = { usage: num(f('memory.current')), max: num(f('memory.peak')), limit: num(f('memory.max')), failcnt: events.max ?? 0 };
  stats.memory.swap = { usage: num(f('memory.swap.current')), max: num(f('memory.swap.peak')), limit: num(f('memory.swap.max')), failcnt: 0 };
  stats.memory.raw = keyValues(read(f('memory.stat')));
  stats.memory.cache = stats.memory.raw.file ?? 0;
  stats.pids = { current: num(f('pids.current')), limit: num(f('pids.max')) };

  // "8:0 rbytes=1 wbytes=2 rios=3 wios=4 dbytes=0 dios=0"
  for (const line of (read(f('io.stat')) ?? '').split('\n')) {
    const [device, ...pairs] = line.trim().split(/\s+/);
    const dev = /^(\d+):(\d+)$/.exec(device ?? '');
    if (!dev) continue;
    const v = Object.fromEntries(pairs.map((p) => p.split('=')).map(([k, n]) => [k, Number(n)]));
    const entry = (op: string, value: number | undefined) => ({ major: Number(dev[1]), minor: Number(dev[2]), op, value: value ?? 0 });
    stats.blkio.ioServiceBytesRecursive.push(entry('Read', v.rbytes), entry('Write', v.wbytes));
    stats.blkio.ioServicedRecursive.push(entry('Read', v.rios), entry('Write', v.wios));
  }
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const match = /^hugetlb\.([^.]+)\.current$/.exec(name);
    if (!match) continue;
    const size = match[1];
    stats.hugetlb[size] = { usage: num(f(name)), max: 0, failcnt: keyValues(read(f(`hugetlb.${size}.events`))).max ?? 0 };
  }
  return stats;
}
