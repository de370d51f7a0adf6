/**
 * The seccomp profile `nk-runtime spec` writes: an allow-list in the manner of Docker's default
 * profile (moby's profiles/seccomp/default.json), for a container with spec's three capabilities.
 *
 * Every system call not listed fails with EPERM. What stays out is what lets a process reach
 * past its container or the whole machine: mount and namespaces (mount, umount2, unshare, setns,
 * pivot_root, clone with namespace flags), kernel modules and kexec, BPF and perf, the clock,
 * swap, reboot, keyrings, ptrace, and opening files by handle (the "shocker" escape). Docker adds
 * some of these back when a container is given the capability that governs them; this profile is
 * for spec's default, which has none of those capabilities.
 *
 * Names of other architectures (the *32 and *64 variants of 32-bit systems) are left out: the
 * filter only knows x86_64 and aarch64 (src/linux/seccomp/compile.ts).
 */
import type { Seccomp } from './spec';

const ALLOWED = [
  // Files and directories
  'access', 'chdir', 'chmod', 'chown', 'close', 'close_range', 'copy_file_range', 'creat', 'dup', 'dup2', 'dup3',
  'faccessat', 'faccessat2', 'fadvise64', 'fallocate', 'fchdir', 'fchmod', 'fchmodat', 'fchmodat2', 'fchown',
  'fchownat', 'fcntl', 'fdatasync', 'flock', 'fstat', 'fstatfs', 'fsync', 'ftruncate', 'getcwd', 'getdents',
  'getdents64', 'lchown', 'link', 'linkat', 'lseek', 'lstat', 'mkdir', 'mkdirat', 'mknod', 'mknodat', 'newfstatat',
  'open', 'openat', 'openat2', 'pread64', 'preadv', 'preadv2', 'pwrite64', 'pwritev', 'pwritev2', 'read',
  'readahead', 'readlink', 'readlinkat', 'readv', 'rename', 'renameat', 'renameat2', 'rmdir', 'sendfile', 'splice',
  'stat', 'statfs', 'statx', 'symlink', 'symlinkat', 'sync', 'sync_file_range', 'syncfs', 'tee', 'truncate',
  'umask', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimes', 'futimesat', 'vmsplice', 'write', 'writev',
  'getxattr', 'lgetxattr', 'fgetxattr', 'listxattr', 'llistxattr', 'flistxattr', 'setxattr', 'lsetxattr',
  'fsetxattr', 'removexattr', 'lremovexattr', 'fremovexattr', 'name_to_handle_at',
  // Waiting on many fds, and files that are events
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait', 'eventfd', 'eventfd2',
  'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch', 'fanotify_mark', 'poll', 'ppoll',
  'pselect6', 'select', 'signalfd', 'signalfd4', 'timerfd_create', 'timerfd_gettime', 'timerfd_settime', 'pipe', 'pipe2',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'ioctl',
  // Processes and threads (clone is below, with a condition)
  'execve', 'execveat', 'exit', 'exit_group', 'fork', 'vfork', 'wait4', 'waitid', 'kill', 'tkill', 'tgkill',
  'getpid', 'getppid', 'gettid', 'getpgid', 'getpgrp', 'setpgid', 'getsid', 'setsid', 'set_tid_address',
  'set_robust_list', 'get_robust_list', 'rseq', 'futex', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue',
  'pidfd_open', 'pidfd_send_signal', 'prctl', 'arch_prctl', 'modify_ldt', 'getcpu', 'membarrier', 'seccomp',
  'getpriority', 'setpriority', 'ioprio_get', 'ioprio_set', 'sched_yield', 'sched_getaffinity', 'sched_setaffinity',
  'sched_getattr', 'sched_setattr', 'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'process_mrelease',
  'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
  // Identity and limits (what capabilities allow; these only ask)
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups', 'setuid', 'setgid', 'setreuid',
  'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid', 'capget', 'capset', 'getrlimit',
  'setrlimit', 'prlimit64', 'getrusage', 'times', 'uname', 'sysinfo',
  // Memory
  'brk', 'mmap', 'munmap', 'mremap', 'mprotect', 'madvise', 'mincore', 'msync', 'mlock', 'mlock2', 'mlockall',
  'munlock', 'munlockall', 'memfd_create', 'memfd_secret', 'remap_file_pages', 'pkey_alloc', 'pkey_free',
  'pkey_mprotect', 'map_shadow_stack', 'cachestat',
  // Signals
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn', 'rt_sigsuspend',
  'rt_sigtimedwait', 'rt_tgsigqueueinfo', 'sigaltstack', 'pause', 'restart_syscall',
  // Time (reading clocks and sleeping; setting the clock stays out)
  'alarm', 'clock_getres', 'clock_gettime', 'clock_nanosleep', 'gettimeofday', 'nanosleep', 'time', 'getitimer',
  'setitimer', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_settime',
  // Network (socket is below, with a condition)
  'accept', 'accept4', 'bind', 'connect', 'getpeername', 'getsockname', 'getsockopt', 'setsockopt', 'listen',
  'recvfrom', 'recvmmsg', 'recvmsg', 'sendmmsg', 'sendmsg', 'sendto', 'shutdown', 'socketpair',
  // System V and POSIX IPC (private to the container's IPC namespace)
  'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop', 'semtimedop', 'shmat', 'shmctl', 'shmdt',
  'shmget', 'mq_open', 'mq_unlink', 'mq_timedsend', 'mq_timedreceive', 'mq_notify', 'mq_getsetattr',
  // Random numbers
  'getrandom',
];

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: clone may make none of these. */
const CLONE_NAMESPACE_FLAGS = 0x7e020000;
/** AF_VSOCK: sockets to the hypervisor, outside the container's network namespace. */
const AF_VSOCK = 40;

export function defaultSeccomp(): Seccomp {
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: 1, // EPERM
    architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
    syscalls: [
      { names: ALLOWED, action: 'SCMP_ACT_ALLOW' },
      // A new process or thread, but no new namespaces: that is how a container would leave its own.
      { names: ['clone'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }] },
      // clone3 passes its flags in memory, where a filter cannot look: ENOSYS makes libc use clone.
      { names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: 38 },
      { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }] },
      // The execution domain: Linux (0), with its usual variants; not READ_IMPLIES_EXEC and friends.
      {
        names: ['personality'],
        action: 'SCMP_ACT_ALLOW',
        args: [0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value) => ({ index: 0, value, op: 'SCMP_CMP_EQ' })),
      },
    ],
  };
}
