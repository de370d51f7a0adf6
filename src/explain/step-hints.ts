/**
 * --step: what to look at, from the host, around each kernel call. One entry per call (the
 * `Record` makes the compiler ask for a new call's entry), each a shell command with the real pid
 * and paths filled in, so that it can be pasted into another terminal as it is.
 *
 * The commands read what the call changes: /proc/PID/ns for namespaces, /proc/PID/mountinfo for
 * mounts, /proc/PID/status for identity and privileges, the cgroup's own files for the cgroup.
 * Run one at the pause before the call and again at the next pause, and compare. man 5 proc.
 */
import type { KernelCall } from '../linux/kernel';
import { PR } from '../linux/constants';

/** Which process makes the call, as the host sees it. */
export interface Caller {
  /** Its pid on the host (an init is pid 1 only inside its PID namespace). */
  pid: number;
  /** A process of the container (init, exec helper): its paths are its own, not the host's. */
  inContainer: boolean;
}

/** A call's arguments as they reach us: from the init they come as JSON (strings, numbers, null). */
type Args = readonly unknown[];
type Hint = (args: Args, who: Caller) => string[];

const status = (fields: string): Hint => (_, who) => [`grep -E '${fields}' /proc/${who.pid}/status`];
const ns: Hint = (_, who) => [`ls -l /proc/${who.pid}/ns`];
const mounts: Hint = (_, who) => [`cat /proc/${who.pid}/mountinfo`];
const fds: Hint = (_, who) => [`ls -l /proc/${who.pid}/fd`];
const children: Hint = (_, who) => [`ps -o pid,ppid,args --ppid ${who.pid}`];
/** `ls -ld` of the path its first argument names. */
const entry: Hint = (args, who) => (typeof args[0] === 'string' ? [`ls -ld ${hostPath(args[0], who)}`] : []);
/** The fd its first argument names: its flags (O_CLOEXEC is 02000000) in /proc/PID/fdinfo. */
const fdFlags: Hint = (args, who) => (typeof args[0] === 'number' ? [`grep flags /proc/${who.pid}/fdinfo/${args[0]}`] : fds(args, who));

const HINTS: Record<KernelCall, Hint> = {
  unshare: ns,
  setns: ns,
  mount: mounts,
  umount2: mounts,
  pivotRoot: (args, who) => [`cat /proc/${who.pid}/mountinfo`, `ls /proc/${who.pid}/root/`],
  chroot: (_, who) => [`ls -l /proc/${who.pid}/root`],
  chdir: (_, who) => [`ls -l /proc/${who.pid}/cwd`],
  open: fds,
  openat2: fds,
  close: fds,
  dup2: fds,
  socketpair: fds,
  connectUnix: fds,
  sendFd: fds,
  receiveFd: fds,
  unlockPty: fds,
  ptyNumber: fds,
  setWindowSize: fds,
  setCloexec: fdFlags,
  setNonBlocking: fdFlags,
  poll: fdFlags,
  closeRangeCloexec: (_, who) => [`grep flags /proc/${who.pid}/fdinfo/*`],
  flock: (_, who) => ['cat /proc/locks', `ls -l /proc/${who.pid}/fd`],
  mkdirAll: (args, who) => (typeof args[0] === 'string' ? [`ls -la ${hostPath(args[0], who)}`] : []),
  mkfifo: entry,
  mknod: entry,
  chown: entry,
  rmdir: entry,
  unlink: entry,
  symlink: (args, who) => (typeof args[1] === 'string' ? [`ls -ld ${hostPath(args[1], who)}`] : []),
  // A cgroup's files (cgroup.procs, memory.limit_in_bytes...), a sysctl, a uid map: read it back.
  writeFile: (args, who) => {
    if (typeof args[0] !== 'string') return [];
    // /proc/sys shows the namespaces of whoever reads it: read it from inside the container's.
    if (who.inContainer && args[0].startsWith('/proc/sys/')) return [`nsenter -t ${who.pid} -a cat ${quote(args[0])}`];
    return [`cat ${hostPath(args[0], who)}`];
  },
  sethostname: (_, who) => [`nsenter -t ${who.pid} -u cat /proc/sys/kernel/hostname`],
  setdomainname: (_, who) => [`nsenter -t ${who.pid} -u cat /proc/sys/kernel/domainname`],
  umask: status('Umask'),
  setrlimit: (_, who) => [`cat /proc/${who.pid}/limits`],
  setgroups: status('Uid|Gid|Groups'),
  setgid: status('Uid|Gid|Groups'),
  setuid: status('Uid|Gid|Groups|Cap'),
  prctl: (args, who) => {
    if (args[0] === PR.SET_NO_NEW_PRIVS) return status('NoNewPrivs')(args, who);
    // Not dumpable: /proc/PID/exe, mem and fd/ are for CAP_SYS_PTRACE only (try as another user).
    if (args[0] === PR.SET_DUMPABLE) return [`ls -l /proc/${who.pid}/exe`];
    if (args[0] === PR.CAPBSET_DROP) return status('CapBnd')(args, who);
    if (args[0] === PR.CAP_AMBIENT) return status('CapAmb')(args, who);
    return status('Cap|NoNewPrivs')(args, who);
  },
  personality: (_, who) => [`cat /proc/${who.pid}/personality`],
  capget: status('Cap'),
  capset: status('Cap'),
  seccomp: status('NoNewPrivs|Seccomp'),
  resetSignal: status('SigBlk|SigIgn|SigCgt'),
  setControllingTerminal: (_, who) => [`ps -o pid,sid,tty,args -p ${who.pid}`],
  spawn: children,
  runToEnd: children,
  kill: (args, who) => (typeof args[0] === 'number' ? [`ps -o pid,stat,args -p ${args[0]}`] : children(args, who)),
  execve: (_, who) => [`ps -o pid,args -p ${who.pid}`, `ls -l /proc/${who.pid}/exe`],
  // The user namespace's maps, as the kernel keeps them; the adopted child among ours.
  writeIdMap: (args, who) => {
    const pid = typeof args[0] === 'number' ? args[0] : who.pid;
    return [`cat /proc/${pid}/uid_map /proc/${pid}/gid_map`, `ls -l /proc/${pid}/ns/user`];
  },
  adoptChild: children,
  // A loaded eBPF program is an fd: its fdinfo says prog_type and prog_id (15 is CGROUP_DEVICE).
  bpfProgLoad: bpfPrograms,
  bpfProgGetFdById: bpfPrograms,
  bpfProgQuery: bpfPrograms,
  // Which programs a cgroup runs: bpftool (Debian's package bpftool) lists them by cgroup.
  bpfProgAttach: (args, who) => [...bpfPrograms(args, who), `bpftool cgroup show ${hostPath(`/proc/self/fd/${args[0]}`, who)}`],
  bpfProgDetach: (args, who) => [...bpfPrograms(args, who), `bpftool cgroup show ${hostPath(`/proc/self/fd/${args[0]}`, who)}`],
};

/** The eBPF programs the process holds open, from the fdinfo of its fds. */
function bpfPrograms(_: Args, who: Caller): string[] {
  return [`grep -H -E 'prog_type|prog_id' /proc/${who.pid}/fdinfo/*`];
}

/** The shell commands that show what `call` changes, for the process `who`. */
export function whatToLookAt(call: KernelCall, args: Args, who: Caller): string[] {
  return HINTS[call](args, who);
}

/**
 * A path as the process `who` means it, written so that the host reaches the same file:
 * through /proc/PID/root (its root and its mounts) or /proc/PID/cwd for a process of the
 * container, whose "/" may be the rootfs already; /proc/self is the process itself.
 */
export function hostPath(path: string, who: Caller): string {
  if (path.startsWith('/proc/self/')) return quote(`/proc/${who.pid}/${path.slice('/proc/self/'.length)}`);
  if (!who.inContainer) return quote(path);
  return quote(path.startsWith('/') ? `/proc/${who.pid}/root${path}` : `/proc/${who.pid}/cwd/${path}`);
}

/** Quoted for sh when it holds anything but the characters of ordinary paths. */
function quote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
