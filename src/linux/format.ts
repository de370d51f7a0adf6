/**
 * How each kernel call is written in narration and traces: as C would call it, with flag names
 * instead of numbers, so a learner can look the call up in its man page.
 */
import {
  BPF_ATTACH_TYPE, BPF_F, BPF_PROG_TYPE, CLONE, MS, MNT, LOCK, O_CLOEXEC, O_PATH, OPEN_FLAGS, PR, RESOLVE, RLIMIT,
  SECCOMP_FILTER_FLAG, S_IFBLK, S_IFIFO, S_IFMT, flagNames,
} from './constants';
import { capabilityNames } from './capabilities';
import type { IdMapLine, KernelCall, RunRequest, SpawnRequest } from './kernel';

/** The open(2) flags openat2 is used with here, by name (O_DIRECTORY and O_NOFOLLOW differ on arm64). */
const OPENAT2_FLAGS: Record<string, number> = { PATH: O_PATH, CLOEXEC: O_CLOEXEC, DIRECTORY: OPEN_FLAGS.O_DIRECTORY, NOFOLLOW: OPEN_FLAGS.O_NOFOLLOW };
const openFlags = (n: number) => flagNames(n, OPENAT2_FLAGS, 'O_');

/** The text of a uid_map or gid_map: "containerID hostID size" a line (man 7 user_namespaces). */
export function idMapText(mappings: IdMapLine[]): string {
  return mappings.map((m) => `${m.containerID} ${m.hostID} ${m.size}\n`).join('');
}

const q = (s: unknown) => (s === null || s === undefined ? 'NULL' : JSON.stringify(s));
const octal = (n: number) => '0' + n.toString(8);
const cloneFlags = (n: number) => flagNames(n, CLONE, 'CLONE_');
const rlimitName = (n: number) => Object.keys(RLIMIT).find((k) => RLIMIT[k] === n) ?? String(n);
const limit = (v: bigint) => (v === 0xffffffffffffffffn ? 'RLIM_INFINITY' : v.toString());
const signalName = (n: number) => {
  const { signals } = require('node:os').constants as { signals: Record<string, number> };
  return Object.keys(signals).find((k) => signals[k] === n) ?? String(n);
};

const nameOf = (table: Record<string, number>, prefix: string) => (n: number) => {
  const name = Object.keys(table).find((k) => table[k] === n);
  return name ? prefix + name : String(n);
};
const progType = nameOf(BPF_PROG_TYPE, 'BPF_PROG_TYPE_');
const attachType = nameOf(BPF_ATTACH_TYPE, 'BPF_');

type Formatter = (...args: any[]) => string;

const FORMATS: Record<KernelCall, Formatter> = {
  unshare: (flags: number) => `unshare(${cloneFlags(flags)})`,
  setns: (fd: number, nstype: number) => `setns(${fd}, ${cloneFlags(nstype)})`,
  mount: (src, target, fstype, flags: number, data) =>
    `mount(${q(src)}, ${q(target)}, ${q(fstype)}, ${flagNames(flags, MS, 'MS_')}, ${q(data)})`,
  umount2: (target, flags: number) => `umount2(${q(target)}, ${flagNames(flags, MNT, 'MNT_')})`,
  pivotRoot: (newRoot, putOld) => `pivot_root(${q(newRoot)}, ${q(putOld)})`,
  openat2: (dirfd: number, path, flags: number, resolve: number) =>
    `openat2(${dirfd}, ${q(path)}, {flags: ${openFlags(flags)}, resolve: ${flagNames(resolve, RESOLVE, 'RESOLVE_')}})`,
  open: (path, flags: number, mode: number) => `open(${q(path)}, 0x${flags.toString(16)}, ${octal(mode)})`,
  close: (fd) => `close(${fd})`,
  mkdirAll: (path, mode: number) => `mkdir -p ${q(path)} (mode ${octal(mode)})`,
  mkfifo: (path, mode: number) => `mkfifo(${q(path)}, ${octal(mode)})`,
  mknod: (path, mode: number, major, minor) =>
    `mknod(${q(path)}, ${(mode & S_IFMT) === S_IFBLK ? 'S_IFBLK' : (mode & S_IFMT) === S_IFIFO ? 'S_IFIFO' : 'S_IFCHR'}|${octal(mode & 0o7777)}, makedev(${major}, ${minor}))`,
  symlink: (target, path) => `symlink(${q(target)}, ${q(path)})`,
  chown: (path, uid, gid) => `chown(${q(path)}, ${uid}, ${gid})`,
  writeFile: (path, data: string) => `write(${q(path)}, ${q(data.length > 60 ? data.slice(0, 57) + '...' : data)})`,
  rmdir: (path) => `rmdir(${q(path)})`,
  unlink: (path) => `unlink(${q(path)})`,
  chdir: (path) => `chdir(${q(path)})`,
  chroot: (path) => `chroot(${q(path)})`,
  sethostname: (name) => `sethostname(${q(name)})`,
  setdomainname: (name) => `setdomainname(${q(name)})`,
  umask: (mask: number) => `umask(${octal(mask)})`,
  setrlimit: (resource: number, soft: bigint, hard: bigint) =>
    `setrlimit(${rlimitName(resource)}, {cur: ${limit(soft)}, max: ${limit(hard)}})`,
  setgroups: (gids: number[]) => `setgroups(${gids.length}, [${gids.join(', ')}])`,
  setgid: (gid) => `setgid(${gid})`,
  setuid: (uid) => `setuid(${uid})`,
  prctl: (option: number, arg2: number, arg3?: number) => {
    const name = Object.keys(PR).find((k) => PR[k] === option);
    if (name === 'CAPBSET_DROP') return `prctl(PR_CAPBSET_DROP, ${capabilityNames(1n << BigInt(arg2))})`;
    if (name === 'CAP_AMBIENT') {
      return arg2 === 4 ? 'prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL)' : `prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, ${capabilityNames(1n << BigInt(arg3 ?? 0))})`;
    }
    return `prctl(${name ? `PR_${name}` : option}, ${arg2})`;
  },
  personality: (persona: number) => `personality(${persona === 8 ? 'PER_LINUX32' : persona === 0 ? 'PER_LINUX' : `0x${persona.toString(16)}`})`,
  capget: () => 'capget(0, &data)',
  capset: (e: bigint, p: bigint, i: bigint) => `capset({effective: ${capabilityNames(e)}, permitted: ${capabilityNames(p)}, inheritable: ${capabilityNames(i)}})`,
  seccomp: (program: unknown[], flags: number) =>
    `seccomp(SECCOMP_SET_MODE_FILTER, ${flags ? flagNames(flags, SECCOMP_FILTER_FLAG, 'SECCOMP_FILTER_FLAG_') : '0'}, {${program.length} BPF instructions})`,
  bpfProgLoad: (type: number, program: unknown[], license, name) =>
    `bpf(BPF_PROG_LOAD, {prog_type: ${progType(type)}, insns: ${program.length} instructions, license: ${q(license)}, prog_name: ${q(name)}})`,
  bpfProgAttach: (cgroupFd, progFd, type: number, flags: number) =>
    `bpf(BPF_PROG_ATTACH, {target_fd: ${cgroupFd}, attach_bpf_fd: ${progFd}, attach_type: ${attachType(type)}, attach_flags: ${flagNames(flags, BPF_F, 'BPF_F_')}})`,
  bpfProgDetach: (cgroupFd, progFd, type: number) =>
    `bpf(BPF_PROG_DETACH, {target_fd: ${cgroupFd}, attach_bpf_fd: ${progFd}, attach_type: ${attachType(type)}})`,
  bpfProgQuery: (cgroupFd, type: number) => `bpf(BPF_PROG_QUERY, {target_fd: ${cgroupFd}, attach_type: ${attachType(type)}})`,
  bpfProgGetFdById: (id) => `bpf(BPF_PROG_GET_FD_BY_ID, {prog_id: ${id}})`,
  resetSignal: (sig: number) => `signal(${signalName(sig)}, SIG_DFL)`,
  setCloexec: (fd, on: boolean) => `fcntl(${fd}, F_SETFD, ${on ? 'FD_CLOEXEC' : '0'})`,
  setNonBlocking: (fd, on: boolean) => `fcntl(${fd}, F_SETFL, ${on ? 'flags|O_NONBLOCK' : 'flags & ~O_NONBLOCK'})`,
  poll: (fd, timeout: number) => `poll([{fd: ${fd}, events: POLLIN}], 1, ${timeout})`,
  closeRangeCloexec: (first) => `close_range(${first}, ~0U, CLOSE_RANGE_CLOEXEC)`,
  flock: (fd, op: number) => `flock(${fd}, ${flagNames(op, LOCK, 'LOCK_')})`,
  socketpair: () => 'socketpair(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0)',
  connectUnix: (path) => `socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0); connect(${q(path)})`,
  sendFd: (socket, fd) => `sendmsg(${socket}, {SCM_RIGHTS: [${fd}]})`,
  receiveFd: (socket) => `recvmsg(${socket}, {SCM_RIGHTS}, MSG_CMSG_CLOEXEC)`,
  dup2: (oldFd, newFd) => `dup2(${oldFd}, ${newFd})`,
  unlockPty: (fd) => `ioctl(${fd}, TIOCSPTLCK, 0)`,
  ptyNumber: (fd) => `ioctl(${fd}, TIOCGPTN)`,
  setWindowSize: (fd, rows, columns) => `ioctl(${fd}, TIOCSWINSZ, {rows: ${rows}, columns: ${columns}})`,
  setControllingTerminal: (fd) => `ioctl(${fd}, TIOCSCTTY, 0)`,
  runToEnd: (req: RunRequest) =>
    `run ${req.argv.map((a) => (/\s/.test(a) ? q(a) : a)).join(' ')} (stdin: the container's state${req.timeoutMs ? `, timeout ${req.timeoutMs / 1000} s` : ''})`,
  spawn: (req: SpawnRequest) => {
    const call = `posix_spawn(${q(req.file)}, [${[req.file, ...req.args].map(q).join(', ')}])`;
    const ns = req.pidNamespace;
    if (!ns) return call;
    const enter = ns.join === undefined ? 'unshare(CLONE_NEWPID)' : `setns(${ns.join}, CLONE_NEWPID)`;
    return `${enter}; ${call}; setns(${ns.home}, CLONE_NEWPID)`;
  },
  writeIdMap: (pid, kind: string, mappings: IdMapLine[]) => `write("/proc/${pid}/${kind}_map", ${q(idMapText(mappings))})`,
  adoptChild: (pid) => `waitpid(${pid}, WNOHANG) (our child through clone(CLONE_PARENT))`,
  kill: (pid, sig: number) => `kill(${pid}, ${signalName(sig)})`,
  execve: (path, argv: string[], envp: string[]) =>
    `execve(${q(path)}, [${argv.map(q).join(', ')}], [${envp.length} env vars])`,
};

export function formatCall(call: KernelCall, args: unknown[]): string {
  return FORMATS[call](...args);
}

/** Which arguments of a call are flag words (bits): -EE shows them in hex beside the decimal. */
const FLAG_ARGUMENTS: Partial<Record<KernelCall, number[]>> = {
  unshare: [0], setns: [1], mount: [3], umount2: [1], open: [1], openat2: [2, 3], flock: [1], seccomp: [1], bpfProgAttach: [3], personality: [0],
};
/** ...and which are file modes, in octal as chmod(1) writes them. */
const MODE_ARGUMENTS: Partial<Record<KernelCall, number[]>> = { open: [2], mkfifo: [1], mknod: [1], mkdirAll: [1], umask: [0] };

/**
 * -EE: the arguments exactly as the kernel got them: flag words in hex and decimal (the bits
 * that formatCall names), modes in octal, other numbers as they are, strings whole, with their length in bytes
 * where they are data (what a write puts in a cgroup file).
 */
export function formatRawArguments(call: KernelCall, args: readonly unknown[]): string {
  const flags = FLAG_ARGUMENTS[call] ?? [];
  const modes = MODE_ARGUMENTS[call] ?? [];
  const one = (value: unknown, i = -1): string => {
    if (typeof value === 'number' && flags.includes(i)) return `0x${(value >>> 0).toString(16)} (${value})`;
    if (typeof value === 'number' && modes.includes(i)) return `0o${value.toString(8)} (${value})`;
    if (typeof value === 'number') return String(value);
    if (typeof value === 'string') return JSON.stringify(value);
    if (Array.isArray(value)) return `[${value.map((v) => one(v)).join(', ')}]`;
    return value === null || value === undefined ? 'NULL' : String(value);
  };
  const text = args.map(one).join(', ');
  if (call === 'writeFile' && typeof args[1] === 'string') return `${text}  (${Buffer.byteLength(args[1])} bytes)`;
  return text;
}
