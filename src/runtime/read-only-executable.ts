/**
 * The helper (the container's init, or exec's helper) is our own executable: node, or the single
 * nk-runtime file. While it runs inside the container, and in the program it execs (a script
 * starting `#!/proc/self/exe` runs the helper's executable again), /proc/<pid>/exe leads from
 * the container to that file on the host. If the container could open it for writing, it could
 * replace the runtime every later container runs: runc's CVE-2019-5736.
 *
 * Two defences. The helper makes itself non-dumpable at once (init/main.ts), so that a container
 * process without CAP_SYS_PTRACE cannot even open /proc/<pid>/exe. And here: the helper is
 * started from a read-only bind mount of the executable, made in a mount namespace of this one
 * thread, so /proc/<pid>/exe is a path on a read-only mount and every open for writing through it
 * fails with EROFS (man 2 open), whatever the container's capabilities. The host never sees the
 * mount; the namespace disappears once the helper has moved on to the container's.
 */
import { files as fs } from '../linux/files';
import { CLONE, MS } from '../linux/constants';
import type { Kernel } from '../linux/kernel';

const FIELD = 'process (CVE-2019-5736)';

export function spawnFromReadOnlyExecutable<T>(k: Kernel, executables: string[], spawn: () => T): T {
  const home = k.because(FIELD, 'Our mount namespace, to come back to after the spawn.').open('/proc/self/ns/mnt', fs.constants.O_RDONLY, 0);
  // setns into a mount namespace moves this thread's working directory to its root: note ours.
  const cwd = process.cwd();
  try {
    k.because(FIELD, 'A mount namespace for this thread alone (unshare(2) implies CLONE_FS): the mounts below are seen by the helper we spawn, never by the host.').unshare(CLONE.NEWNS);
    try {
      k.because(FIELD, 'Receive the host\'s mount events but send none back: what we mount here stays here.').mount(null, '/', null, MS.REC | MS.SLAVE, null);
      // The runtime's executable, and nk-userns when the helper starts as it (spawn-init.ts).
      for (const executable of new Set(executables)) {
        k.because(FIELD, 'The runtime\'s executable, bound onto itself...').mount(executable, executable, null, MS.BIND, null);
        k.because(FIELD, '...and made read-only: the helper is started from this mount, so /proc/<pid>/exe of the helper, and of a `#!/proc/self/exe` program, can never be opened for writing.').mount(
          null, executable, null, MS.REMOUNT | MS.BIND | MS.RDONLY, null,
        );
      }
      return spawn();
    } finally {
      // setns(CLONE_NEWNS) refuses (EINVAL) a thread that shares its root and cwd with another
      // (man 2 setns). Our unshare above stopped the sharing, but a thread the engine starts
      // meanwhile (Bun makes them as it needs them) shares them again: stop it once more.
      k.because(FIELD, 'A thread the engine may have started since our unshare shares our root and cwd again, and setns into a mount namespace refuses that (EINVAL): stop sharing them first.').unshare(CLONE.FS);
      k.because(FIELD, 'Back to our own mount namespace: later children (hooks) are born on the host\'s mounts.').setns(home, CLONE.NEWNS);
      k.because(FIELD, 'setns(CLONE_NEWNS) moved us to the root directory: back to where we were.').chdir(cwd);
    }
  } finally {
    k.because(FIELD).close(home);
  }
}
