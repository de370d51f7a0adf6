/**
 * What each kernel call does, in plain words, and where to read more.
 *
 * -E prints the call-site note when the code gave one (`k.because(field, note)`), and this
 * general explanation otherwise. The Record type makes the compiler insist on an entry for every
 * call of the kernel layer: no call can be added without its explanation.
 */
import type { KernelCall } from '../linux/kernel';

export interface Explanation {
  why: string;
  /** The man page to read; for some calls it depends on the arguments (a PID namespace has its own page). */
  man: string | ((callText: string) => string);
}

/** The man pages of a namespace call: the call's own, and the page of the namespace it names. */
function namespacePages(call: string) {
  return (text: string) => {
    const pages = [`man 2 ${call}`];
    if (text.includes('CLONE_NEWPID')) pages.push('man 7 pid_namespaces');
    if (text.includes('CLONE_NEWNS')) pages.push('man 7 mount_namespaces');
    if (text.includes('CLONE_NEWCGROUP')) pages.push('man 7 cgroup_namespaces');
    if (text.includes('CLONE_NEWNET')) pages.push('man 7 network_namespaces');
    return pages.join(', ');
  };
}

export const CATALOG: Record<KernelCall, Explanation> = {
  unshare: {
    why: 'Moves this thread into new namespaces: from now on it sees its own copy of what each flag names (mounts, hostname, IPC, network...).',
    man: namespacePages('unshare'),
  },
  setns: {
    why: 'Joins an existing namespace, given as an open file of /proc/<pid>/ns/<type>.',
    man: namespacePages('setns'),
  },
  mount: {
    why: 'Attaches a filesystem (or a view of one, with MS_BIND) at a place in the tree, or changes how an existing mount behaves.',
    man: 'man 2 mount',
  },
  umount2: {
    why: 'Detaches a mount. MNT_DETACH makes it lazy: gone from view now, freed when nothing uses it.',
    man: 'man 2 umount',
  },
  pivotRoot: {
    why: 'Makes the container rootfs the root of this mount namespace; the old root is stacked beneath it, to be detached next.',
    man: 'man 2 pivot_root',
  },
  openat2: {
    why: 'Opens a path inside a directory with rules for the walk: RESOLVE_IN_ROOT treats that directory as "/", so no symlink or ".." in an untrusted rootfs can lead out of it, even one swapped in while we work (runc\'s CVE-2021-30465).',
    man: 'man 2 openat2',
  },
  open: { why: 'Opens a file and returns a file descriptor.', man: 'man 2 open' },
  close: { why: 'Closes a file descriptor.', man: 'man 2 close' },
  mkdirAll: { why: 'Creates a directory, and any missing parents.', man: 'man 2 mkdir' },
  mkfifo: {
    why: 'Creates a named pipe. Opening it for writing blocks until someone opens it for reading: that is how the init waits for `start`.',
    man: 'man 3 mkfifo',
  },
  mknod: {
    why: 'Creates a device file: a name for a driver in the kernel, found by its major and minor numbers.',
    man: 'man 2 mknod',
  },
  chroot: {
    why: 'Changes the root directory of this process: "/" now means this directory. Unlike pivot_root the old root is still there, out of sight, and a process with CAP_SYS_CHROOT can climb out: --no-pivot only.',
    man: 'man 2 chroot',
  },
  symlink: { why: 'Creates a symbolic link.', man: 'man 2 symlink' },
  chown: { why: 'Sets the owner of a file.', man: 'man 2 chown' },
  writeFile: {
    why: 'Writes a value into a kernel file (cgroup controls and /proc/sys settings are set this way).',
    man: 'man 7 cgroups',
  },
  unlink: { why: 'Removes a name from a directory (here a device node, to make it again as the config says).', man: 'man 2 unlink' },
  rmdir: { why: 'Removes an empty directory (a cgroup is removed this way once no process is in it).', man: 'man 2 rmdir' },
  chdir: { why: 'Changes the working directory of this process.', man: 'man 2 chdir' },
  sethostname: {
    why: 'Sets the hostname. Inside a new UTS namespace this changes the container only; the host keeps its name.',
    man: 'man 2 sethostname',
  },
  setdomainname: { why: 'Sets the NIS domain name, also per UTS namespace.', man: 'man 2 setdomainname' },
  umask: { why: 'Sets which permission bits new files will not get.', man: 'man 2 umask' },
  setrlimit: {
    why: 'Sets a resource limit of this process; execve keeps it, so the program inherits it.',
    man: 'man 2 setrlimit',
  },
  setgroups: { why: 'Sets the supplementary groups of the process.', man: 'man 2 setgroups' },
  setgid: { why: 'Sets the group ID the program will run as.', man: 'man 2 setgid' },
  setuid: {
    why: 'Sets the user ID the program will run as. After this a non-root user cannot go back.',
    man: 'man 2 setuid',
  },
  prctl: {
    why: 'Changes a property of this process: PR_SET_NO_NEW_PRIVS means no execve from now on can grant privileges (setuid binaries, file capabilities).',
    man: 'man 2 prctl',
  },
  resetSignal: {
    why: 'Gives a signal its default action back. execve resets caught signals, but keeps ignored ones ignored: Node ignores SIGPIPE and SIGXFSZ, and the program must not inherit that (`yes | head` would not end quietly).',
    man: 'man 7 signal',
  },
  setCloexec: {
    why: 'Sets or clears close-on-exec on a file descriptor: with it, execve closes the fd; without it, the program inherits it.',
    man: 'man 2 fcntl',
  },
  setNonBlocking: {
    why: 'Sets or clears O_NONBLOCK on an open file: without it, a read waits until there is data (or the end).',
    man: 'man 2 fcntl',
  },
  poll: {
    why: 'Waits, up to a timeout in ms, until a file has something to read or its other end has been closed.',
    man: 'man 2 poll',
  },
  closeRangeCloexec: {
    why: 'Marks every fd from here up close-on-exec, so no file of the runtime leaks into the container (the class of runc CVE-2024-21626).',
    man: 'man 2 close_range',
  },
  flock: { why: 'Takes an advisory lock on a file.', man: 'man 2 flock' },
  connectUnix: {
    why: 'Connects to a unix socket by its file name: the way to reach a process that listens there (the console socket of containerd or podman).',
    man: 'man 7 unix',
  },
  sendFd: {
    why: 'Sends a file descriptor over a unix socket (SCM_RIGHTS): the receiving process gets its own fd for the same open file, here the terminal\'s master side.',
    man: 'man 7 unix',
  },
  receiveFd: {
    why: 'Receives a file descriptor sent over a unix socket: here the master side of the container\'s terminal, which the init made and sent.',
    man: 'man 7 unix',
  },
  runToEnd: {
    why: 'Runs a hook of the config: a program of the host\'s (or, for createContainer and startContainer, run in the container\'s namespaces) that gets the container\'s state on stdin. We wait for it; one that fails stops a container that has not started yet.',
    man: 'man 2 execve, man 2 waitpid; the OCI runtime-spec, config.md "Hooks"',
  },
  dup2: { why: 'Makes one fd number a copy of another: how a terminal becomes the stdin, stdout and stderr of a process.', man: 'man 2 dup2' },
  unlockPty: {
    why: 'Unlocks the slave side of a new pseudo-terminal so it can be opened (unlockpt(3) is this ioctl).',
    man: 'man 4 pts',
  },
  ptyNumber: {
    why: 'Asks which /dev/pts/N is the slave side of this master (ptsname(3) is this ioctl).',
    man: 'man 4 pts',
  },
  setWindowSize: { why: 'Tells the terminal its size in rows and columns (process.consoleSize): programs like vi and top read it.', man: 'man 2 ioctl_tty' },
  setControllingTerminal: {
    why: 'Makes this terminal the controlling terminal of our session: Ctrl-C on it now sends SIGINT to the program, and closing it sends SIGHUP.',
    man: 'man 2 ioctl_tty',
  },
  personality: {
    why: 'Sets the execution domain: PER_LINUX32 makes `uname -m` say i686 (or armv8l), for 32-bit programs and build tools that ask.',
    man: 'man 2 personality',
  },
  capget: {
    why: 'Asks which capabilities this process holds: only those can be handed on to the program. One the machine does not let us have is left out (create warned about it).',
    man: 'man 2 capget',
  },
  capset: {
    why: 'Sets which of root\'s powers this process holds: effective (checked now), permitted (may be used), inheritable (may pass to a program with file capabilities). What is not listed is gone.',
    man: 'man 2 capset',
  },
  seccomp: {
    why: 'Installs a filter the kernel runs on every system call this process (and the program it becomes) makes from now on: a small BPF program that looks at the call\'s number and arguments and says allow, fail with an errno, or kill. It cannot be removed, only made stricter.',
    man: 'man 2 seccomp',
  },
  bpfProgLoad: {
    why: 'Hands the kernel an eBPF program: 8-byte instructions for a small virtual machine of eleven registers. The verifier first walks every path of it (no loop without end, no read outside its input, a return value on every path) and refuses it otherwise; then the kernel compiles it to machine code. A BPF_PROG_TYPE_CGROUP_DEVICE program is asked about every device node a process of its cgroup opens or creates: 1 allows, 0 refuses (EPERM). This is cgroup v2\'s devices.allow.',
    man: 'man 2 bpf',
  },
  bpfProgAttach: {
    why: 'Attaches a loaded program to a cgroup: from now on it runs for the processes of that cgroup and of the cgroups below it. BPF_F_ALLOW_MULTI lets several programs sit on one cgroup (they must all allow); the attachment, not our fd, keeps the program alive, until the cgroup is removed.',
    man: 'man 2 bpf',
  },
  bpfProgDetach: {
    why: 'Detaches a program from a cgroup. Done after the new one is attached, as runc does: in between both run, and a device must pass both, so the cgroup is never without its allow-list.',
    man: 'man 2 bpf',
  },
  bpfProgQuery: {
    why: 'Asks which programs are attached to a cgroup (their ids): an update replaces the device program that create attached, which no fd of ours holds any more.',
    man: 'man 2 bpf',
  },
  bpfProgGetFdById: {
    why: 'Opens a loaded program by its id, to name it in a later call (here: to detach it).',
    man: 'man 2 bpf',
  },
  socketpair: {
    why: 'Makes two connected unix sockets: whatever is written into one comes out of the other. Each process keeps one end; when a process dies, the kernel closes its end and the other side reads end-of-file.',
    man: 'man 2 socketpair',
  },
  spawn: {
    why: 'Starts a new process: posix_spawn forks (clone with CLONE_VM|CLONE_VFORK), sets up the child\'s fds and signals, and execve\'s the program, all in C. Wrapped in unshare or setns with CLONE_NEWPID, the child is born in that PID namespace; the runtime steps back to its own at once.',
    man: (text: string) => (text.includes('CLONE_NEWPID') ? 'man 3 posix_spawn, man 7 pid_namespaces' : 'man 3 posix_spawn'),
  },
  kill: { why: 'Sends a signal to a process.', man: 'man 2 kill' },
  writeIdMap: {
    why: 'Tells the kernel which host IDs the new user namespace\'s IDs stand for: "0 100000 65536" makes uid 0 inside be uid 100000 on the host, and so on for 65536 IDs. Only a process outside the namespace, with CAP_SETUID (CAP_SETGID for gid_map) there, may write more than its own ID; a map is written once. A root inside is root only over what the map gives it.',
    man: 'man 7 user_namespaces',
  },
  adoptChild: {
    why: 'The init was made by nk-userns with clone(CLONE_PARENT), so it is our child, not nk-userns\'s: we wait for it (waitpid) as for any child we spawn. nk-userns has exited already.',
    man: 'man 2 clone, man 2 waitpid',
  },
  execve: {
    why: 'Replaces the program of this process with the container\'s: same pid, same namespaces, cgroups and mounts; the runtime\'s code (Node or Bun) is gone.',
    man: 'man 2 execve',
  },
};
