/**
 * The init (or an exec helper) moves itself into the container's cgroups: the first of its steps,
 * before any namespace, so that the cgroup namespace it makes has the container's cgroup as its
 * root, and everything it does from here on counts there.
 *
 * The runtime could move us, writing our pid to each cgroup.procs, but the kernel makes a move of
 * a whole process wait for an RCU grace period the first time in a while (10-15 ms here), and we
 * would wait for the runtime. Writing 0 to a v1 hierarchy's `tasks` moves just the thread that
 * writes it, without that lock: this one, our main thread, which makes every call below and
 * becomes the program at execve (the engine's other threads end there). The runtime only sends
 * the files when that works (cgroup v1, and no user namespace of our own): see
 * CgroupV1.selfJoinFiles, and create.ts for the other cases.
 */
import type { Kernel } from '../linux/kernel';
import { writeCgroupFile } from '../linux/cgroups/files';

export function joinCgroups(k: Kernel, tasksFiles: string[] | undefined): void {
  (tasksFiles ?? []).forEach((file, i) => writeCgroupFile(k, 'linux.cgroupsPath', file, '0', i === 0
    ? 'Into the container\'s cgroup, by ourselves: 0 is "the thread that writes". A thread moving itself is the one move the kernel makes at once; a whole process (cgroup.procs) waits 10-15 ms.'
    : 'The same, in the next hierarchy.'));
}
