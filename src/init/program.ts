/**
 * The last steps of the init: turn this process into the container's program.
 *
 *   rlimits -> umask -> groups, gid, uid -> cwd -> fds  (settleProcess)  -> execve  (replaceProcess)
 *
 * The order matters: raising a hard rlimit needs root, so rlimits come before setuid; setgid
 * after setuid would be refused, so groups and gid come first.
 */
import { mark } from '../log';
import type { Stats } from 'node:fs';
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError, withContext } from '../errors';
import { PR, RLIMIT } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Personality, Spec } from '../oci/spec';
import { attachTerminal } from './terminal';
import { assertOnProcfs, resolveInRoot } from './paths';
import { readProc, STATUS_STAND_IN } from '../linux/proc';
import { afterUserChange, beforeUserChange } from './capabilities';
import { installSeccomp, type PreparedSeccomp } from './seccomp';

/** Execution domains (linux/personality.h). */
const PER_LINUX = 0;
const PER_LINUX32 = 0x0008;

export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Find process.args[0] inside the container (we are after pivot_root, so `/` is the rootfs),
 * through the PATH of process.env as a shell would. Called during create, so that a program
 * that is missing or not executable fails `create`, not a later `start` nobody watches.
 * `root` is where that `/` is on disk: "/" in the init; the rootfs's host path in a dry run,
 * which never switched roots (each path is then resolved as inside it, symlinks included).
 */
export function findProgram(spec: Pick<Spec, 'process'>, root = '/'): string {
  const name = spec.process!.args![0];
  const env = spec.process!.env ?? [];
  const candidates = name.includes('/')
    ? [path.resolve(spec.process!.cwd ?? '/', name)]
    : (env.find((e) => e.startsWith('PATH='))?.slice(5) ?? DEFAULT_PATH)
        .split(':')
        .filter(Boolean)
        .map((dir) => path.join(dir, name));
  for (const candidate of candidates) {
    let stat: Stats;
    try {
      stat = fs.statSync(root === '/' ? candidate : resolveInRoot(root, candidate));
    } catch {
      continue;
    }
    if (stat.isDirectory()) continue;
    if ((stat.mode & 0o111) === 0) {
      throw new UserError(`process.args[0]: ${candidate} is not executable in the rootfs`, 'chmod +x it, or pick another program');
    }
    return candidate;
  }
  throw new UserError(
    `process.args[0]: ${JSON.stringify(name)} not found in the rootfs${name.includes('/') ? '' : ' (searched PATH)'}`,
    'check process.args in config.json and what the rootfs contains',
  );
}

export interface ProgramOptions {
  /** The slave of the pty made during create (terminal.ts), when process.terminal asks for one. */
  terminal?: number;
  /** --preserve-fds N: fds 3 to 2+N go to the program as they are. */
  preservedFds?: number;
  /** Runs after every step but the last: the exec helper may wait there (join.ts). */
  beforeExecve?: () => void;
  /** linux.seccomp, compiled (seccomp.ts), to install at the end. */
  seccomp?: PreparedSeccomp;
  /** linux.personality: the execution domain. */
  personality?: Personality;
}

/** All the program's settings, then execve: what an exec helper does (join.ts). */
export function execProgram(k: Kernel, spec: Pick<Spec, 'process'>, program: string, options: ProgramOptions = {}): never {
  settleProcess(k, spec, options);
  return replaceProcess(k, spec, program, options);
}

/**
 * The program's settings on this process, from rlimits to its fds: everything but the last
 * seccomp filter and execve. The init makes them before `start` comes (main.ts says why).
 */
export function settleProcess(k: Kernel, spec: Pick<Spec, 'process'>, options: ProgramOptions = {}): void {
  const { terminal, preservedFds = 0, seccomp } = options;
  const p = spec.process!;
  (p.rlimits ?? []).forEach((r, i) => {
    try {
      k.because(`process.rlimits[${i}]`).setrlimit(RLIMIT[r.type], rlimitValue(r.soft), rlimitValue(r.hard));
    } catch (err) {
      throw withContext(`process.rlimits[${i}] (${r.type})`, err);
    }
  });
  k.because('process.user.umask').umask(p.user.umask ?? 0o022);
  // The personality passes through execve (man 2 personality).
  if (options.personality) k.because('linux.personality').personality(options.personality.domain === 'LINUX32' ? PER_LINUX32 : PER_LINUX);
  // Before the capabilities go: lowering the OOM score below 0 needs CAP_SYS_RESOURCE.
  if (p.oomScoreAdj !== undefined) {
    assertOnProcfs('/proc/self/oom_score_adj', 'process.oomScoreAdj');
    k.because('process.oomScoreAdj', 'How eagerly the kernel\'s OOM killer picks this process (and the program it becomes): -1000 never, 1000 first.').writeFile(
      '/proc/self/oom_score_adj',
      String(p.oomScoreAdj),
    );
  }
  // No process.capabilities means no capabilities at all, as runc does: root in the container
  // then has none of root's powers (the safe reading of an absent field).
  const capabilities = p.capabilities ?? {};
  // Without no_new_privs a filter needs CAP_SYS_ADMIN to install: now, while we still have it.
  if (seccomp && !p.noNewPrivileges) installSeccomp(k, seccomp);
  beforeUserChange(k, capabilities);
  k.because('process.user.additionalGids', 'Dropping the runtime\'s supplementary groups, keeping only the ones the config lists.').setgroups(
    p.user.additionalGids ?? [],
  );
  k.because('process.user.gid').setgid(p.user.gid);
  k.because('process.user.uid').setuid(p.user.uid);
  afterUserChange(k, capabilities);
  k.because('process.cwd').chdir(p.cwd ?? '/');
  assertInsideRoot(p.cwd ?? '/');
  if (p.noNewPrivileges) k.because('process.noNewPrivileges').prctl(PR.SET_NO_NEW_PRIVS, 1);
  if (terminal !== undefined) attachTerminal(k, terminal);
  // execve keeps ignored signals ignored (man 2 execve): Node ignores SIGPIPE and SIGXFSZ.
  for (const signal of ignoredSignals()) k.because('process').resetSignal(signal);
  // Node marks fds 0-2 close-on-exec at start-up (libuv's uv_disable_stdio_inheritance), so
  // without this the program would start with no stdin, stdout or stderr at all. (Clearing the
  // flag is right under Bun too, whatever it does at start-up.)
  for (const fd of [0, 1, 2]) {
    k.because('process', 'The program must inherit the standard fds, and Node marks them close-on-exec when it starts: clear the flag.').setCloexec(fd, false);
  }
  for (let fd = 3; fd < 3 + preservedFds; fd++) {
    k.because('--preserve-fds', 'An fd the caller asked to pass on to the program, as it is.').setCloexec(fd, false);
  }
  k.because(
    'process',
    `Everything above fd ${2 + preservedFds} is the runtime's (the sync socket, exec.fifo, the engine's own pipes and epoll fds): none of it may reach the program (the class of runc CVE-2024-21626).`,
  ).closeRangeCloexec(3 + preservedFds);
}

/** The end: the seccomp filter that needs no_new_privs, then execve. */
export function replaceProcess(k: Kernel, spec: Pick<Spec, 'process'>, program: string, options: ProgramOptions = {}): never {
  const { beforeExecve, seccomp } = options;
  const p = spec.process!;
  beforeExecve?.();
  // The last step before execve: the profile then only has to allow execve itself.
  if (seccomp && p.noNewPrivileges) installSeccomp(k, seccomp);
  mark('init: execve');
  return k.because('process.args').execve(program, p.args!, p.env ?? []);
}

/**
 * RLIM_INFINITY is the largest 64-bit number, 18446744073709551615, which a JSON number cannot
 * hold exactly (JSON.parse rounds it up to 2^64): anything that large means "no limit".
 */
const RLIM_INFINITY = 0xffffffffffffffffn;
function rlimitValue(value: number): bigint {
  return value >= 2 ** 64 - 1 ? RLIM_INFINITY : BigInt(value);
}

/**
 * The standard signals (1-31) this process ignores: the SigIgn mask of /proc/self/status (man 5
 * proc). Real-time signals are left as they are: glibc keeps 32 and 33 for itself and refuses to
 * change them (EINVAL).
 */
function ignoredSignals(): number[] {
  const line = readProc('/proc/self/status', () => STATUS_STAND_IN).split('\n').find((l) => l.startsWith('SigIgn:'));
  const mask = BigInt('0x' + (line?.split(/\s+/)[1] ?? '0'));
  const signals: number[] = [];
  for (let n = 1; n <= 31; n++) if ((mask >> BigInt(n - 1)) & 1n) signals.push(n);
  return signals;
}

/**
 * The working directory must be inside the container's root. A cwd such as /proc/self/fd/7
 * follows an fd of ours, which could be a directory of the host (runc's CVE-2024-21626): walk up
 * with `..` from where chdir took us; inside the root the walk ends at our `/` (the kernel stops
 * `..` there), outside it ends somewhere else.
 */
function assertInsideRoot(cwd: string): void {
  const root = fs.statSync('/');
  let at = '.';
  try {
    for (let depth = 0; depth < 4096; depth++) {
      const here = fs.statSync(at);
      const parent = fs.statSync(`${at}/..`);
      if (here.dev === parent.dev && here.ino === parent.ino) {
        if (here.dev === root.dev && here.ino === root.ino) return;
        break;
      }
      at += '/..';
    }
  } catch {
    // a directory on the way up we may not search: not a way inside our root either
  }
  throw new UserError(`process.cwd: ${JSON.stringify(cwd)} is outside the container's root`, 'a cwd through /proc/self/fd leads out of the container (the class of runc CVE-2024-21626): use a path in the rootfs');
}
