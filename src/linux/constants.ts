/**
 * Numeric constants of the Linux kernel ABI that nk-runtime uses, with their names.
 *
 * They come from the kernel's uapi headers (<linux/sched.h>, <linux/mount.h>, ...). The values
 * below are the same on x86_64 and aarch64, the two architectures nk-runtime supports; where that
 * is not true (syscall numbers) the table is keyed by architecture.
 */

/** Namespace flags for unshare(2), setns(2) and clone(2). man 7 namespaces */
export const CLONE = {
  NEWNS: 0x00020000,
  NEWCGROUP: 0x02000000,
  NEWUTS: 0x04000000,
  NEWIPC: 0x08000000,
  NEWUSER: 0x10000000,
  NEWPID: 0x20000000,
  NEWNET: 0x40000000,
  NEWTIME: 0x00000080,
  /** Stop sharing the filesystem attributes (root, cwd, umask) with the other threads. */
  FS: 0x00000200,
} as const;

/** mount(2) flags. man 2 mount */
export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
  LAZYTIME: 0x2000000,
} as const;

/** umount2(2) flags. */
export const MNT = {
  FORCE: 0x1,
  DETACH: 0x2,
  EXPIRE: 0x4,
} as const;

/** close_range(2) flags. */
export const CLOSE_RANGE = {
  UNSHARE: 0x2,
  CLOEXEC: 0x4,
} as const;

/** fcntl(2) commands and flags. */
export const F_GETFD = 1;
export const F_SETFD = 2;
export const FD_CLOEXEC = 1;
export const F_GETFL = 3;
export const F_SETFL = 4;
/** open(2) and fcntl(2) F_SETFL flag: reads and writes that would wait fail with EAGAIN instead. */
export const O_NONBLOCK = 0o4000;

/** poll(2) events: data to read; the other end has closed (a pipe's, a fifo's writer); an error. */
export const POLL = { IN: 0x1, ERR: 0x8, HUP: 0x10 } as const;
/** fcntl(2) F_DUPFD_CLOEXEC: a copy of the fd, close-on-exec, at the lowest free number from arg on. */
export const F_DUPFD_CLOEXEC = 1030;

/** waitpid(2) option: return at once (0) if the child is still running. */
export const WNOHANG = 1;

/** posix_spawnattr_setflags(3) flags, as glibc defines them (spawn.h). */
export const POSIX_SPAWN = { SETSIGDEF: 0x04, SETSIGMASK: 0x08, SETSID: 0x80 } as const;
/**
 * Room for glibc's opaque posix_spawn types (80 and 336 bytes on x86_64 and aarch64) and for a
 * sigset_t (128 bytes): more than enough, since only glibc reads and writes them.
 */
export const POSIX_SPAWN_STRUCT_BYTES = 512;

/** flock(2) operations. */
export const LOCK = { SH: 1, EX: 2, NB: 4, UN: 8 } as const;

/** socketpair(2): the domain and types. man 7 unix */
export const AF_UNIX = 1;
export const SOCK = { STREAM: 1, CLOEXEC: 0o2000000 } as const;
/** sendmsg(2) ancillary data: fds travel as SOL_SOCKET / SCM_RIGHTS. man 7 unix */
export const SOL_SOCKET = 1;
export const SCM_RIGHTS = 1;

/** Terminal ioctls, the same numbers on x86_64 and aarch64. man 2 ioctl_tty, man 4 pts */
export const TIOC = {
  SPTLCK: 0x40045431,
  GPTN: 0x80045430,
  SWINSZ: 0x5414,
  SCTTY: 0x540e,
} as const;

/** open(2) flag O_NOCTTY: opening a terminal must not make it our controlling terminal. */
export const O_NOCTTY = 0o400;

/** prctl(2) options. */
export const PR: Record<string, number> = {
  SET_PDEATHSIG: 1,
  SET_DUMPABLE: 4,
  SET_KEEPCAPS: 8,
  CAPBSET_DROP: 24,
  SET_NO_NEW_PRIVS: 38,
  CAP_AMBIENT: 47,
};

/** prctl(PR_CAP_AMBIENT, ...)'s second argument. man 2 prctl */
export const PR_CAP_AMBIENT = { RAISE: 2, CLEAR_ALL: 4 } as const;

/** File type bits of a mode, for mknod(2) and stat(2)'s st_mode (its S_IFMT bits). man 7 inode */
export const S_IFMT = 0o170000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFSOCK = 0o140000;

/** setrlimit(2) resources, by the names the OCI spec uses. */
export const RLIMIT: Record<string, number> = {
  RLIMIT_CPU: 0,
  RLIMIT_FSIZE: 1,
  RLIMIT_DATA: 2,
  RLIMIT_STACK: 3,
  RLIMIT_CORE: 4,
  RLIMIT_RSS: 5,
  RLIMIT_NPROC: 6,
  RLIMIT_NOFILE: 7,
  RLIMIT_MEMLOCK: 8,
  RLIMIT_AS: 9,
  RLIMIT_LOCKS: 10,
  RLIMIT_SIGPENDING: 11,
  RLIMIT_MSGQUEUE: 12,
  RLIMIT_NICE: 13,
  RLIMIT_RTPRIO: 14,
  RLIMIT_RTTIME: 15,
};

/** Syscalls that glibc has no wrapper for, called through syscall(2). */
export const SYS: Record<string, { pivot_root: number; seccomp: number; openat2: number; bpf: number }> = {
  x64: { pivot_root: 155, seccomp: 317, openat2: 437, bpf: 321 },
  arm64: { pivot_root: 41, seccomp: 277, openat2: 437, bpf: 280 },
};

/** bpf(2) commands, program types, attach types and flags (linux/bpf.h): the few used here. */
export const BPF_CMD = { PROG_LOAD: 5, PROG_ATTACH: 8, PROG_DETACH: 9, PROG_GET_FD_BY_ID: 13, PROG_QUERY: 16 } as const;
export const BPF_PROG_TYPE: Record<string, number> = { CGROUP_DEVICE: 15 };
export const BPF_ATTACH_TYPE: Record<string, number> = { CGROUP_DEVICE: 6 };
export const BPF_F: Record<string, number> = { ALLOW_OVERRIDE: 1, ALLOW_MULTI: 2, REPLACE: 4 };

/** seccomp(2) operations: install a filter program. */
export const SECCOMP_SET_MODE_FILTER = 1;
/** seccomp(2) flags (linux/seccomp.h). */
export const SECCOMP_FILTER_FLAG: Record<string, number> = { TSYNC: 1, LOG: 2, SPEC_ALLOW: 4 };

/** Turn a flag word into names: 0x4002 -> "MS_REC|MS_NOSUID". Unknown bits are shown in hex. */
export function flagNames(value: number, table: Record<string, number>, prefix: string): string {
  if (value === 0) return '0';
  const names: string[] = [];
  let rest = value;
  for (const [name, bit] of Object.entries(table)) {
    if (bit !== 0 && (value & bit) === bit) {
      names.push(prefix + name);
      rest &= ~bit;
    }
  }
  if (rest !== 0) names.push('0x' + (rest >>> 0).toString(16));
  return names.join('|');
}

/**
 * open(2) flag O_PATH: a handle on a file that allows no reading or writing, only naming it
 * later through /proc/self/fd/N. Node's fs.constants lacks it. Same value on x86_64 and aarch64.
 */
export const O_PATH = 0o10000000;
/** open(2) flag O_CLOEXEC (Node's fs.constants does not list it). */
export const O_CLOEXEC = 0o2000000;

/**
 * open(2)'s flags, by the names of node:fs's `constants` (what files-bun.ts gives as that table).
 * The same on x86_64 and aarch64, but O_DIRECTORY and O_NOFOLLOW. man 2 open
 */
const arm = process.arch === 'arm64';
export const OPEN_FLAGS = {
  O_RDONLY: 0,
  O_WRONLY: 0o1,
  O_RDWR: 0o2,
  O_CREAT: 0o100,
  O_EXCL: 0o200,
  O_NOCTTY,
  O_TRUNC: 0o1000,
  O_APPEND: 0o2000,
  O_NONBLOCK,
  O_DIRECTORY: arm ? 0o40000 : 0o200000,
  O_NOFOLLOW: arm ? 0o100000 : 0o400000,
  O_CLOEXEC,
};

/** openat2(2)'s `resolve` flags: how the path may be walked. */
export const RESOLVE = { NO_XDEV: 0x01, NO_MAGICLINKS: 0x02, NO_SYMLINKS: 0x04, BENEATH: 0x08, IN_ROOT: 0x10 } as const;

/** The namespace types of the OCI spec and their clone flags. */
export const NAMESPACE_FLAGS: Record<string, number> = {
  pid: CLONE.NEWPID,
  network: CLONE.NEWNET,
  mount: CLONE.NEWNS,
  ipc: CLONE.NEWIPC,
  uts: CLONE.NEWUTS,
  user: CLONE.NEWUSER,
  cgroup: CLONE.NEWCGROUP,
  time: CLONE.NEWTIME,
};
