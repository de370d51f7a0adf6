/**
 * The C library, reached through koffi (a foreign-function interface for Node and Bun), or,
 * under Bun, through Bun's own bun:ffi (libc-bun.ts): the same functions, the same interface.
 *
 * Each binding is declared with its C prototype, as in its man page. Loading koffi costs a few
 * milliseconds, so it happens on first use: `nk-runtime state` never pays for it.
 * Only linux-kernel.ts imports this file (and, for loadLibc and exitNow, the init and the CLI).
 */
import { SYS } from './constants';
import { isBun } from '../engine';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Fn = (...args: any[]) => any;

export interface Libc {
  unshare: Fn; setns: Fn; mount: Fn; umount2: Fn; pivot_root: Fn; mkfifo: Fn; mknod: Fn;
  chdir: Fn; chroot: Fn; sethostname: Fn; setdomainname: Fn; umask: Fn; setrlimit: Fn; setgroups: Fn;
  setgid: Fn; setuid: Fn; prctl: Fn; personality: Fn; capset: Fn; seccomp: Fn; openat2: Fn;
  /** bpf(cmd, attr): the bpf(2) system call, with `attr` (a union bpf_attr) as its size. */
  bpf: (cmd: number, attr: Buffer) => number;
  signal: Fn; fcntl: Fn; poll: Fn; close_range: Fn; flock: Fn; socketpair: Fn; socket: Fn; connect: Fn; sendmsg: Fn; recvmsg: Fn; dup2: Fn; ioctlInt: Fn; ioctlPtr: Fn;
  /** The address of a buffer, to put inside a C struct (sendmsg's msghdr). */
  address: (buffer: Buffer) => bigint;
  kill: Fn; execve: Fn; waitpid: Fn;
  /** _exit(2): the process ends here, without the engine's own way out (exitNow below). */
  _exit: (status: number) => void;
  // posix_spawn(3) and the functions that fill in its opaque arguments.
  posix_spawn_file_actions_init: Fn; posix_spawn_file_actions_adddup2: Fn; posix_spawn_file_actions_addopen: Fn;
  posix_spawn_file_actions_destroy: Fn; posix_spawnattr_init: Fn; posix_spawnattr_setflags: Fn;
  posix_spawnattr_setsigdefault: Fn; posix_spawnattr_setsigmask: Fn; posix_spawnattr_destroy: Fn;
  sigfillset: Fn; sigemptyset: Fn;
  /**
   * posix_spawn(pid, path, fileActions, attr, argv, envp), made ready to call: the returned
   * function makes the call and nothing else (no strings converted, no memory allocated by
   * JavaScript), so it can run where JavaScript must not (linux-kernel.ts spawn()). It returns
   * 0 or an errno number, and the pid is written into `pid`.
   */
  preparePosixSpawn: (pid: Int32Array, path: string, fileActions: Buffer, attr: Buffer, argv: string[], envp: string[]) => () => number;
  /** errno of the last call made through these bindings on this thread. */
  errno: () => number;
}

let libc: Libc | undefined;

/**
 * The bindings, made on first use. Under Bun, bun:ffi (libc-bun.ts): it is part of Bun, so nothing
 * native has to be found or embedded, and it measured faster than koffi there (docs/performance.md).
 */
export function loadLibc(): Libc {
  if (!libc) libc = isBun ? (require('./libc-bun') as typeof import('./libc-bun')).loadBunLibc() : bindKoffi();
  return libc;
}

/**
 * End this process now, with `status`: the 'exit' event first (its listeners, as process.exit
 * would), then _exit(2). What is skipped is the engine's own exit: under Bun, the last turn of
 * its event loop and the engine torn down, about 0.4 ms of every command (docs/performance.md).
 * Only for a command whose output is all written (output.ts writes synchronously): nothing is
 * flushed after this.
 */
export function exitNow(status: number): never {
  process.emit('exit', status);
  loadLibc()._exit(status);
  throw new Error('_exit returned');
}

/**
 * koffi itself. Its own entry, `require('koffi')`, looks for the native file of this platform
 * (reading the ELF header of node to tell glibc from musl) and wraps it in deprecation shims: 15-19
 * ms of every Node start here, against 4 ms for loading the native file alone (docs/performance.md).
 * So the native file of koffi's package for this platform is loaded directly where that is what
 * koffi would load (of its version, on a glibc system); koffi's entry finds it in every other case.
 */
function requireKoffi(): any {
  if (glibc()) {
    try {
      const pkg = `@koromix/koffi-${process.platform}-${process.arch}`;
      const native = require(`${pkg}/${process.platform}_${process.arch}/koffi.node`);
      if (native.version === require(`${pkg}/package.json`).version) return native;
    } catch {
      // not installed so, or not loadable here: koffi knows where to look
    }
  }
  return require('koffi');
}

/** No musl loader on this system (where there is one, koffi's entry tells which libc node uses). */
function glibc(): boolean {
  return !(require('node:fs') as typeof import('node:fs')).readdirSync('/lib').some((name) => name.startsWith('ld-musl-'));
}

function bindKoffi(): Libc {
  const koffi = requireKoffi();
  // The struct is registered by name and then used in the setrlimit prototype below.
  koffi.struct('nk_rlimit', { cur: 'uint64_t', max: 'uint64_t' });
  const lib = koffi.load('libc.so.6');
  const sys = SYS[process.arch];
  if (!sys) throw new Error(`nk-runtime supports x86_64 and aarch64, not ${process.arch}`);
  return {
    unshare: lib.func('int unshare(int flags)'),
    setns: lib.func('int setns(int fd, int nstype)'),
    mount: lib.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: lib.func('int umount2(const char *target, int flags)'),
    // glibc has no pivot_root() wrapper: call it by number through syscall(2).
    pivot_root: ((call: Fn) => (a: string, b: string) => call(sys.pivot_root, a, b))(
      lib.func('syscall', 'long', ['long', 'const char *', 'const char *']),
    ),
    mkfifo: lib.func('int mkfifo(const char *path, uint32_t mode)'),
    mknod: lib.func('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    chdir: lib.func('int chdir(const char *path)'),
    chroot: lib.func('int chroot(const char *path)'),
    sethostname: lib.func('int sethostname(const char *name, size_t len)'),
    setdomainname: lib.func('int setdomainname(const char *name, size_t len)'),
    umask: lib.func('uint32_t umask(uint32_t mask)'),
    setrlimit: ((call: Fn) => (resource: number, cur: bigint, max: bigint) => call(resource, { cur, max }))(
      lib.func('int setrlimit(int resource, const nk_rlimit *rlim)'),
    ),
    setgroups: lib.func('int setgroups(size_t size, const uint32_t *list)'),
    setgid: lib.func('int setgid(uint32_t gid)'),
    setuid: lib.func('int setuid(uint32_t uid)'),
    prctl: lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)'),
    personality: lib.func('int personality(unsigned long persona)'),
    // int capset(cap_user_header_t hdrp, const cap_user_data_t datap): glibc has it (libcap's own API is not needed).
    capset: lib.func('int capset(void *hdrp, void *datap)'),
    // int openat2(int dirfd, const char *path, struct open_how *how, size_t size): by number too.
    openat2: ((call: Fn) => (dirfd: number, path: string, how: Buffer) => Number(call(sys.openat2, dirfd, path, how, how.length)))(
      lib.func('syscall', 'long', ['long', 'int', 'const char *', 'void *', 'size_t']),
    ),
    // int seccomp(unsigned int operation, unsigned int flags, void *args): no glibc wrapper either.
    seccomp: ((call: Fn) => (operation: number, flags: number, args: Buffer) => Number(call(sys.seccomp, operation, flags, args)))(
      lib.func('syscall', 'long', ['long', 'unsigned int', 'unsigned int', 'void *']),
    ),
    // int bpf(int cmd, union bpf_attr *attr, unsigned int size): no glibc wrapper (man 2 bpf).
    bpf: ((call: Fn) => (cmd: number, attr: Buffer) => Number(call(sys.bpf, cmd, attr, attr.length)))(
      lib.func('syscall', 'long', ['long', 'int', 'void *', 'unsigned int']),
    ),
    // sighandler_t signal(int signum, sighandler_t handler): SIG_DFL is 0, SIG_ERR is -1.
    signal: lib.func('intptr_t signal(int signum, intptr_t handler)'),
    fcntl: lib.func('int fcntl(int fd, int cmd, int arg)'),
    poll: lib.func('int poll(_Inout_ void *fds, unsigned long nfds, int timeout)'),
    close_range: lib.func('int close_range(unsigned int first, unsigned int last, int flags)'),
    flock: lib.func('int flock(int fd, int operation)'),
    socketpair: lib.func('int socketpair(int domain, int type, int protocol, _Out_ int *sv)'),
    socket: lib.func('int socket(int domain, int type, int protocol)'),
    connect: lib.func('int connect(int sockfd, const void *addr, uint32_t addrlen)'),
    sendmsg: lib.func('long sendmsg(int sockfd, const void *msg, int flags)'),
    recvmsg: lib.func('long recvmsg(int sockfd, void *msg, int flags)'),
    dup2: lib.func('int dup2(int oldfd, int newfd)'),
    // int ioctl(int fd, unsigned long request, ...): bound twice, for an int and for a pointer.
    ioctlInt: lib.func('ioctl', 'int', ['int', 'unsigned long', 'int']),
    ioctlPtr: lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']),
    address: (buffer: Buffer) => BigInt(koffi.address(buffer)),
    kill: lib.func('int kill(int pid, int sig)'),
    execve: lib.func('int execve(const char *path, const char **argv, const char **envp)'),
    waitpid: lib.func('int waitpid(int pid, void *status, int options)'),
    _exit: lib.func('void _exit(int status)'),
    posix_spawn_file_actions_init: lib.func('int posix_spawn_file_actions_init(void *actions)'),
    posix_spawn_file_actions_adddup2: lib.func('int posix_spawn_file_actions_adddup2(void *actions, int fd, int newfd)'),
    posix_spawn_file_actions_addopen: lib.func('int posix_spawn_file_actions_addopen(void *actions, int fd, const char *path, int oflag, uint32_t mode)'),
    posix_spawn_file_actions_destroy: lib.func('int posix_spawn_file_actions_destroy(void *actions)'),
    posix_spawnattr_init: lib.func('int posix_spawnattr_init(void *attr)'),
    posix_spawnattr_setflags: lib.func('int posix_spawnattr_setflags(void *attr, short flags)'),
    posix_spawnattr_setsigdefault: lib.func('int posix_spawnattr_setsigdefault(void *attr, const void *sigdefault)'),
    posix_spawnattr_setsigmask: lib.func('int posix_spawnattr_setsigmask(void *attr, const void *sigmask)'),
    posix_spawnattr_destroy: lib.func('int posix_spawnattr_destroy(void *attr)'),
    sigfillset: lib.func('int sigfillset(void *set)'),
    sigemptyset: lib.func('int sigemptyset(void *set)'),
    // Under Node the engine makes no threads of its own on the way (see linux-kernel.ts spawn()), so
    // koffi may convert the strings during the call.
    preparePosixSpawn: ((call: Fn) => (pid: Int32Array, path: string, fileActions: Buffer, attr: Buffer, argv: string[], envp: string[]) => {
      const argvNull = [...argv, null];
      const envpNull = [...envp, null];
      return () => call(pid, path, fileActions, attr, argvNull, envpNull);
    })(lib.func('int posix_spawn(void *pid, const char *path, void *file_actions, void *attrp, const char **argv, const char **envp)')),
    errno: () => koffi.errno(),
  };
}

