/**
 * The C library through Bun's own foreign-function interface, bun:ffi: the same functions as
 * libc.ts binds with koffi, behind the same `Libc` interface, for when nk-runtime runs on Bun.
 *
 * bun:ffi is lower level than koffi: C strings and arrays are passed as pointers to buffers we
 * build (NUL-terminated), and errno is read from glibc's thread-local variable, through
 * __errno_location(), right after the call.
 */
import type { Libc } from './libc';
import { SYS } from './constants';

/* eslint-disable @typescript-eslint/no-explicit-any */

/** A C string: a NUL-terminated buffer, or NULL. (files-bun.ts passes its paths so too.) */
export function cstr(s: string): Buffer;
export function cstr(s: string | null): Buffer | null;
export function cstr(s: string | null): Buffer | null {
  return s === null ? null : Buffer.from(s + '\0');
}

export function loadBunLibc(): Libc {
  const { dlopen, ptr, read } = require('bun:ffi');
  const sys = SYS[process.arch];
  if (!sys) throw new Error(`nk-runtime supports x86_64 and aarch64, not ${process.arch}`);
  // Each binding: its C prototype, as in its man page, then the same in bun:ffi's types.
  const { symbols: c } = dlopen('libc.so.6', {
    unshare: { args: ['i32'], returns: 'i32' }, // int unshare(int flags)
    setns: { args: ['i32', 'i32'], returns: 'i32' }, // int setns(int fd, int nstype)
    // int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const void *data)
    mount: { args: ['ptr', 'ptr', 'ptr', 'u64', 'ptr'], returns: 'i32' },
    umount2: { args: ['ptr', 'i32'], returns: 'i32' }, // int umount2(const char *target, int flags)
    syscall: { args: ['i64', 'ptr', 'ptr'], returns: 'i64_fast' }, // long syscall(long number, ...)
    mkfifo: { args: ['ptr', 'u32'], returns: 'i32' }, // int mkfifo(const char *path, mode_t mode)
    mknod: { args: ['ptr', 'u32', 'u64'], returns: 'i32' }, // int mknod(const char *path, mode_t mode, dev_t dev)
    chdir: { args: ['ptr'], returns: 'i32' }, // int chdir(const char *path)
    chroot: { args: ['ptr'], returns: 'i32' }, // int chroot(const char *path)
    sethostname: { args: ['ptr', 'u64'], returns: 'i32' }, // int sethostname(const char *name, size_t len)
    setdomainname: { args: ['ptr', 'u64'], returns: 'i32' }, // int setdomainname(const char *name, size_t len)
    umask: { args: ['u32'], returns: 'u32' }, // mode_t umask(mode_t mask)
    setrlimit: { args: ['i32', 'ptr'], returns: 'i32' }, // int setrlimit(int resource, const struct rlimit *rlim)
    setgroups: { args: ['u64', 'ptr'], returns: 'i32' }, // int setgroups(size_t size, const gid_t *list)
    setgid: { args: ['u32'], returns: 'i32' }, // int setgid(gid_t gid)
    setuid: { args: ['u32'], returns: 'i32' }, // int setuid(uid_t uid)
    prctl: { args: ['i32', 'u64', 'u64', 'u64', 'u64'], returns: 'i32' }, // int prctl(int option, unsigned long arg2, ...)
    personality: { args: ['u64'], returns: 'i32' }, // int personality(unsigned long persona)
    capset: { args: ['ptr', 'ptr'], returns: 'i32' }, // int capset(cap_user_header_t hdrp, const cap_user_data_t datap)
    signal: { args: ['i32', 'i64'], returns: 'i64' }, // sighandler_t signal(int signum, sighandler_t handler)
    fcntl: { args: ['i32', 'i32', 'i32'], returns: 'i32' }, // int fcntl(int fd, int cmd, int arg)
    poll: { args: ['ptr', 'u64', 'i32'], returns: 'i32' }, // int poll(struct pollfd *fds, nfds_t nfds, int timeout)
    close_range: { args: ['u32', 'u32', 'i32'], returns: 'i32' }, // int close_range(unsigned first, unsigned last, int flags)
    flock: { args: ['i32', 'i32'], returns: 'i32' }, // int flock(int fd, int operation)
    socketpair: { args: ['i32', 'i32', 'i32', 'ptr'], returns: 'i32' }, // int socketpair(int domain, int type, int protocol, int sv[2])
    socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' }, // int socket(int domain, int type, int protocol)
    connect: { args: ['i32', 'ptr', 'u32'], returns: 'i32' }, // int connect(int sockfd, const struct sockaddr *addr, socklen_t addrlen)
    sendmsg: { args: ['i32', 'ptr', 'i32'], returns: 'i64' }, // ssize_t sendmsg(int sockfd, const struct msghdr *msg, int flags)
    recvmsg: { args: ['i32', 'ptr', 'i32'], returns: 'i64' }, // ssize_t recvmsg(int sockfd, struct msghdr *msg, int flags)
    dup2: { args: ['i32', 'i32'], returns: 'i32' }, // int dup2(int oldfd, int newfd)
    ioctl: { args: ['i32', 'u64', 'ptr'], returns: 'i32' }, // int ioctl(int fd, unsigned long request, ...)
    kill: { args: ['i32', 'i32'], returns: 'i32' }, // int kill(pid_t pid, int sig)
    _exit: { args: ['i32'], returns: 'void' }, // void _exit(int status)
    execve: { args: ['ptr', 'ptr', 'ptr'], returns: 'i32' }, // int execve(const char *path, char *const argv[], char *const envp[])
    waitpid: { args: ['i32', 'ptr', 'i32'], returns: 'i32' }, // pid_t waitpid(pid_t pid, int *status, int options)
    // int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *file_actions,
    //                 const posix_spawnattr_t *attrp, char *const argv[], char *const envp[])
    posix_spawn: { args: ['ptr', 'ptr', 'ptr', 'ptr', 'ptr', 'ptr'], returns: 'i32' },
    posix_spawn_file_actions_init: { args: ['ptr'], returns: 'i32' }, // int posix_spawn_file_actions_init(posix_spawn_file_actions_t *fa)
    posix_spawn_file_actions_adddup2: { args: ['ptr', 'i32', 'i32'], returns: 'i32' }, // (fa, int fd, int newfd)
    posix_spawn_file_actions_addopen: { args: ['ptr', 'i32', 'ptr', 'i32', 'u32'], returns: 'i32' }, // (fa, int fd, const char *path, int oflag, mode_t mode)
    posix_spawn_file_actions_destroy: { args: ['ptr'], returns: 'i32' }, // (fa)
    posix_spawnattr_init: { args: ['ptr'], returns: 'i32' }, // int posix_spawnattr_init(posix_spawnattr_t *attr)
    posix_spawnattr_setflags: { args: ['ptr', 'i16'], returns: 'i32' }, // (attr, short flags)
    posix_spawnattr_setsigdefault: { args: ['ptr', 'ptr'], returns: 'i32' }, // (attr, const sigset_t *sigdefault)
    posix_spawnattr_setsigmask: { args: ['ptr', 'ptr'], returns: 'i32' }, // (attr, const sigset_t *sigmask)
    posix_spawnattr_destroy: { args: ['ptr'], returns: 'i32' }, // (attr)
    sigfillset: { args: ['ptr'], returns: 'i32' }, // int sigfillset(sigset_t *set)
    sigemptyset: { args: ['ptr'], returns: 'i32' }, // int sigemptyset(sigset_t *set)
    __errno_location: { args: [], returns: 'ptr' }, // int *__errno_location(void)
  }) as { symbols: Record<string, (...args: any[]) => any> };
  // syscall(2) again, with the arguments openat2(2) takes.
  const { symbols: openat2Call } = dlopen('libc.so.6', {
    syscall: { args: ['i64', 'i32', 'ptr', 'ptr', 'u64'], returns: 'i64_fast' }, // long syscall(SYS_openat2, dirfd, path, how, size)
  }) as { symbols: Record<string, (...args: any[]) => any> };
  // syscall(2) again, with the arguments seccomp(2) takes: one symbol, one prototype per dlopen.
  const { symbols: seccompCall } = dlopen('libc.so.6', {
    syscall: { args: ['i64', 'u32', 'u32', 'ptr'], returns: 'i64_fast' }, // long syscall(SYS_seccomp, op, flags, args)
  }) as { symbols: Record<string, (...args: any[]) => any> };

  // syscall(2) again, with the arguments bpf(2) takes.
  const { symbols: bpfCall } = dlopen('libc.so.6', {
    syscall: { args: ['i64', 'i32', 'ptr', 'u32'], returns: 'i64_fast' }, // long syscall(SYS_bpf, cmd, attr, size)
  }) as { symbols: Record<string, (...args: any[]) => any> };

  /** A NULL-terminated array of C strings (argv, envp). The buffers must outlive the call. */
  const cstrArray = (items: (string | null)[]) => {
    const strings = items.filter((s): s is string => s !== null).map((s) => cstr(s)!);
    const pointers = new BigUint64Array(strings.length + 1);
    strings.forEach((b, i) => (pointers[i] = BigInt(ptr(b))));
    return { pointers, strings };
  };

  return {
    unshare: c.unshare,
    setns: c.setns,
    mount: (source: string | null, target: string, fstype: string | null, flags: number, data: string | null) =>
      c.mount(cstr(source), cstr(target), cstr(fstype), flags, cstr(data)),
    umount2: (target: string, flags: number) => c.umount2(cstr(target), flags),
    // glibc has no pivot_root() wrapper: call it by number through syscall(2).
    pivot_root: (a: string, b: string) => c.syscall(sys.pivot_root, cstr(a), cstr(b)),
    mkfifo: (path: string, mode: number) => c.mkfifo(cstr(path), mode),
    mknod: (path: string, mode: number, dev: bigint) => c.mknod(cstr(path), mode, dev),
    chdir: (path: string) => c.chdir(cstr(path)),
    chroot: (path: string) => c.chroot(cstr(path)),
    sethostname: (name: string, len: number) => c.sethostname(cstr(name), len),
    setdomainname: (name: string, len: number) => c.setdomainname(cstr(name), len),
    umask: c.umask,
    // struct rlimit { rlim_t rlim_cur; rlim_t rlim_max; }: two 64-bit numbers.
    setrlimit: (resource: number, cur: bigint, max: bigint) => c.setrlimit(resource, new BigUint64Array([cur, max])),
    setgroups: (size: number, list: Uint32Array) => c.setgroups(size, size ? list : null),
    setgid: c.setgid,
    setuid: c.setuid,
    prctl: c.prctl,
    personality: c.personality,
    capset: c.capset,
    openat2: (dirfd: number, path: string, how: Buffer) => Number(openat2Call.syscall(sys.openat2, dirfd, cstr(path), how, how.length)),
    seccomp: (operation: number, flags: number, args: Buffer) => Number(seccompCall.syscall(sys.seccomp, operation, flags, args)),
    bpf: (cmd: number, attr: Buffer) => Number(bpfCall.syscall(sys.bpf, cmd, attr, attr.length)),
    signal: (signum: number, handler: number) => Number(c.signal(signum, BigInt(handler))),
    fcntl: c.fcntl,
    poll: c.poll,
    close_range: c.close_range,
    flock: c.flock,
    socketpair: c.socketpair,
    socket: c.socket,
    connect: c.connect,
    sendmsg: (fd: number, msg: Buffer, flags: number) => Number(c.sendmsg(fd, msg, flags)),
    recvmsg: (fd: number, msg: Buffer, flags: number) => Number(c.recvmsg(fd, msg, flags)),
    dup2: c.dup2,
    // The third argument of ioctl is an int or a pointer: both travel in the same register.
    ioctlInt: (fd: number, request: number, arg: number) => c.ioctl(fd, request, arg),
    ioctlPtr: (fd: number, request: number, arg: Buffer | Int32Array) => c.ioctl(fd, request, ptr(arg)),
    address: (buffer: Buffer) => BigInt(ptr(buffer)),
    kill: c.kill,
    _exit: c._exit,
    execve: (path: string, argv: (string | null)[], envp: (string | null)[]) => {
      const a = cstrArray(argv);
      const e = cstrArray(envp);
      const rc = c.execve(cstr(path), a.pointers, e.pointers);
      // Keep the strings alive until execve has read them (it only returns when it failed).
      void [a.strings, e.strings];
      return rc;
    },
    waitpid: c.waitpid,
    posix_spawn_file_actions_init: c.posix_spawn_file_actions_init,
    posix_spawn_file_actions_adddup2: c.posix_spawn_file_actions_adddup2,
    posix_spawn_file_actions_addopen: (fa: Buffer, fd: number, path: string, oflag: number, mode: number) => c.posix_spawn_file_actions_addopen(fa, fd, cstr(path), oflag, mode),
    posix_spawn_file_actions_destroy: c.posix_spawn_file_actions_destroy,
    posix_spawnattr_init: c.posix_spawnattr_init,
    posix_spawnattr_setflags: c.posix_spawnattr_setflags,
    posix_spawnattr_setsigdefault: c.posix_spawnattr_setsigdefault,
    posix_spawnattr_setsigmask: c.posix_spawnattr_setsigmask,
    posix_spawnattr_destroy: c.posix_spawnattr_destroy,
    sigfillset: c.sigfillset,
    sigemptyset: c.sigemptyset,
    // Every string and array is made now, every address taken now: the call itself passes numbers.
    preparePosixSpawn: (pid: Int32Array, path: string, fileActions: Buffer, attr: Buffer, argv: string[], envp: string[]) => {
      const file = cstr(path)!;
      const a = cstrArray(argv);
      const e = cstrArray(envp);
      const addresses = [pid, file, fileActions, attr, a.pointers, e.pointers].map((buffer) => ptr(buffer));
      const keep = [pid, file, fileActions, attr, a, e];
      return () => {
        const rc = c.posix_spawn(addresses[0], addresses[1], addresses[2], addresses[3], addresses[4], addresses[5]);
        void keep; // the buffers live as long as this function
        return rc;
      };
    },
    errno: () => read.i32(c.__errno_location(), 0),
  };
}
