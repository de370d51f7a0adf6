/**
 * The real kernel: each method makes one system call, through libc (koffi) or through Node's
 * synchronous fs functions, which are the same libc calls made on this thread.
 *
 * Synchronous on purpose: unshare(2) and setns(2) change the namespaces of the calling thread
 * only, and Node's thread pool threads stay where they were. Every call here runs on the main
 * thread, the one that later becomes the container's process.
 */
import { files as fs } from './files';
import { dirname } from 'node:path';
import { loadLibc, type Libc } from './libc';
import { errnoName } from './errno';
import { AF_UNIX, BPF_CMD, CLONE, SECCOMP_SET_MODE_FILTER, CLOSE_RANGE, F_DUPFD_CLOEXEC, F_GETFD, F_GETFL, F_SETFD, F_SETFL, FD_CLOEXEC, O_NONBLOCK, POLL, POSIX_SPAWN, POSIX_SPAWN_STRUCT_BYTES, SCM_RIGHTS, SOCK, SOL_SOCKET, TIOC, WNOHANG } from './constants';
import { watchChild } from './children';
import { ownCapabilities } from './capabilities';
import { formatCall, idMapText } from './format';
import { encode, type Instruction } from './seccomp/bpf';
import type { EbpfInstruction } from './cgroups/ebpf';
import { KernelError, type Child, type IdMapLine, type KernelCall, type KernelOps, type RunRequest, type RunResult, type SpawnRequest } from './kernel';

export class LinuxKernel implements KernelOps {
  private get c(): Libc {
    return loadLibc();
  }

  /** libc returns -1 and sets errno; turn that into a KernelError that names the call. */
  private check(call: KernelCall, args: unknown[], rc: number): void {
    if (rc === -1) throw new KernelError(call, errnoName(this.c.errno()), formatCall(call, args));
  }

  /** Node's fs throws its own errors with a `code` (the errno name); rename them the same way. */
  private fsCall<T>(call: KernelCall, args: unknown[], fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!code) throw err;
      throw new KernelError(call, code, formatCall(call, args));
    }
  }

  unshare(flags: number): void {
    this.check('unshare', [flags], this.c.unshare(flags));
  }
  setns(fd: number, nstype: number): void {
    const attempt = () => (this.c.setns(fd, nstype) === -1 ? errnoName(this.c.errno()) : undefined);
    let code = attempt();
    // Into a mount namespace, setns refuses (EINVAL) a thread that shares its root and cwd with
    // another (man 2 setns). Callers unshare(CLONE_FS) just before, but the engine can start a
    // thread off ours in between (Bun does, lazily: CI saw it once in create, and once during a
    // --step pause there). Stop sharing again and retry at once, with no JavaScript in between.
    for (let retry = 0; retry < 3 && code === 'EINVAL' && nstype === CLONE.NEWNS; retry++) {
      if (this.c.unshare(CLONE.FS) !== 0) break;
      code = attempt();
    }
    if (code) throw new KernelError('setns', code, formatCall('setns', [fd, nstype]));
  }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    this.check('mount', [source, target, fstype, flags, data], this.c.mount(source, target, fstype, flags, data));
  }
  umount2(target: string, flags: number): void {
    this.check('umount2', [target, flags], this.c.umount2(target, flags));
  }
  pivotRoot(newRoot: string, putOld: string): void {
    this.check('pivotRoot', [newRoot, putOld], Number(this.c.pivot_root(newRoot, putOld)));
  }
  open(path: string, flags: number, mode: number): number {
    return this.fsCall('open', [path, flags, mode], () => fs.openSync(path, flags, mode));
  }
  openat2(dirfd: number, path: string, flags: number, resolve: number): number {
    // struct open_how { u64 flags; u64 mode; u64 resolve; } (man 2 openat2)
    const how = Buffer.alloc(24);
    how.writeBigUInt64LE(BigInt(flags), 0);
    how.writeBigUInt64LE(BigInt(resolve), 16);
    const fd = this.c.openat2(dirfd, path, how);
    this.check('openat2', [dirfd, path, flags, resolve], fd);
    return fd;
  }
  close(fd: number): void {
    this.fsCall('close', [fd], () => fs.closeSync(fd));
  }
  mkdirAll(path: string, mode: number): void {
    // Level by level, not fs.mkdirSync(path, { recursive: true }): where mkdir(2) fails with
    // ENOENT in a directory that exists (procfs does, for a name it will not create), Node's
    // recursive mkdir tries again for ever (found by the fuzz test).
    this.fsCall('mkdirAll', [path, mode], () => {
      const missing: string[] = [];
      for (let dir = path; !fs.existsSync(dir); dir = dirname(dir)) {
        missing.unshift(dir);
        if (dirname(dir) === dir) break;
      }
      for (const dir of missing) {
        try {
          fs.mkdirSync(dir, mode);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        }
      }
    });
  }
  mkfifo(path: string, mode: number): void {
    this.check('mkfifo', [path, mode], this.c.mkfifo(path, mode));
  }
  mknod(path: string, mode: number, major: number, minor: number): void {
    this.check('mknod', [path, mode, major, minor], this.c.mknod(path, mode, makedev(major, minor)));
  }
  symlink(target: string, path: string): void {
    this.fsCall('symlink', [target, path], () => fs.symlinkSync(target, path));
  }
  chown(path: string, uid: number, gid: number): void {
    this.fsCall('chown', [path, uid, gid], () => fs.chownSync(path, uid, gid));
  }
  writeFile(path: string, data: string): void {
    // One write(2) to an existing file: cgroup and /proc/sys files take a value per write, and
    // must not be created or truncated like ordinary files.
    this.fsCall('writeFile', [path, data], () => {
      const fd = fs.openSync(path, fs.constants.O_WRONLY);
      try {
        fs.writeSync(fd, data);
      } finally {
        fs.closeSync(fd);
      }
    });
  }
  rmdir(path: string): void {
    this.fsCall('rmdir', [path], () => fs.rmdirSync(path));
  }
  unlink(path: string): void {
    this.fsCall('unlink', [path], () => fs.unlinkSync(path));
  }
  chroot(path: string): void {
    this.check('chroot', [path], this.c.chroot(path));
  }
  chdir(path: string): void {
    this.check('chdir', [path], this.c.chdir(path));
  }
  sethostname(name: string): void {
    this.check('sethostname', [name], this.c.sethostname(name, Buffer.byteLength(name)));
  }
  setdomainname(name: string): void {
    this.check('setdomainname', [name], this.c.setdomainname(name, Buffer.byteLength(name)));
  }
  umask(mask: number): number {
    return this.c.umask(mask);
  }
  setrlimit(resource: number, soft: bigint, hard: bigint): void {
    this.check('setrlimit', [resource, soft, hard], this.c.setrlimit(resource, soft, hard));
  }
  setgroups(gids: number[]): void {
    this.check('setgroups', [gids], this.c.setgroups(gids.length, Uint32Array.from(gids)));
  }
  // glibc's setgid/setuid change the credentials of every thread of the process (it signals the
  // others, see man 7 nptl), which a multi-threaded Node needs; the raw syscall would not.
  setgid(gid: number): void {
    this.check('setgid', [gid], this.c.setgid(gid));
  }
  setuid(uid: number): void {
    this.check('setuid', [uid], this.c.setuid(uid));
  }
  prctl(option: number, arg2: number, arg3 = 0): void {
    this.check('prctl', [option, arg2, arg3], this.c.prctl(option, arg2, arg3, 0, 0));
  }
  personality(persona: number): void {
    this.check('personality', [persona], this.c.personality(persona));
  }
  capget(): bigint {
    // The same numbers capget(2) returns, as the kernel shows them in /proc/self/status (man 5 proc).
    return this.fsCall('capget', [], () => ownCapabilities('CapPrm'));
  }
  capset(effective: bigint, permitted: bigint, inheritable: bigint): void {
    // struct __user_cap_header_struct { u32 version; int pid; }: version 3 (64-bit sets), pid 0 =
    // this thread. Then two struct __user_cap_data_struct { u32 effective, permitted,
    // inheritable; }: the low 32 capabilities, then the high ones. man 2 capset
    const header = new Uint32Array([0x20080522, 0]);
    const low = (mask: bigint) => Number(mask & 0xffffffffn);
    const high = (mask: bigint) => Number((mask >> 32n) & 0xffffffffn);
    const data = new Uint32Array([low(effective), low(permitted), low(inheritable), high(effective), high(permitted), high(inheritable)]);
    this.check('capset', [effective, permitted, inheritable], this.c.capset(header, data));
  }
  seccomp(program: Instruction[], flags: number): void {
    // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the length, then (after
    // padding, at offset 8) the address of the instructions. man 2 seccomp
    const filter = encode(program);
    const fprog = Buffer.alloc(16);
    fprog.writeUInt16LE(program.length, 0);
    fprog.writeBigUInt64LE(this.c.address(filter), 8);
    this.check('seccomp', [program, flags], this.c.seccomp(SECCOMP_SET_MODE_FILTER, flags, fprog));
  }
  bpfProgLoad(type: number, program: EbpfInstruction[], license: string, name: string): number {
    const { encode: encodeEbpf } = require('./cgroups/ebpf') as typeof import('./cgroups/ebpf');
    const insns = encodeEbpf(program);
    const licence = Buffer.from(`${license}\0`);
    // union bpf_attr, as BPF_PROG_LOAD reads it (linux/bpf.h): u32 prog_type, u32 insn_cnt,
    // u64 insns, u64 license, u32 log_level, u32 log_size, u64 log_buf, u32 kern_version,
    // u32 prog_flags, char prog_name[16]. The bytes after what we fill must be zero.
    const attr = (log?: Buffer) => {
      const a = Buffer.alloc(72);
      a.writeUInt32LE(type, 0);
      a.writeUInt32LE(program.length, 4);
      a.writeBigUInt64LE(this.c.address(insns), 8);
      a.writeBigUInt64LE(this.c.address(licence), 16);
      if (log) {
        a.writeUInt32LE(1, 24); // log_level 1: the verifier says what it refused, and where
        a.writeUInt32LE(log.length, 28);
        a.writeBigUInt64LE(this.c.address(log), 32);
      }
      a.write(name.slice(0, 15), 48, 'latin1');
      return a;
    };
    const args = [type, program, license, name];
    // Without a log first: a log too small for a program that passes makes the whole load fail
    // with ENOSPC on some kernels. Only when the verifier refuses, load again to hear why.
    const fd = this.c.bpf(BPF_CMD.PROG_LOAD, attr());
    if (fd !== -1) return fd;
    const code = errnoName(this.c.errno());
    const log = Buffer.alloc(256 * 1024);
    const again = this.c.bpf(BPF_CMD.PROG_LOAD, attr(log));
    if (again !== -1) return again; // the kernel changed its mind: keep the program
    void [insns, licence];
    const text = log.toString('latin1', 0, Math.max(0, log.indexOf(0))).trim();
    throw new KernelError('bpfProgLoad', code, formatCall('bpfProgLoad', args), text || undefined);
  }
  bpfProgAttach(cgroupFd: number, progFd: number, attachType: number, flags: number): void {
    // union bpf_attr for BPF_PROG_ATTACH and _DETACH: u32 target_fd, u32 attach_bpf_fd,
    // u32 attach_type, u32 attach_flags, u32 replace_bpf_fd.
    const attr = Buffer.from(new Uint32Array([cgroupFd, progFd, attachType, flags, 0, 0]).buffer);
    this.check('bpfProgAttach', [cgroupFd, progFd, attachType, flags], this.c.bpf(BPF_CMD.PROG_ATTACH, attr));
  }
  bpfProgDetach(cgroupFd: number, progFd: number, attachType: number): void {
    const attr = Buffer.from(new Uint32Array([cgroupFd, progFd, attachType, 0, 0, 0]).buffer);
    this.check('bpfProgDetach', [cgroupFd, progFd, attachType], this.c.bpf(BPF_CMD.PROG_DETACH, attr));
  }
  bpfProgQuery(cgroupFd: number, attachType: number): number[] {
    // union bpf_attr for BPF_PROG_QUERY: u32 target_fd, u32 attach_type, u32 query_flags, u32
    // attach_flags (out), u64 prog_ids (an array of u32 for the kernel to fill), u32 prog_cnt (in:
    // the room in it, out: how many). A cgroup holds at most 64 programs of one attach type.
    const ids = new Uint32Array(64);
    const attr = Buffer.alloc(40);
    attr.writeUInt32LE(cgroupFd, 0);
    attr.writeUInt32LE(attachType, 4);
    attr.writeBigUInt64LE(this.c.address(Buffer.from(ids.buffer)), 16);
    attr.writeUInt32LE(ids.length, 24);
    this.check('bpfProgQuery', [cgroupFd, attachType], this.c.bpf(BPF_CMD.PROG_QUERY, attr));
    return [...ids.subarray(0, attr.readUInt32LE(24))];
  }
  bpfProgGetFdById(id: number): number {
    // union bpf_attr for BPF_PROG_GET_FD_BY_ID: u32 prog_id, u32 next_id, u32 open_flags.
    const fd = this.c.bpf(BPF_CMD.PROG_GET_FD_BY_ID, Buffer.from(new Uint32Array([id, 0, 0]).buffer));
    this.check('bpfProgGetFdById', [id], fd);
    return fd;
  }
  resetSignal(signal: number): void {
    this.check('resetSignal', [signal], Number(this.c.signal(signal, 0)) === -1 ? -1 : 0);
  }
  setCloexec(fd: number, on: boolean): void {
    const flags = this.c.fcntl(fd, F_GETFD, 0);
    this.check('setCloexec', [fd, on], flags);
    const wanted = on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC;
    this.check('setCloexec', [fd, on], this.c.fcntl(fd, F_SETFD, wanted));
  }
  closeRangeCloexec(first: number): void {
    this.check('closeRangeCloexec', [first], this.c.close_range(first, 0xffffffff, CLOSE_RANGE.CLOEXEC));
  }
  flock(fd: number, operation: number): void {
    this.check('flock', [fd, operation], this.c.flock(fd, operation));
  }
  setNonBlocking(fd: number, on: boolean): void {
    const flags = this.c.fcntl(fd, F_GETFL, 0);
    this.check('setNonBlocking', [fd, on], flags);
    const wanted = on ? flags | O_NONBLOCK : flags & ~O_NONBLOCK;
    this.check('setNonBlocking', [fd, on], this.c.fcntl(fd, F_SETFL, wanted));
  }
  poll(fd: number, timeoutMs: number): number {
    // struct pollfd { int fd; short events; short revents; }: 8 bytes, revents filled in.
    const pollfd = Buffer.alloc(8);
    pollfd.writeInt32LE(fd, 0);
    pollfd.writeInt16LE(POLL.IN, 4);
    const ready = this.c.poll(pollfd, 1, timeoutMs);
    // A signal before anything came (EINTR) is the same to the caller as the time running out.
    if (ready === -1 && errnoName(this.c.errno()) === 'EINTR') return 0;
    this.check('poll', [fd, timeoutMs], ready);
    return ready === 0 ? 0 : pollfd.readUInt16LE(6);
  }
  socketpair(): [number, number] {
    // int sv[2], filled in by the kernel (koffi and bun:ffi both write into an Int32Array).
    const sv = new Int32Array(2);
    this.check('socketpair', [], this.c.socketpair(AF_UNIX, SOCK.STREAM | SOCK.CLOEXEC, 0, sv));
    return [sv[0], sv[1]];
  }
  connectUnix(path: string): number {
    const fd = this.c.socket(AF_UNIX, SOCK.STREAM | SOCK.CLOEXEC, 0);
    this.check('connectUnix', [path], fd);
    // struct sockaddr_un { sa_family_t sun_family; char sun_path[108]; } man 7 unix
    const name = Buffer.from(path);
    if (name.length >= 108) {
      fs.closeSync(fd);
      throw new KernelError('connectUnix', 'ENAMETOOLONG', formatCall('connectUnix', [path]));
    }
    const address = Buffer.alloc(2 + 108);
    address.writeUInt16LE(AF_UNIX, 0);
    name.copy(address, 2);
    const rc = this.c.connect(fd, address, 2 + name.length + 1);
    if (rc === -1) {
      const code = errnoName(this.c.errno());
      fs.closeSync(fd);
      throw new KernelError('connectUnix', code, formatCall('connectUnix', [path]));
    }
    return fd;
  }
  sendFd(socket: number, fd: number): void {
    // struct msghdr (56 bytes on 64-bit Linux) with one byte of data (a stream socket will not
    // carry ancillary data alone) and one control message: a cmsghdr { size_t len; int level;
    // int type; } followed by the fd. man 2 sendmsg, man 3 cmsg
    const data = Buffer.from([0]);
    const iov = Buffer.alloc(16);
    iov.writeBigUInt64LE(this.c.address(data), 0);
    iov.writeBigUInt64LE(1n, 8);
    const control = Buffer.alloc(24); // CMSG_SPACE(sizeof(int))
    control.writeBigUInt64LE(20n, 0); // CMSG_LEN(sizeof(int))
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(fd, 16);
    const msg = Buffer.alloc(56);
    msg.writeBigUInt64LE(this.c.address(iov), 16); // msg_iov
    msg.writeBigUInt64LE(1n, 24); // msg_iovlen
    msg.writeBigUInt64LE(this.c.address(control), 32); // msg_control
    msg.writeBigUInt64LE(BigInt(control.length), 40); // msg_controllen
    this.check('sendFd', [socket, fd], Number(this.c.sendmsg(socket, msg, 0)));
    // The buffers must live until sendmsg has read them.
    void [data, iov, control];
  }
  receiveFd(socket: number): number {
    // The same msghdr as sendFd's, empty, for the kernel to fill in. man 2 recvmsg
    const data = Buffer.alloc(1);
    const iov = Buffer.alloc(16);
    iov.writeBigUInt64LE(this.c.address(data), 0);
    iov.writeBigUInt64LE(1n, 8);
    const control = Buffer.alloc(24);
    const msg = Buffer.alloc(56);
    msg.writeBigUInt64LE(this.c.address(iov), 16);
    msg.writeBigUInt64LE(1n, 24);
    msg.writeBigUInt64LE(this.c.address(control), 32);
    msg.writeBigUInt64LE(BigInt(control.length), 40);
    const MSG_CMSG_CLOEXEC = 0x40000000;
    const n = Number(this.c.recvmsg(socket, msg, MSG_CMSG_CLOEXEC));
    this.check('receiveFd', [socket], n);
    void [data, iov];
    // One control message, SOL_SOCKET / SCM_RIGHTS, with the fd after its 16-byte header.
    if (n === 0 || msg.readBigUInt64LE(40) < 20n || control.readInt32LE(8) !== SOL_SOCKET || control.readInt32LE(12) !== SCM_RIGHTS) {
      throw new KernelError('receiveFd', n === 0 ? 'ECONNRESET' : 'EBADMSG', formatCall('receiveFd', [socket]));
    }
    return control.readInt32LE(16);
  }
  dup2(oldFd: number, newFd: number): void {
    this.check('dup2', [oldFd, newFd], this.c.dup2(oldFd, newFd));
  }
  unlockPty(master: number): void {
    this.check('unlockPty', [master], this.c.ioctlPtr(master, TIOC.SPTLCK, new Int32Array([0])));
  }
  ptyNumber(master: number): number {
    const n = new Int32Array(1);
    this.check('ptyNumber', [master], this.c.ioctlPtr(master, TIOC.GPTN, n));
    return n[0];
  }
  setWindowSize(fd: number, rows: number, columns: number): void {
    // struct winsize { unsigned short ws_row, ws_col, ws_xpixel, ws_ypixel; }
    this.check('setWindowSize', [fd, rows, columns], this.c.ioctlPtr(fd, TIOC.SWINSZ, new Uint16Array([rows, columns, 0, 0])));
  }
  setControllingTerminal(fd: number): void {
    this.check('setControllingTerminal', [fd], this.c.ioctlInt(fd, TIOC.SCTTY, 0));
  }
  runToEnd(request: RunRequest): RunResult {
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const env = Object.fromEntries(request.env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    const r = spawnSync(request.file, request.argv.slice(1), {
      argv0: request.argv[0],
      env,
      input: request.input,
      timeout: request.timeoutMs,
      killSignal: 'SIGKILL',
      stdio: ['pipe', 'pipe', 'pipe'],
      encoding: 'utf8',
    });
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    const timedOut = code === 'ETIMEDOUT';
    // EPIPE: the program ended without reading all of its stdin. That is its business; its exit
    // status says how it went.
    if (code && !timedOut && code !== 'EPIPE') throw new KernelError('runToEnd', code, formatCall('runToEnd', [request]));
    return { status: r.status, signal: r.signal, timedOut, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
  }
  /**
   * posix_spawn(3), not Node's or Bun's child_process. In a new PID namespace the order is:
   * unshare(CLONE_NEWPID) (or setns into one), spawn, setns back to ours; and between the first
   * and the last, this thread must not make a thread. The kernel refuses to (clone(2), EINVAL:
   * "CLONE_THREAD was specified, and the caller's PID namespace for children differs"), and Bun,
   * which makes threads when it needs them (to collect garbage, to compile, to free memory),
   * aborts when it cannot: once in a few thousand containers. So everything is made ready first,
   * and in between run three C calls and no other JavaScript. Node makes its threads at start,
   * but the same care costs it nothing.
   */
  spawn(request: SpawnRequest): Child {
    const c = this.c;
    const actions = Buffer.alloc(POSIX_SPAWN_STRUCT_BYTES);
    const attr = Buffer.alloc(POSIX_SPAWN_STRUCT_BYTES);
    const allSignals = Buffer.alloc(POSIX_SPAWN_STRUCT_BYTES);
    const noSignals = Buffer.alloc(POSIX_SPAWN_STRUCT_BYTES);
    // Each fd to pass on is first copied above every number the child will use: the dup2s of
    // posix_spawn then never overwrite an fd that a later one still has to read.
    const copies: number[] = [];
    c.posix_spawn_file_actions_init(actions);
    c.posix_spawnattr_init(attr);
    try {
      request.fds.forEach((fd, target) => {
        if (fd === null) {
          c.posix_spawn_file_actions_addopen(actions, target, '/dev/null', fs.constants.O_RDWR, 0);
          return;
        }
        const copy = c.fcntl(fd, F_DUPFD_CLOEXEC, request.fds.length);
        this.check('spawn', [request], copy);
        copies.push(copy);
        // dup2 clears close-on-exec on the target: this one the child keeps.
        c.posix_spawn_file_actions_adddup2(actions, copy, target);
      });
      // The child starts with every signal at its default action and none blocked: what we
      // ignore or block (Node and Bun ignore SIGPIPE) is none of its business.
      c.sigfillset(allSignals);
      c.sigemptyset(noSignals);
      c.posix_spawnattr_setsigdefault(attr, allSignals);
      c.posix_spawnattr_setsigmask(attr, noSignals);
      c.posix_spawnattr_setflags(attr, POSIX_SPAWN.SETSIGDEF | POSIX_SPAWN.SETSIGMASK | (request.newSession ? POSIX_SPAWN.SETSID : 0));
      const pid = new Int32Array(1);
      const env = Object.entries(request.env).map(([key, value]) => `${key}=${value}`);
      const spawnNow = c.preparePosixSpawn(pid, request.file, actions, attr, [request.file, ...request.args], env);

      const ns = request.pidNamespace;
      let entered = 0;
      let enterErrno = 0;
      let spawned = 0;
      let back = 0;
      let backErrno = 0;
      // From here to the end of the block: C calls only.
      if (ns) {
        entered = ns.join === undefined ? c.unshare(CLONE.NEWPID) : c.setns(ns.join, CLONE.NEWPID);
        if (entered === -1) enterErrno = c.errno();
      }
      if (entered === 0) {
        spawned = spawnNow();
        if (ns) {
          back = c.setns(ns.home, CLONE.NEWPID);
          if (back === -1) backErrno = c.errno();
        }
      }
      // JavaScript again.
      if (entered === -1) {
        const what = ns!.join === undefined ? formatCall('unshare', [CLONE.NEWPID]) : formatCall('setns', [ns!.join, CLONE.NEWPID]);
        throw new KernelError('spawn', errnoName(enterErrno), what);
      }
      if (back === -1) throw new KernelError('spawn', errnoName(backErrno), formatCall('setns', [ns!.home, CLONE.NEWPID]));
      // posix_spawn returns the error number itself; errno is not set.
      if (spawned !== 0) throw new KernelError('spawn', errnoName(spawned), formatCall('spawn', [request]));
      return watchChild(pid[0], this.reaper());
    } finally {
      c.posix_spawn_file_actions_destroy(actions);
      c.posix_spawnattr_destroy(attr);
      for (const copy of copies) fs.closeSync(copy);
    }
  }
  writeIdMap(pid: number, kind: 'uid' | 'gid', mappings: IdMapLine[]): void {
    // The whole map in one write(2): the kernel takes the first write only (man 7 user_namespaces).
    const file = `/proc/${pid}/${kind}_map`;
    this.fsCall('writeIdMap', [pid, kind, mappings], () => {
      const fd = fs.openSync(file, fs.constants.O_WRONLY);
      try {
        fs.writeSync(fd, idMapText(mappings));
      } finally {
        fs.closeSync(fd);
      }
    });
  }
  adoptChild(pid: number): Child {
    return watchChild(pid, this.reaper());
  }
  /** waitpid(pid, WNOHANG) for watchChild. */
  private reaper() {
    const c = this.c;
    const status = new Int32Array(1);
    return (child: number) => {
      const rc = c.waitpid(child, status, WNOHANG);
      if (rc === child) return status[0];
      if (rc === 0 || errnoName(c.errno()) === 'EINTR') return 'running';
      return 'gone' as const;
    };
  }
  kill(pid: number, signal: number): void {
    this.check('kill', [pid, signal], this.c.kill(pid, signal));
  }
  execve(path: string, argv: string[], envp: string[]): never {
    this.c.execve(path, [...argv, null], [...envp, null]);
    // Only reached when execve failed.
    throw new KernelError('execve', errnoName(this.c.errno()), formatCall('execve', [path, argv, envp]));
  }
}

/** dev_t as glibc's makedev(3) builds it. */
function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}
