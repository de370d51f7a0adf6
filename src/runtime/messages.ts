/**
 * The messages between the runtime and the container's init, one JSON object per line.
 *
 * During create they travel over the sync socket (fd 3 of the init, a socketpair the runtime makes in
 * spawn-init.ts);
 * during start, from the init to `start` through exec.fifo. The init never writes to the
 * terminal itself: its steps and errors come here, and the runtime prints them in order.
 */
import type { Step } from '../linux/kernel';
import type { FailedCall } from '../errors';
import type { Process, Seccomp, Spec, State } from '../oci/spec';

/** Runtime -> init: everything the init needs to know that is not in config.json. */
export interface Bootstrap {
  type: 'bootstrap';
  /** The container's state dir: config.json and exec.fifo are there. */
  stateDir: string;
  /** The bundle dir: relative bind-mount sources are relative to it. */
  bundle: string;
  /** The rootfs, as an absolute path on the host. */
  rootfs: string;
  /**
   * Inode of the runtime's mount namespace. The init checks that its own differs before it does
   * anything to mounts: pivot_root in the host's namespace would change the whole machine.
   */
  hostMountNs: number;
  /** process.terminal: the console socket is the init's fd 4; the pty's master goes there. */
  console?: boolean;
  /** The state hooks read on stdin (status and pid filled in); present when there are hooks. */
  hookState?: State;
  /** There are createRuntime (or prestart) hooks: stop before pivot_root for the runtime to run them. */
  runtimeHooks?: boolean;
  /** --no-pivot: MS_MOVE and chroot instead of pivot_root (rootfs.ts moveToRootfs). */
  noPivot?: boolean;
  /**
   * --step: before each kernel call, send "before" and wait for "go". During create the answers
   * come over the sync socket; during start, through step.fifo in the state dir (exec.fifo only
   * goes from the init to `start`).
   */
  step?: boolean;
  /** -EE: keep each step's arguments as passed (kernel.ts observe()'s `keepArgs`). */
  rawDetail?: boolean;
  /** Record each step's code site (observe()'s `sites`): the runtime will show them. */
  sites?: boolean;
  /**
   * -E (or --step): the runtime narrates the init's steps as they happen, so each is sent at
   * once. Without it they go in one write with the next other message (InitChannel.batchSteps).
   */
  narrated?: boolean;
  /**
   * The container's cgroups, as the `tasks` file of each v1 hierarchy: the init moves itself in,
   * first of all, by writing 0 to each (CgroupV1.selfJoinFiles). Absent: the runtime has moved
   * it already (cgroup v2, or a user namespace of its own, where the host's cgroup files are not
   * root's any more).
   */
  joinCgroups?: string[];
  /**
   * With a user namespace, the init may not be able to read the state dir: the config comes
   * here, and exec.fifo (O_PATH) came over the socket just before this line (the init knows to
   * receive it first by NK_USER_NAMESPACE=new in its environment: spawn-init.ts).
   */
  spec?: Spec;
}

/** Runtime -> init: the createRuntime hooks have run; go on. */
export interface Continue {
  type: 'continue';
}

/** Runtime -> init (--step): the user has seen the step announced by "before"; make it. */
export interface Go {
  type: 'go';
}

/**
 * Runtime -> exec helper: join the namespaces of the container whose init is `containerPid` and
 * run `process` there.
 */
export interface ExecBootstrap {
  type: 'exec';
  /** The init's host pid: its namespaces are /proc/<pid>/ns/<type>. */
  containerPid: number;
  /** The namespace types to join (those of the container's config), but pid: we were born in it. */
  namespaces: string[];
  process: Process;
  /** The container's seccomp profile: an exec'd process is held to it too (as runc does). */
  seccomp?: Seccomp;
  /**
   * exec --detach: say "ready" before execve, then wait until the runtime has exited. The runtime
   * must not outlive a short command: as its parent it would reap the command's exit (Node and Bun
   * reap their children themselves), and the exit would never reach the process that waits for it
   * (containerd's shim). Once the runtime is gone, the kernel hands the command to that reaper.
   */
  waitForRuntimeExit: boolean;
  /** A terminal: the console socket is the helper's fd 4 (see Bootstrap.console). */
  console?: boolean;
  /** --step, as Bootstrap.step; over the sync socket only. */
  step?: boolean;
  /** -EE: keep each step's arguments as passed. */
  rawDetail?: boolean;
  /** Record each step's code site, as Bootstrap.sites. */
  sites?: boolean;
  /** The container's cgroups, to join first of all, as Bootstrap.joinCgroups. */
  joinCgroups?: string[];
}

export type InitMessage =
  /** The init has loaded all its code (it cannot load any after pivot_root) and waits. */
  | { type: 'booted' }
  /** One kernel call made by the init. */
  | { type: 'step'; step: Step }
  /**
   * --step: the init is about to make this call (no result yet) and waits for "go". Its arguments
   * are there as far as JSON carries them (strings, numbers; null for the rest): they name the
   * files to look at.
   */
  | { type: 'before'; step: Step; args: (string | number | null)[] }
  /** Create's part is done: the init blocks on exec.fifo until `start`. */
  | { type: 'ready' }
  /** The namespaces and mounts exist: the runtime runs the createRuntime hooks now, then says continue. */
  | { type: 'createRuntime' }
  /** Something failed; the init exits after sending this. */
  | { type: 'error'; message: string; hint?: string; failed?: FailedCall };

/** Split a stream of bytes into JSON messages, one per line. */
export class MessageDecoder<T> {
  private buffered = '';

  push(chunk: Buffer | string): T[] {
    this.buffered += chunk.toString();
    const lines = this.buffered.split('\n');
    this.buffered = lines.pop() ?? '';
    return lines.filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as T);
  }
}
