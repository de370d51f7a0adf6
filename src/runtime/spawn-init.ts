/**
 * Spawning the runtime's own helper process: the container's init (create) or an exec helper
 * (exec), born in the PID namespace it must live in.
 *
 * A process cannot move itself into another PID namespace; unshare(CLONE_NEWPID) or setns
 * instead decide where the caller's *next children* are born (man 7 pid_namespaces). So: enter,
 * spawn, and step back at once, or every later child of ours would land inside too. The kernel
 * layer's spawn makes the three calls together, with no JavaScript in between (linux-kernel.ts
 * says why).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { INIT_ARGUMENT, isSingleExecutable } from '../engine';
import { UserError } from '../errors';
import type { Child, Kernel } from '../linux/kernel';
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

/** What the helper gets besides its stdio and the sync socket. */
export interface HelperFds {
  /** An fd connected to a console socket (process.terminal). */
  consoleSocket?: number;
  /** --preserve-fds N: our fds 3 to 3+N-1 go to the helper (and on to the program) as they are. */
  preserveFds?: number;
}

/**
 * The helper's fds: 0-2, then the N preserved ones (3 to 2+N), then the sync socket (3+N), then
 * the console socket (4+N). It learns N from its last argument (see helperFds in init/main.ts).
 */
export function spawnHelper(k: Kernel, target: PidNamespaceTarget | undefined, why: string, fds: HelperFds = {}): Helper {
  const { consoleSocket, preserveFds = 0 } = fds;
  const preserved = Array.from({ length: preserveFds }, (_, i) => 3 + i);
  const [ours, theirs] = k.because('process', 'The sync socket: we keep one end; the helper gets the other as its fd 3.').socketpair();
  let home: number | undefined;
  let join: number | undefined;
  try {
    if (target) {
      home = k.because(target.field, 'Our own PID namespace, to come back to after the spawn.').open('/proc/self/ns/pid', fs.constants.O_RDONLY, 0);
      if (target.path) join = k.because(target.field).open(target.path, fs.constants.O_RDONLY, 0);
    }
    const command = helperCommand(preserveFds);
    const child = spawnFromReadOnlyExecutable(k, command.file, () => k.because(target?.field ?? 'process', target ? `${why} ${target.path ? JOIN : NEW}` : why).spawn({
      ...command,
      // With a terminal the program's stdio will be the terminal; until then the helper holds
      // /dev/null, not ours: a caller that reads our output to its end (containerd's shim does)
      // would otherwise wait as long as the container lives.
      fds: [...(consoleSocket === undefined ? [0, 1, 2] : [null, null, null]), ...preserved, theirs, ...(consoleSocket === undefined ? [] : [consoleSocket])],
      // Nothing of our environment: the init's program gets process.env of the config only.
      env: helperEnv(),
      newSession: true,
      pidNamespace: home === undefined ? undefined : { join, home },
    }));
    return { child, socket: ours };
  } catch (err) {
    k.close(ours);
    // fork fails with ENOMEM in a PID namespace whose init has exited (man 7 pid_namespaces).
    if (target?.path && (err as { code?: string }).code === 'ENOMEM') {
      throw new UserError("the container's PID namespace has no init any more: the container has stopped", 'nk-runtime state shows it; delete it when done');
    }
    throw err;
  } finally {
    // The helper has its own copy now. Ours must go, or the helper's death would not end our reads.
    k.close(theirs);
    if (join !== undefined) k.close(join);
    if (home !== undefined) k.close(home);
  }
}

/** What -E says of the namespace part of the spawn. */
const NEW = 'unshare(CLONE_NEWPID) makes a new PID namespace for the children made after it: the one spawned next is its PID 1. Then setns takes us back to ours, so that later children (hooks) are born on the host.';
const JOIN = 'setns(CLONE_NEWPID) makes the children made after it be born in that PID namespace; then setns takes us back to ours.';

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
function helperCommand(preserveFds: number): { file: string; args: string[] } {
  const args = isSingleExecutable ? [INIT_ARGUMENT] : [path.join(__dirname, '..', 'init', 'main.js')];
  return { file: process.execPath, args: [...args, String(preserveFds)] };
}
