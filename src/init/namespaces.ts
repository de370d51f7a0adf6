/**
 * The init's namespaces: join the ones the config gives a path for, then create the others.
 *
 * The PID namespace is not handled here: a process cannot change its own PID namespace, so the
 * runtime entered it before spawning us (see spawnHelper() in runtime/spawn-init.ts), and we were
 * born PID 1. Nor is the user namespace: Node cannot enter one (nk-userns did, before execve).
 */
import { files as fs } from '../linux/files';
import { CLONE, NAMESPACE_FLAGS } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Spec } from '../oci/spec';
import { hasProcNow, noteStandIn } from '../linux/proc';

export function enterNamespaces(k: Kernel, spec: Spec): void {
  const namespaces = spec.linux?.namespaces ?? [];
  let newFlags = 0;
  namespaces.forEach((ns, i) => {
    // The user namespace too: nk-userns made (or joined) it before this program started.
    if (ns.type === 'pid' || ns.type === 'user') return;
    const flag = NAMESPACE_FLAGS[ns.type];
    if (!ns.path) {
      newFlags |= flag;
      return;
    }
    const field = `linux.namespaces[${i}]`;
    const fd = k.because(field, `Opening the ${ns.type} namespace to join.`).open(ns.path, fs.constants.O_RDONLY, 0);
    if (ns.type === 'mount') {
      // setns(CLONE_NEWNS) fails with EINVAL while this thread shares its filesystem attributes
      // (root, cwd) with others, and Node and Bun always have other threads. man 2 setns
      k.because(field, 'A thread that shares its root and cwd with other threads cannot join a mount namespace; stop sharing them first.').unshare(CLONE.FS);
    }
    k.because(field).setns(fd, flag);
    k.because(field).close(fd);
  });
  if (newFlags !== 0) {
    k.because(
      'linux.namespaces',
      'New namespaces for this thread: from now on it has its own mount table, hostname, IPC objects and network stack (those the flags name). The runtime (Node or Bun) is multi-threaded and unshare acts on the calling thread only, so every later step of the init runs on this thread, with synchronous calls.',
    ).unshare(newFlags);
  }
}

/** The inode of a process's mount namespace: two processes are in the same one if they match. */
export function mountNamespaceInode(pid: number | 'self' = 'self'): number {
  if (!hasProcNow()) {
    // No /proc, so no namespaces to tell apart: only a dry run gets here (linux/proc.ts).
    noteStandIn(`/proc/${pid}/ns/mnt`);
    return 0;
  }
  return fs.statSync(`/proc/${pid}/ns/mnt`).ino;
}
