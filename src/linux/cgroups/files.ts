/**
 * Small helpers shared by the v1 and v2 code: reading cgroup files (plain reads), writing them
 * (always through the Kernel, attributed to a config field), and turning a failed write into a
 * message that names the file, the value and the field.
 */
import { files as fs } from '../files';
import * as path from 'node:path';
import { UserError, type FailedCall } from '../../errors';
import { errnoDescription } from '../errno';
import { KernelError, type Kernel } from '../kernel';
import { readProc } from '../proc';

/** A cgroup operation the kernel refused. `code` is the errno name ("EINVAL"). */
export class CgroupError extends UserError {
  constructor(message: string, readonly code: string, hint?: string, failed?: FailedCall) {
    super(message, hint, failed);
    this.name = 'CgroupError';
  }
}

/** A setting needs a cgroup v1 controller this host has not mounted (explain/diagnose.ts says what to do). */
export class MissingControllerError extends UserError {
  readonly missingController: { controller: string; field: string };
  constructor(controller: string, field: string) {
    super(`${field}: this host has no cgroup v1 ${controller} hierarchy mounted`);
    this.missingController = { controller, field };
  }
}

/**
 * Write `value` to a cgroup file, for config field `field`:
 *   kernel.because('linux.resources.memory.limit').writeFile(".../memory.limit_in_bytes", "1048576")
 */
export function writeCgroupFile(kernel: Kernel, field: string, file: string, value: string, note?: string): void {
  try {
    kernel.because(field, note).writeFile(file, value);
  } catch (err) {
    throw cgroupError(`writing ${value} to ${file} (${field})`, err, file);
  }
}

/**
 * "cgroup: writing 100000 to /sys/fs/cgroup/cpu/x/cpu.cfs_quota_us (linux.resources.cpu.quota):
 * EINVAL (Invalid argument)". Anything that is not a KernelError is returned unchanged.
 */
export function cgroupError(doing: string, err: unknown, file: string): unknown {
  if (!(err instanceof KernelError)) return err;
  const message = `cgroup: ${doing}: ${err.code} (${errnoDescription(err.code)})`;
  return new CgroupError(message, err.code, hintFor(err.code, path.basename(file), err.call), { call: err.call, code: err.code, text: err.text, cgroup: true });
}

function hintFor(code: string, file: string, call: string): string | undefined {
  if (code === 'EACCES' || code === 'EPERM') return 'changing cgroups needs root (or a cgroup delegated to your user)';
  if (code === 'ENOENT') return `${file} does not exist here: is its controller enabled for this cgroup?`;
  if (code === 'EINVAL') {
    return 'the kernel refused the value: see the file in Documentation/admin-guide/cgroup-v1/ or cgroup-v2.rst';
  }
  if (code === 'ENOSPC' && file === 'cgroup.procs') {
    return 'a v1 cpuset cgroup with an empty cpuset.cpus or cpuset.mems cannot hold processes (cgroup-v1/cpusets.rst)';
  }
  if (code === 'EBUSY' && (file === 'cgroup.procs' || file === 'cgroup.subtree_control')) {
    return 'on cgroup v2 a cgroup cannot both hold processes and enable controllers for its children ' +
      '(cgroup-v2.rst, "No Internal Process Constraint")';
  }
  if (code === 'EBUSY' && /^memory\.(limit_in_bytes|memsw\.limit_in_bytes|max)$/.test(file)) {
    return 'the kernel could not reclaim enough of the memory in use to get under the new limit ' +
      '(memory that cannot be paged out, such as tmpfs files without swap): give a larger limit';
  }
  if (code === 'EBUSY' && call === 'rmdir') return 'a cgroup can be removed only when no process is left in it: kill them first';
  return undefined;
}

/**
 * The config's number means "not set" when it is absent, and also when it is 0: runc reads the
 * config into Go structs where 0 is the empty value, and we follow it so that a config means the
 * same thing under both runtimes.
 */
export function isSet(value: number | undefined): value is number {
  return value !== undefined && value !== 0;
}

/** pids.max (v1 and v2 alike): a positive limit, or "max" (no limit) for a negative one, as runc. */
export function pidsMaxValue(limit: number): string {
  return limit > 0 ? String(limit) : 'max';
}

/** rdma.max lines (v1 and v2 alike): "mlx4_0 hca_handle=2 hca_object=2000" (cgroup-v1/rdma.rst). */
export function rdmaLines(rdma: Record<string, { hcaHandles?: number; hcaObjects?: number }> | undefined): [string, string][] {
  const lines: [string, string][] = [];
  for (const [device, limit] of Object.entries(rdma ?? {})) {
    const parts = [];
    if (limit.hcaHandles !== undefined) parts.push(`hca_handle=${limit.hcaHandles}`);
    if (limit.hcaObjects !== undefined) parts.push(`hca_object=${limit.hcaObjects}`);
    if (parts.length > 0) lines.push([device, `${device} ${parts.join(' ')}`]);
  }
  return lines;
}

/** A cgroup file's contents, without the trailing newline. */
export function readValue(file: string): string {
  // No cgroups here (a dry run on macOS, linux/proc.ts): a v2 parent that delegates every controller.
  return readProc(file, () => (path.basename(file) === 'cgroup.subtree_control' ? 'cpuset cpu io memory hugetlb pids rdma' : '')).trim();
}

/**
 * The nearest of `dir` and its parents that exists. In a real create that is `dir`: it was just
 * made. A dry run (runtime/dry-run.ts) makes no directory; the kernel would give the new cgroup
 * the control files of its parent's controllers, so the nearest existing cgroup answers for it.
 */
export function nearestExisting(dir: string): string {
  let at = dir;
  while (!fs.existsSync(at) && path.dirname(at) !== at) at = path.dirname(at);
  return at;
}

/**
 * A control file's value; `fresh` where its cgroup has not been made (a dry run): what the file
 * of a new cgroup would hold, or the value just written.
 */
export function readValueOr(file: string, fresh: string): string {
  return fs.existsSync(path.dirname(file)) ? readValue(file) : fresh;
}

/** Whether the cgroup `dir` has the control file `name` (asked of nearestExisting). */
export function hasControlFile(dir: string, name: string): boolean {
  return fs.existsSync(path.join(nearestExisting(dir), name));
}

/** A file that holds a space-separated list: "cpu memory pids". */
export function readWords(file: string): string[] {
  return readValue(file).split(/\s+/).filter(Boolean);
}

/** The pids in a cgroup directory's cgroup.procs, one per line; none when the cgroup is gone. */
export function readProcs(dir: string): number[] {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text.split('\n').filter((line) => /^\d+$/.test(line)).map(Number);
}

/**
 * Whether a cgroup directory has child cgroups (they are directories; its files are not). A
 * directory's link count is 2 plus its subdirectories on cgroupfs (kernfs) and most file systems
 * (each child's ".." links to it: man 7 inode), so 2 means none without listing its dozens of
 * files. A file system that does not count them says 1: then the listing tells.
 */
export function hasChildCgroups(dir: string): boolean {
  if (fs.statSync(dir).nlink === 2) return false;
  return fs.readdirSync(dir, { withFileTypes: true }).some((entry) => entry.isDirectory());
}

/** Block this thread for `ms` milliseconds (the runtime is synchronous on purpose, see linux-kernel.ts). */
export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
