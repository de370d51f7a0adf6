/**
 * What cgroup v1 and v2 do the same way: a cgroup is a directory, made with mkdir(2), joined by
 * writing a pid to its cgroup.procs, and removed with rmdir(2) once no process is left in it
 * (man 7 cgroups). On v1 there is one directory per hierarchy (memory, cpu, ...); on v2, one.
 *
 * The rule that shapes this file: nk-runtime only ever removes (or changes) directories it made
 * itself. They are recorded in `placement.created`, which goes into state.json, so that `delete`,
 * in another process, removes exactly those.
 */
import { files as fs } from '../files';
import * as path from 'node:path';
import { UserError } from '../../errors';
import type { Kernel } from '../kernel';
import { isUnder } from './detect';
import { CgroupError, cgroupError, hasChildCgroups, readProcs, sleep, writeCgroupFile } from './files';
import type { Cgroup, CgroupPlacement, LinuxResources } from './types';

/** How long destroy() waits, in all, for busy cgroups to empty (each wait doubles, from 10 ms). */
const RMDIR_PATIENCE_MS = 200;

export abstract class CgroupBase implements Cgroup {
  /**
   * @param mounts the mount point of each entry of `placement.dirs`; create() makes the missing
   *   levels between the two. Only known when the cgroup was opened from the host's mounts.
   */
  constructor(
    protected readonly kernel: Kernel,
    readonly placement: CgroupPlacement,
    private readonly mounts: Record<string, string> = {},
  ) {}

  abstract apply(resources: LinuxResources | undefined): void;

  abstract selfJoinFiles(): string[] | undefined;

  /**
   * Called by create() right after it made `dir` (top down, so a parent is ready before its
   * child is made): v1 fills in cpuset, v2 enables controllers for the level below.
   */
  protected abstract prepareNew(dir: string): void;

  /** Each directory once: co-mounted v1 controllers (cpu,cpuacct) share one. */
  protected uniqueDirs(): string[] {
    return [...new Set(Object.values(this.placement.dirs))];
  }

  create(): void {
    for (const dir of this.uniqueDirs()) {
      if (fs.existsSync(dir)) {
        throw new UserError(
          `cgroup: ${dir} already exists`,
          'nk-runtime only uses cgroups it creates: choose another linux.cgroupsPath, or rmdir it if it is left over',
        );
      }
    }
    try {
      const done = new Set<string>();
      for (const [name, dir] of Object.entries(this.placement.dirs)) {
        if (done.has(dir)) continue;
        done.add(dir);
        const mountPoint = this.mounts[name];
        if (!mountPoint) throw new Error(`cgroup: no mount point known for ${name}: use openCgroup() to create`);
        this.makeLevels(mountPoint, dir);
      }
    } catch (err) {
      // Leave nothing half made behind: remove what was created, then report the first error.
      try {
        this.destroy();
      } catch {
        // The directories that could not be removed stay in placement.created.
      }
      throw err;
    }
  }

  /** mkdir each missing level from the mount point down to `dir`, top down, recording each. */
  private makeLevels(mountPoint: string, dir: string): void {
    let level = mountPoint;
    for (const part of path.posix.relative(mountPoint, dir).split('/')) {
      level = path.posix.join(level, part);
      if (fs.existsSync(level)) continue;
      try {
        const note = 'make the cgroup: the kernel fills the new directory with its files';
        this.kernel.because('linux.cgroupsPath', note).mkdirAll(level, 0o755);
      } catch (err) {
        throw cgroupError(`creating ${level} (linux.cgroupsPath)`, err, level);
      }
      this.placement.created.push(level);
      this.prepareNew(level);
    }
  }

  addProcess(pid: number, part?: 'early' | 'late'): void {
    // Memory counts what a process allocates, pids its threads too; on v2 one directory does all.
    const { memory, pids, unified } = this.placement.dirs;
    for (const dir of this.uniqueDirs()) {
      if (part && [memory, pids, unified].includes(dir) !== (part === 'late')) continue;
      const file = path.join(dir, 'cgroup.procs');
      writeCgroupFile(this.kernel, 'linux.cgroupsPath', file, String(pid), 'move the process into the cgroup');
    }
  }

  pids(): number[] {
    const all = new Set<number>();
    for (const dir of this.uniqueDirs()) for (const pid of readProcs(dir)) all.add(pid);
    return [...all].sort((a, b) => a - b);
  }

  /**
   * rmdir the directories this runtime created, deepest first. A directory that now holds other
   * cgroups too (another container created under the same new parent) is left alone. A cgroup
   * that still holds processes cannot be removed: that is an error, and the directory (with its
   * parents) stays in placement.created so that a later destroy() can try again.
   */
  destroy(): void {
    const deadline = Date.now() + RMDIR_PATIENCE_MS;
    const stuck: string[] = [];
    const errors: Error[] = [];
    for (const dir of [...this.placement.created].reverse()) {
      if (stuck.some((s) => isUnder(s, dir))) continue; // a child is still there, so is this one
      try {
        this.removeDir(dir, deadline);
      } catch (err) {
        stuck.push(dir);
        errors.push(err as Error);
      }
    }
    this.placement.created = this.placement.created.filter((dir) => stuck.some((s) => isUnder(s, dir)));
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) {
      const first = errors[0] as Partial<CgroupError>;
      const others = stuck.slice(1).join(', ');
      throw new CgroupError(`${first.message}; could not remove ${others} either`, first.code ?? 'EBUSY', first.hint, first.failed);
    }
  }

  private removeDir(dir: string, deadline: number): void {
    for (let wait = 10; ; wait *= 2) {
      if (!fs.existsSync(dir)) return;
      if (hasChildCgroups(dir)) return; // shared with cgroups we did not make: not ours to remove
      try {
        this.kernel.because('linux.cgroupsPath', 'remove the cgroup this runtime created').rmdir(dir);
        return;
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === 'ENOENT') return;
        // EBUSY: processes are still in it. One that was just killed can keep its cgroup busy for
        // a moment after it dies (runc retries for the same reason), so wait a little, try again.
        const left = deadline - Date.now();
        if ((code === 'EBUSY' || code === 'ENOTEMPTY') && left > 0) {
          sleep(Math.min(wait, left));
          continue;
        }
        const pids = readProcs(dir);
        const still = pids.length > 0 ? ` (processes still in it: ${pids.join(', ')})` : '';
        throw cgroupError(`removing ${dir}${still}`, err, dir);
      }
    }
  }
}
