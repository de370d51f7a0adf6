/**
 * Spawning the runtime's own helper process: the container's init (create) or an exec helper
 * (exec), born in the PID namespace it must live in.
 *
 * A process cannot move itself into another PID namespace; unshare(CLONE_NEWPID) or setns
 * instead decide where the caller's *next children* are born (man 7 pid_namespaces). So: enter,
 * spawn, and step back at once, or every later child of ours would land inside too. The kernel
 * layer's spawn makes the three calls together, with no JavaScript in between (linux-kernel.ts
 * says why).
 *
 * With a user namespace the helper starts as nk-userns (src/native/nk-userns.c), which makes or
 * joins it, since Node and Bun cannot, then execs the real helper; a new PID namespace is then
 * nk-userns's to make, after the user namespace (finishNewUserNamespace below).
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { INIT_ARGUMENT, isSingleExecutable } from '../engine';
import { UserError } from '../errors';
import type { Child, IdMapLine, Kernel, Step } from '../linux/kernel';
import type { Cgroup } from '../linux/cgroups';
import { readBlocking } from '../blocking-read';
import { writeFully } from '../output';
import { spawnFromReadOnlyExecutable } from './read-only-executable';

/** Where the helper is born: a new PID namespace, an existing one (by path), or ours. */
export interface PidNamespaceTarget {
  /** The config field (or command) that asks for it, for the narration. */
  field: string;
  /** An existing namespace to join, such as /proc/4211/ns/pid; absent: a new one. */
  path?: string;
}

/** The helper, and our end of the socket pair whose other end is the helper's fd 3. */
export interface Helper {
  child: Child;
  socket: number;
}

/**
 * A user namespace for the helper (docs/kernel-mechanisms.md "User namespaces"): a new one with
 * these maps (create), or the one at `join` (exec). Either way the helper starts as nk-userns,
 * a small single-threaded C program, which execs the real helper once inside.
 */
export type UserNamespaceTarget =
  | { field: string; uidMappings: IdMapLine[]; gidMappings: IdMapLine[]; onStep: (step: Step) => void }
  | { field: string; join: string };

/** What the helper gets besides its stdio and the sync socket. */
export interface HelperFds {
  /** An fd connected to a console socket (process.terminal). */
  consoleSocket?: number;
  /** --preserve-fds N: our fds 3 to 3+N-1 go to the helper (and on to the program) as they are. */
  preserveFds?: number;
  userNamespace?: UserNamespaceTarget;
}

/**
 * The helper's fds: 0-2, then the N preserved ones (3 to 2+N), then the sync socket (3+N), then
 * the console socket (4+N). It learns N from its last argument (see helperFds in init/main.ts).
 */
export function spawnHelper(k: Kernel, target: PidNamespaceTarget | undefined, why: string, fds: HelperFds = {}): Helper {
  const { consoleSocket, preserveFds = 0, userNamespace } = fds;
  // A new PID namespace must be owned by a new user namespace, or the container's root could not
  // mount its /proc (man 7 user_namespaces): nk-userns makes both, in that order, and we make
  // none ourselves (we still join one given by its path).
  const newUserNamespace = userNamespace && !('join' in userNamespace) ? userNamespace : undefined;
  const newPidNamespace = target !== undefined && !target.path;
  if (newUserNamespace && newPidNamespace) target = undefined;
  const preserved = Array.from({ length: preserveFds }, (_, i) => 3 + i);
  const [ours, theirs] = k.because('process', 'The sync socket: we keep one end; the helper gets the other as its fd 3.').socketpair();
  let home: number | undefined;
  let join: number | undefined;
  let spawned: Child;
  try {
    if (target) {
      home = k.because(target.field, 'Our own PID namespace, to come back to after the spawn.').open('/proc/self/ns/pid', fs.constants.O_RDONLY, 0);
      if (target.path) join = k.because(target.field).open(target.path, fs.constants.O_RDONLY, 0);
    }
    const command = helperCommand(preserveFds, userNamespace, newPidNamespace);
    spawned = spawnFromReadOnlyExecutable(k, [process.execPath, command.file], () => k.because(target?.field ?? userNamespace?.field ?? 'process', [why, target ? (target.path ? JOIN : NEW) : '', userNamespace ? USERNS : ''].filter(Boolean).join(' ')).spawn({
      ...command,
      // With a terminal the program's stdio will be the terminal; until then the helper holds
      // /dev/null, not ours: a caller that reads our output to its end (containerd's shim does)
      // would otherwise wait as long as the container lives.
      fds: [...(consoleSocket === undefined ? [0, 1, 2] : [null, null, null]), ...preserved, theirs, ...(consoleSocket === undefined ? [] : [consoleSocket])],
      // Nothing of our environment: the init's program gets process.env of the config only.
      env: { ...helperEnv(), ...(newUserNamespace ? { NK_USER_NAMESPACE: 'new' } : {}) },
      newSession: true,
      pidNamespace: home === undefined ? undefined : { join, home },
    }));
  } catch (err) {
    k.because('process').close(ours);
    // fork fails with ENOMEM in a PID namespace whose init has exited (man 7 pid_namespaces).
    if (target?.path && (err as { code?: string }).code === 'ENOMEM') {
      throw new UserError("the container's PID namespace has no init any more: the container has stopped", 'nk-runtime state shows it; delete it when done');
    }
    throw err;
  } finally {
    // The helper has its own copy now. Ours must go, or the helper's death would not end our reads.
    k.because('process').close(theirs);
    if (join !== undefined) k.because(target!.field).close(join);
    if (home !== undefined) k.because(target!.field).close(home);
  }
  if (!newUserNamespace) return { child: spawned, socket: ours };
  try {
    return { child: finishNewUserNamespace(k, spawned, ours, newUserNamespace), socket: ours };
  } catch (err) {
    k.because('process').close(ours);
    throw err;
  }
}

/** What -E says of the namespace part of the spawn. */
const NEW = 'unshare(CLONE_NEWPID) makes a new PID namespace for the children made after it: the one spawned next is its PID 1. Then setns takes us back to ours, so that later children (hooks) are born on the host.';
const JOIN = 'setns(CLONE_NEWPID) makes the children made after it be born in that PID namespace; then setns takes us back to ours.';

const USERNS = 'It starts as nk-userns, a single-threaded C program: it makes (or joins) the user namespace, which Node and Bun cannot, then execs the real helper inside.';

/**
 * The rest of a spawn into a new user namespace, while nk-userns waits: it has made the
 * namespace and said so; we, in the parent user namespace, write its maps; it becomes root there
 * and clones the init (PID 1 of a new PID namespace when asked) as our child, then exits.
 * Its messages come one line at a time, read a byte at a time: the init's first ones may follow
 * at once, and belong to the InitConnection.
 */
export function finishNewUserNamespace(k: Kernel, userns: Child, socket: number, target: Extract<UserNamespaceTarget, { uidMappings: unknown }>): Child {
  try {
    expectLine(socket, 'userns', target.onStep);
    k.because('linux.uidMappings', 'nk-userns is in its new user namespace, and waits for its maps.').writeIdMap(userns.pid, 'uid', target.uidMappings);
    k.because('linux.gidMappings', 'As root of the parent namespace (CAP_SETGID) we may map any groups, and need not deny setgroups(2) first, as an unprivileged writer must.').writeIdMap(userns.pid, 'gid', target.gidMappings);
    writeFully(socket, '{"type":"mapped"}\n');
    const { pid } = expectLine(socket, 'init', target.onStep) as { pid: number };
    return k.because(target.field, 'nk-userns became root of the namespace and made the init with clone(CLONE_PARENT), then exited; the init made itself a session leader (setsid), as our spawn does for an init without a user namespace.').adoptChild(pid);
  } catch (err) {
    if (!userns.hasExited) {
      try {
        k.because('cleanup').kill(userns.pid, 9);
      } catch {
        // gone already
      }
    }
    throw err;
  }
}

/** Read nk-userns's lines until one of `type`; steps go to onStep, an error throws. */
function expectLine(socket: number, type: string, onStep: (step: Step) => void): Record<string, unknown> {
  for (;;) {
    const bytes: number[] = [];
    const one = Buffer.alloc(1);
    for (;;) {
      const n = readBlocking(socket, one, 1);
      if (n === 0) throw new UserError(`nk-userns exited before it said "${type}"`, 'run with --debug, or -E to see its steps');
      if (one[0] === 0x0a) break;
      bytes.push(one[0]);
    }
    const message = JSON.parse(Buffer.from(bytes).toString('utf8')) as { type: string; step?: Step; message?: string };
    if (message.type === 'step') onStep(message.step!);
    else if (message.type === 'error') {
      const text = message.message ?? 'nk-userns failed';
      // ENOSPC when user.max_user_namespaces is 0 or reached; EPERM where a security module or
      // kernel.unprivileged_userns_clone (Debian's) says no. man 7 user_namespaces
      throw new UserError(text, /CLONE_NEWUSER/.test(text) ? 'is the kernel allowing user namespaces? see sysctl user.max_user_namespaces' : undefined);
    }
    else if (message.type === type) return message;
  }
}

/** Nothing of ours but the time marks' switches (src/log.ts), when they are set. */
function helperEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['NK_TIMING', 'NK_CRASH_AT']) if (process.env[key]) env[key] = process.env[key]!;
  return env;
}

/**
 * The helper's program. Under Node: the init's own module, lib/init/main.js, which loads nothing of
 * the CLI. As the single executable: that executable again, told by its first argument to be the
 * init (see src/main.ts).
 */
function helperCommand(preserveFds: number, userns?: UserNamespaceTarget, newPidNamespace = false): { file: string; args: string[] } {
  const args = isSingleExecutable ? [INIT_ARGUMENT] : [path.join(__dirname, '..', 'init', 'main.js')];
  const helper = { file: process.execPath, args: [...args, String(preserveFds)] };
  if (!userns) return helper;
  // nk-userns SYNC_FD new pid|nopid PROGRAM ARGS...  or  nk-userns SYNC_FD join PATH PROGRAM ARGS...
  const mode = 'join' in userns ? ['join', userns.join] : ['new', newPidNamespace ? 'pid' : 'nopid'];
  return { file: usernsHelperPath(), args: [String(3 + preserveFds), ...mode, helper.file, ...helper.args] };
}

/**
 * Where nk-userns is: lib/native/ under Node (make build compiles it), next to the executable
 * for the single one (make single puts it in dist/, make install in /usr/local/bin).
 */
export function usernsHelperPath(): string {
  const file = isSingleExecutable ? path.join(path.dirname(process.execPath), 'nk-userns') : path.join(__dirname, '..', 'native', 'nk-userns');
  if (!fs.existsSync(file)) {
    throw new UserError(
      `config.json: linux.namespaces: a user namespace needs the helper nk-userns, and ${file} does not exist`,
      isSingleExecutable ? 'install it next to nk-runtime: make install (or copy dist/nk-userns there)' : 'build it: make build (it compiles src/native/nk-userns.c with cc)',
    );
  }
  return file;
}

/**
 * Into the container's cgroup, for a helper we spawned (the init, an exec helper), and only once
 * it has booted for memory and pids: the memory and threads its engine needs to start stay
 * counted where they were, and small limits leave room for its last steps.
 *
 * On cgroup v1 the helper moves itself, as the first step after its bootstrap: a thread that
 * moves itself does not wait, where our move of its whole process (cgroup.procs) waits 10-15 ms
 * for the kernel (init/join-cgroups.ts). Returned: the files to send it for that
 * (Bootstrap.joinCgroups). It cannot in a user namespace other than ours (the cgroup files are
 * the host root's), nor on v2: there we move it, and return nothing.
 */
export async function intoCgroup(cgroup: Cgroup | undefined, pid: number, inUserNamespace: boolean, booted: () => Promise<void>): Promise<string[] | undefined> {
  const selfJoin = inUserNamespace ? undefined : cgroup?.selfJoinFiles();
  if (!selfJoin) cgroup?.addProcess(pid, 'early');
  await booted();
  if (!selfJoin) cgroup?.addProcess(pid, 'late');
  return selfJoin;
}
