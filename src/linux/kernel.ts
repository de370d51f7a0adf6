/**
 * The kernel, typed: the one door through which nk-runtime talks to Linux.
 *
 * Every system call that changes the machine (unshare, mount, pivot_root, writes to cgroup files,
 * execve, kill, ...) is a method of `KernelOps`. There are three implementations of the door:
 *   - linux-kernel.ts: the real one, calling libc through koffi (or Node's fs, which is libc too);
 *   - fake-kernel.ts:  records the calls and changes nothing (unit tests without root);
 *   - `observe()` below wraps either one and turns every call into a `Step`: the record that -E
 *     narrates, that the trace keeps, and that tests can assert on.
 *
 * Code elsewhere never imports koffi or calls these syscalls itself; it receives a `Kernel`.
 */
import { errnoDescription } from './errno';
import { formatCall } from './format';
import { capabilitySummary } from './capabilities';
import { POLL } from './constants';
import { encode, type Instruction } from './seccomp/bpf';
import type { EbpfInstruction } from './cgroups/ebpf';

/** A program to run to its end (a hook): argv with argv[0], its environment, what it reads on stdin. */
export interface RunRequest {
  file: string;
  argv: string[];
  env: string[];
  input: string;
  /** Killed (SIGKILL) after this long; none when absent. */
  timeoutMs?: number;
}

/** How it ended, and what it said. */
export interface RunResult {
  status: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
}

/**
 * What to start for `spawn`: the program, its arguments and environment, its fds, and the PID
 * namespace it is born in.
 */
export interface SpawnRequest {
  file: string;
  /** The arguments after argv[0] (which is `file`). */
  args: string[];
  env: Record<string, string>;
  /**
   * The child's fds, by number: fds[i] becomes its fd i. A number is one of our fds, passed on;
   * null is /dev/null. Our other fds are close-on-exec (Node and Bun open theirs so), so it gets
   * no other.
   */
  fds: (number | null)[];
  /** Start a new session (setsid): the process does not die with our terminal. */
  newSession: boolean;
  /**
   * Born in another PID namespace: a new one (unshare), or the one open at `join` (setns); `home`
   * is ours, open, to come back to. Absent: born in ours.
   */
  pidNamespace?: { join?: number; home: number };
}

/** One line of a uid_map or gid_map (the runtime-spec's LinuxIDMapping). */
export interface IdMapLine {
  containerID: number;
  hostID: number;
  size: number;
}

/** How a child ended: its exit code, or the signal that killed it ("SIGKILL"). */
export interface ChildExit {
  code: number | null;
  signal: string | null;
}

/** A process we started with `spawn`. */
export interface Child {
  readonly pid: number;
  /** Settles once it has ended and we have collected its status (waitpid). */
  readonly exited: Promise<ChildExit>;
  /**
   * It has ended and been collected: its pid may already be another process's, so it must not
   * be signalled any more.
   */
  readonly hasExited: boolean;
  /** Keep this process running until the child has ended (the default)... */
  ref(): void;
  /** ...or not: we may end first, and the child lives on. */
  unref(): void;
}

export interface KernelOps {
  // Namespaces. man 7 namespaces
  unshare(flags: number): void;
  setns(fd: number, nstype: number): void;
  // Mounts. man 2 mount
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  // Files and directories.
  open(path: string, flags: number, mode: number): number;
  /**
   * Open `path` relative to the directory open at `dirfd`, walked as openat2(2)'s `resolve` flags
   * say: with RESOLVE_IN_ROOT, `/`, `..` and absolute symlinks all stay below that directory.
   */
  openat2(dirfd: number, path: string, flags: number, resolve: number): number;
  close(fd: number): void;
  mkdirAll(path: string, mode: number): void;
  mkfifo(path: string, mode: number): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  symlink(target: string, path: string): void;
  chown(path: string, uid: number, gid: number): void;
  writeFile(path: string, data: string): void;
  rmdir(path: string): void;
  unlink(path: string): void;
  chdir(path: string): void;
  /** Make `path` this process's root directory. */
  chroot(path: string): void;
  /**
   * Write the uid_map or gid_map of process `pid`, which has just made a user namespace: one line
   * per mapping, "containerID hostID size", in one write(2), by a process of the parent user
   * namespace (man 7 user_namespaces). A map can be written once.
   */
  writeIdMap(pid: number, kind: 'uid' | 'gid', mappings: IdMapLine[]): void;
  // Identity and limits of the process.
  sethostname(name: string): void;
  setdomainname(name: string): void;
  umask(mask: number): number;
  setrlimit(resource: number, soft: bigint, hard: bigint): void;
  setgroups(gids: number[]): void;
  setgid(gid: number): void;
  setuid(uid: number): void;
  prctl(option: number, arg2: number, arg3?: number): void;
  /** Set the execution domain of this process (personality(2)): PER_LINUX, PER_LINUX32. */
  personality(persona: number): void;
  /** The permitted capability set of this thread (capget(2)): what it can still hand on. */
  capget(): bigint;
  /** Set the effective, permitted and inheritable capability sets (masks: bit N is capability N). */
  capset(effective: bigint, permitted: bigint, inheritable: bigint): void;
  /**
   * Install a seccomp filter on this thread (seccomp(2) SECCOMP_SET_MODE_FILTER): from now on the
   * kernel runs `program` (classic BPF, src/linux/seccomp/bpf.ts) on each of its system calls.
   */
  seccomp(program: Instruction[], flags: number): void;
  /** Give a signal back its default action (SIG_DFL). */
  resetSignal(signal: number): void;
  // eBPF programs. man 2 bpf
  /**
   * Load an eBPF program (bpf(2) BPF_PROG_LOAD) of `type` (BPF_PROG_TYPE_*): the kernel's verifier
   * checks it first. Returns its fd (close-on-exec). When the verifier refuses it, the
   * KernelError's `detail` is the verifier's log, which says why.
   */
  bpfProgLoad(type: number, program: EbpfInstruction[], license: string, name: string): number;
  /** Attach the program open at `progFd` to the cgroup directory open at `cgroupFd` (BPF_PROG_ATTACH). */
  bpfProgAttach(cgroupFd: number, progFd: number, attachType: number, flags: number): void;
  /** Detach it (BPF_PROG_DETACH). */
  bpfProgDetach(cgroupFd: number, progFd: number, attachType: number): void;
  /** The ids of the programs attached to the cgroup open at `cgroupFd` itself (BPF_PROG_QUERY). */
  bpfProgQuery(cgroupFd: number, attachType: number): number[];
  /** Open the loaded program that has this id (BPF_PROG_GET_FD_BY_ID): its fd (close-on-exec). */
  bpfProgGetFdById(id: number): number;
  // File descriptors.
  setCloexec(fd: number, on: boolean): void;
  /** Set or clear O_NONBLOCK on an open file (fcntl F_SETFL): whether its reads and writes wait. */
  setNonBlocking(fd: number, on: boolean): void;
  /**
   * Wait up to `timeoutMs` until there is something to read on `fd`, or its writer has closed it
   * (poll(2), POLLIN): the events that came (POLL.IN, POLL.HUP bits), 0 when the time ran out or
   * a signal came first.
   */
  poll(fd: number, timeoutMs: number): number;
  closeRangeCloexec(first: number): void;
  flock(fd: number, operation: number): void;
  /** Two connected unix sockets, both close-on-exec: [ours, theirs]. */
  socketpair(): [number, number];
  /** A unix stream socket (close-on-exec) connected to the socket file at `path`. */
  connectUnix(path: string): number;
  /** Send one fd over a unix socket (sendmsg with SCM_RIGHTS): the receiver gets its own copy. */
  sendFd(socket: number, fd: number): void;
  /** Receive one fd sent over a unix socket (recvmsg with SCM_RIGHTS); it arrives close-on-exec. */
  receiveFd(socket: number): number;
  /** Make `newFd` a copy of `oldFd` (closing what `newFd` was). */
  dup2(oldFd: number, newFd: number): void;
  // Terminals. man 4 pts, man 2 ioctl_tty
  /** Unlock the slave of a pty master (ioctl TIOCSPTLCK 0), what unlockpt(3) does. */
  unlockPty(master: number): void;
  /** The number N of a pty master's slave, /dev/pts/N (ioctl TIOCGPTN), what ptsname(3) asks. */
  ptyNumber(master: number): number;
  /** Set a terminal's size in characters (ioctl TIOCSWINSZ). */
  setWindowSize(fd: number, rows: number, columns: number): void;
  /** Make the terminal open on `fd` the controlling terminal of this session (ioctl TIOCSCTTY). */
  setControllingTerminal(fd: number): void;
  // Processes.
  /**
   * Start a program as a new process (posix_spawn: fork and execve in one call), if asked in
   * another PID namespace.
   */
  spawn(request: SpawnRequest): Child;
  /**
   * Watch a process that is our child without our having spawned it: nk-userns makes the init
   * with clone(CLONE_PARENT), which makes it the child of nk-userns's parent, us (man 2 clone).
   */
  adoptChild(pid: number): Child;
  kill(pid: number, signal: number): void;
  /** Run a program to its end and wait for it (fork, execve, waitpid): the hooks. */
  runToEnd(request: RunRequest): RunResult;
  execve(path: string, argv: string[], envp: string[]): never;
}

export type KernelCall = keyof KernelOps;

/**
 * Every call of the door, listed once. The `Record` type makes the compiler fail when a method is
 * added to KernelOps and not here, so wrappers and the narration catalogue can never miss one.
 */
const CALLS: Record<KernelCall, true> = {
  unshare: true, setns: true, mount: true, umount2: true, pivotRoot: true, open: true, close: true,
  openat2: true, mkdirAll: true, mkfifo: true, mknod: true, symlink: true, chown: true, writeFile: true,
  rmdir: true, unlink: true, chdir: true, chroot: true, sethostname: true, setdomainname: true, umask: true, setrlimit: true,
  setgroups: true, setgid: true, setuid: true, prctl: true, personality: true, capget: true, capset: true, seccomp: true, resetSignal: true,
  bpfProgLoad: true, bpfProgAttach: true, bpfProgDetach: true, bpfProgQuery: true, bpfProgGetFdById: true, setCloexec: true, setNonBlocking: true, poll: true, closeRangeCloexec: true,
  flock: true, socketpair: true, connectUnix: true, sendFd: true, receiveFd: true, dup2: true, unlockPty: true, ptyNumber: true,
  setWindowSize: true, setControllingTerminal: true, writeIdMap: true, adoptChild: true, spawn: true, runToEnd: true, kill: true, execve: true,
};
export const KERNEL_CALLS = Object.keys(CALLS) as KernelCall[];

/** Which process made a step: the runtime CLI, the container's init, or an exec helper. */
export type Role = 'runtime' | 'init' | 'exec';

/** One kernel call as it happened. */
export interface Step {
  role: Role;
  pid: number;
  call: KernelCall;
  /** The call with its real arguments and flag names: `mount("proc", "/proc", "proc", MS_NOSUID, NULL)`. */
  text: string;
  /** "0", or what it returned ("fd 5", "pid 4214"). Absent when it failed. */
  result?: string;
  /** The errno name when it failed: "EPERM". */
  error?: string;
  /** The config field that caused the call: "linux.namespaces[0]", "mounts[3]". */
  cause?: string;
  /** Why this particular call was made, when the catalogue's general words are not enough. */
  note?: string;
  /** Where in the code: "src/init/rootfs.ts pivotToRootfs()". Only when asked for (ObserveOptions.sites). */
  site?: string;
  /** The bytes the call handed the kernel, base64, where they are the point: a seccomp or eBPF program. */
  raw?: string;
  /**
   * -EE: the arguments exactly as passed (numbers as numbers, strings whole), kept only when
   * observe() is asked to (`keepArgs`): without -EE no step carries them.
   */
  args?: unknown[];
  /** Wall-clock time (ms since the epoch) and duration (ms). */
  time: number;
  ms: number;
}

/**
 * A failed kernel call. `code` is the errno name; the message says which call and why. `detail`:
 * what the kernel said besides the errno, where it says more (the BPF verifier's log).
 */
export class KernelError extends Error {
  constructor(readonly call: KernelCall, readonly code: string, readonly text: string, readonly detail?: string) {
    super(`${text}: ${code} (${errnoDescription(code)})`);
    this.name = 'KernelError';
  }
}

/** The door as the rest of the code sees it: the calls, plus a way to say why the next one is made. */
export interface Kernel extends KernelOps {
  /**
   * The same kernel, with every call made through it attributed to a config field (and,
   * optionally, a note on why): `k.because('mounts[3]').mount(...)`.
   */
  because(cause: string, note?: string): Kernel;
}

export type StepSink = (step: Step) => void;

/**
 * Called with a step (no result yet) and the call's arguments just *before* the call is made:
 * --step pauses there (src/explain/step-mode.ts). Throwing stops the call from being made.
 */
export type BeforeStep = (step: Step, args: readonly unknown[]) => void;

/** What observe() records besides each call, its cause and its result. */
export interface ObserveOptions {
  /** Only with --step: sees each call before it is made (and may stop it). */
  before?: BeforeStep;
  /** -EE: each step keeps its arguments as passed. */
  keepArgs?: boolean;
  /**
   * Each step's code site ("src/init/rootfs.ts pivotToRootfs()"), read from a stack trace: about
   * 10 microseconds a call, so only when somebody will see it (-E, --step, NK_TRACE_FILE).
   */
  sites?: boolean;
}

/**
 * Wrap a kernel so that every call becomes a Step handed to `sink`, in order, success or failure.
 * The sink decides what to do with it: print it (-E), send it to the parent (init), or keep it.
 */
export function observe(inner: KernelOps, role: Role, sink: StepSink, options: ObserveOptions = {}): Kernel {
  const { before, keepArgs, sites } = options;
  const pid = process.pid;

  // Each call is made once, here, and shared by every view: `because()` only makes an object
  // that holds its cause and note and inherits the calls, which read them from `this`. (A view
  // used to get ~60 fresh closures of its own: about a tenth of create's JavaScript, since nearly
  // every call is made through a `because`.)
  const calls: Record<string, unknown> = {
    because: (cause: string, note?: string) => view(cause, note),
  };
  for (const call of KERNEL_CALLS) {
    calls[call] = function (this: Reason, ...args: unknown[]) {
      const site = sites ? callerSite() : undefined;
      const text = formatCall(call, args);
      const step: Step = { role, pid, call, text, cause: this.cause, note: this.note, site, time: Date.now(), ms: 0 };
      // The filter itself, exactly as installed: 8 bytes an instruction (-EE disassembles it).
      if (call === 'seccomp') step.raw = encode(args[0] as Instruction[]).toString('base64');
      if (call === 'bpfProgLoad') step.raw = encodeEbpf(args[1] as EbpfInstruction[]).toString('base64');
      if (keepArgs) step.args = args.map(plainValue);
      if (before) {
        before(step, args);
        step.time = Date.now(); // the pause is not the call's
      }
      const started = performance.now();
      // execve does not return when it works, so its step is handed over before the call.
      if (call === 'execve') {
        step.result = '(no return: the program replaces the process)';
        sink(step);
      }
      try {
        const value = (inner[call] as (...a: unknown[]) => unknown)(...args);
        step.ms = performance.now() - started;
        step.result = describeResult(call, value);
        sink(step);
        return value;
      } catch (err) {
        step.ms = performance.now() - started;
        step.error = (err as { code?: string }).code ?? 'EUNKNOWN';
        step.result = undefined;
        sink(step);
        throw err;
      }
    };
  }
  const view = (cause?: string, note?: string): Kernel => Object.assign(Object.create(calls) as Kernel, { cause, note });
  return view();
}

/** What a view of an observed kernel adds to its calls: why they are made (Kernel.because). */
interface Reason {
  cause?: string;
  note?: string;
}

/** eBPF's encoder, loaded only when a program is loaded (a cgroup v2 device allow-list). */
function encodeEbpf(program: EbpfInstruction[]): Buffer {
  return (require('./cgroups/ebpf') as typeof import('./cgroups/ebpf')).encode(program);
}

/**
 * An argument as it can travel in JSON (the init sends its steps so) and be printed: numbers,
 * strings and null as they are; a bigint as a decimal string; long lists (a seccomp program) by
 * their length; an object (spawn's request) as its JSON, cut at 300 characters.
 */
function plainValue(value: unknown): unknown {
  if (typeof value === 'bigint') return `${value}`;
  if (Array.isArray(value)) return value.length > 16 ? `[${value.length} items]` : value.map(plainValue);
  if (value !== null && typeof value === 'object') {
    const json = JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? `${v}` : v)) ?? '';
    return json.length > 300 ? `${json.slice(0, 297)}...` : json;
  }
  return value;
}

function describeResult(call: KernelCall, value: unknown): string {
  if (call === 'spawn' || call === 'adoptChild') return `pid ${(value as Child).pid}`;
  if (call === 'open' || call === 'openat2' || call === 'bpfProgLoad' || call === 'bpfProgGetFdById') return `fd ${value}`;
  if (call === 'bpfProgQuery') {
    const ids = value as number[];
    return ids.length === 0 ? 'none attached' : `${ids.length === 1 ? 'program' : 'programs'} ${ids.join(', ')}`;
  }
  if (call === 'socketpair') return `fds ${(value as number[]).join(' and ')}`;
  if (call === 'connectUnix' || call === 'receiveFd') return `fd ${value}`;
  if (call === 'runToEnd') {
    const r = value as RunResult;
    return r.timedOut ? 'timed out, killed' : r.signal ? `killed by ${r.signal}` : `exit code ${r.status}`;
  }
  if (call === 'ptyNumber') return `${value} (the slave is /dev/pts/${value})`;
  if (call === 'capget') return `permitted: ${capabilitySummary(value as bigint)}`;
  if (call === 'umask') return `0o${(value as number).toString(8)} (the previous mask)`;
  if (call === 'poll') return pollResult(value as number);
  return '0';
}

/**
 * poll(2)'s answer in words. Whether data (POLLIN) or the end (POLLHUP) came first is a race
 * that changes from run to run, so the words do not say: the reads after it tell.
 */
function pollResult(events: number): string {
  if (events === 0) return '0 (nothing yet: the time ran out)';
  return events & POLL.ERR ? '1 (an error on the fd)' : '1 (ready: something to read, or the writer has closed its end)';
}

/** The repository: sites are named relative to it. This file is src/linux/ or lib/linux/. */
const REPO = `${__dirname}/../../`.replace(/[^/]+\/[^/]+\/\.\.\/\.\.\/$/, '');

/**
 * The function that called the kernel, as "src/init/rootfs.ts pivotToRootfs()", read from a stack
 * trace. The compiled file in lib/ is named by its source in src/, so a learner can open it.
 */
function callerSite(): string | undefined {
  const holder: { stack?: string } = {};
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 4;
  Error.captureStackTrace(holder, callerSite);
  Error.stackTraceLimit = limit;
  // Frames: [0] the wrapper above, [1] the caller we want: "at fn (/path/file.js:12:3)".
  const frame = holder.stack?.split('\n')[2];
  // Node names files by absolute path; the single executable by the path its source map keeps
  // ("lib/init/rootfs.js"), relative.
  const match = frame && /at (?:(\S+) \()?((?:\/|\w[\w.-]*\/)[^:)\s]+)/.exec(frame);
  if (!match) return undefined;
  const file = match[2].startsWith(REPO) ? match[2].slice(REPO.length) : match[2];
  const source = file.replace(/^lib\//, 'src/').replace(/\.js$/, '.ts');
  const fn = match[1] && match[1] !== '<anonymous>' ? match[1].replace(/^Object\./, '') + '()' : '';
  return fn ? `${source} ${fn}` : source;
}
