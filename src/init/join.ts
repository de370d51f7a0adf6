/**
 * `exec`'s helper: join a running container and become a command inside it.
 *
 * The runtime spawned us in the container's PID namespace; we join its cgroups (or the runtime
 * has put us there: join-cgroups.ts), then every other namespace, then take the same last steps
 * as the init's (program.ts). Each namespace is opened as /proc/<init pid>/ns/<type> first,
 * while /proc is still the host's: once we have joined the container's mounts, /proc is the
 * container's and the pid means nothing.
 */
import { files as fs } from '../linux/files';
import { CLONE, NAMESPACE_FLAGS } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { ExecBootstrap } from '../runtime/messages';
import { execProgram, findProgram } from './program';
import { makeTerminal } from './terminal';
import { joinCgroups } from './join-cgroups';
import { prepareSeccomp } from './seccomp';
import type { InitChannel } from './channel';
import { OWN_VIEW, type InitView } from './view';

/** The order we join in: the mount namespace last, since it changes what paths mean. */
const JOIN_ORDER = ['ipc', 'uts', 'network', 'cgroup', 'mount'];
const PROC_NAME: Record<string, string> = { ipc: 'ipc', uts: 'uts', network: 'net', cgroup: 'cgroup', mount: 'mnt' };

/** `view`: where the container's `/` is once its mounts are joined ("/" here; a dry run's differs: view.ts). */
export function execInContainer(k: Kernel, boot: ExecBootstrap, channel: Pick<InitChannel, 'waitUntilClosed'>, fds: { preserved: number; console: number }, view: Pick<InitView, 'root'> = OWN_VIEW): never {
  joinCgroups(k, boot.joinCgroups);
  // Before joining the container's mounts, where the runtime's files cannot be read.
  const seccomp = prepareSeccomp(boot.seccomp);
  const joined = JOIN_ORDER.filter((type) => boot.namespaces.includes(type)).map((type) => {
    const file = `/proc/${boot.containerPid}/ns/${PROC_NAME[type]}`;
    return { type, fd: k.because(`exec: ${type} namespace`, `The container's ${type} namespace, opened while /proc is still the host's.`).open(file, fs.constants.O_RDONLY, 0) };
  });
  for (const { type, fd } of joined) {
    if (type === 'mount') {
      // setns(CLONE_NEWNS) fails with EINVAL while this thread shares its root and cwd with
      // other threads, and Node and Bun always have some. man 2 setns
      k.because('exec: mount namespace', 'A thread that shares its root and cwd with other threads cannot join a mount namespace; stop sharing them first.').unshare(CLONE.FS);
    }
    k.because(`exec: ${type} namespace`, `Joining the container's ${type} namespace: from now on this thread sees what the container sees.`).setns(fd, NAMESPACE_FLAGS[type]);
    k.because(`exec: ${type} namespace`, 'Joined: the fd has done its work.').close(fd);
  }
  const spec = { process: boot.process };
  const program = findProgram(spec, view.root);
  const terminal = boot.console ? makeTerminal(k, boot.process, fds.console) : undefined;
  return execProgram(k, spec, program, {
    terminal,
    preservedFds: fds.preserved,
    seccomp,
    beforeExecve: boot.waitForRuntimeExit ? () => channel.waitUntilClosed() : undefined,
  });
}
