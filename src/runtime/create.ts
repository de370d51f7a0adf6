/**
 * `nk-runtime create`: everything of the config but process.args. Afterwards the container's
 * init exists, in its namespaces, cgroup and rootfs, blocked on exec.fifo until `start`.
 *
 *   runtime                                        init (spawned, becomes PID 1)
 *   1. check the bundle, reserve the state dir
 *   2. enter the new PID namespace, spawn init ──► loads its code, says "booted"
 *   3. record the state, make exec.fifo,           (in parallel with the init's start-up)
 *      make the cgroup, apply the limits
 *   4. send bootstrap ───────────────────────────► 5. cgroup, namespaces, rootfs, hostname
 *      (the cgroup: the init joins it itself on v1, else the runtime moves it in before)
 *   6. record the state            ◄── "ready" ──   7. blocks opening exec.fifo
 *
 * If any step fails, everything made so far is undone: no state dir, cgroup or process is left.
 */
import * as path from 'node:path';
import { UserError, withContext } from '../errors';
import { log, mark } from '../log';
import { openCgroup, type Cgroup } from '../linux/cgroups';
import type { Child, Kernel, Step } from '../linux/kernel';
import { O_PATH } from '../linux/constants';
import { loadBundle } from '../oci/bundle';
import type { Spec, State } from '../oci/spec';
import { hasRuntimeHooks, runHooks } from './hooks';
import { validateContainerId } from './container-id';
import type { RuntimeContext } from './context';
import { intoCgroup, spawnHelper, type PidNamespaceTarget, type UserNamespaceTarget } from './spawn-init';
import { mountNamespaceInode } from '../init/namespaces';
import { checkRootfsReachable, checkSupported, programUserOnHost } from './requirements';
import { notApplied } from './not-applied';
import { ungrantable } from '../linux/capabilities';
import { processStartTime } from './status';
import type { ContainerDir, SavedState } from './state-store';

export interface CreateOptions {
  bundle: string;
  pidFile?: string;
  /** A unix socket to send the terminal's master to (process.terminal), as containerd and podman pass. */
  consoleSocket?: string;
  /**
   * `run` attached, without --console-socket: a terminal is for us to show (terminal-proxy.ts).
   * The init sends the master to a socket pair of ours, and create returns it.
   */
  proxyTerminal?: boolean;
  /** --preserve-fds N: our fds 3 to 2+N reach the program as they are. */
  preserveFds?: number;
  /** --systemd-cgroup: the caller's cgroupsPath may name a systemd unit ("slice:prefix:name"). */
  systemdCgroup?: boolean;
  /** --no-pivot: chroot instead of pivot_root (for a rootfs on a ramdisk). */
  noPivot?: boolean;
  /** `run`: the -E table of config fields comes at the end of the run, not of create. */
  coverageLater?: boolean;
}

export interface Created {
  /** The init, a child of this process: `run` waits for it. */
  init: Child;
  state: SavedState;
  /** The terminal's master side, with proxyTerminal and process.terminal. */
  terminal?: number;
  /** The config, as read from the bundle. */
  spec: Spec;
}

export async function create(ctx: RuntimeContext, id: string, options: CreateOptions): Promise<Created> {
  validateContainerId(id);
  const { spec, bundle, rootfs } = loadBundle(options.bundle);
  checkSupported(spec);
  checkRootfsReachable(spec, rootfs);
  checkSystemdCgroup(spec, options.systemdCgroup);
  const proxy = spec.process!.terminal && !options.consoleSocket && options.proxyTerminal;
  if (!proxy) checkConsole(spec, options.consoleSocket);
  mark('create: bundle read and checked');
  ctx.narrator?.heading(`nk-runtime create ${id}  (bundle ${bundle}, OCI ${spec.ociVersion})`);
  if (ctx.stepMode) ctx.narrator?.say('--step: a pause before each kernel step, ours and the init\'s, with what to look at from another terminal.');

  const k = ctx.kernel;
  // The ID is ours from here: a second create of it fails now, before anything is made.
  const container = ctx.store.reserve(id);
  let unlock: (() => void) | undefined;
  let init: Child | undefined;
  let cgroup: Cgroup | undefined;
  try {
    // The init first: its start-up (an engine booting, its modules loading) is the longest step
    // of create, and it needs nothing from us until the bootstrap. Everything below overlaps it.
    // (Should we die before its bootstrap, it reads the end of its socket, and exits.)
    // Where the init sends the terminal's master: the console socket we are given, or, to show
    // the terminal ourselves, one end of a socket pair whose other end we keep.
    let consoleSocket: number | undefined;
    let ourConsoleEnd: number | undefined;
    if (options.consoleSocket) {
      consoleSocket = k.because('--console-socket', 'The init will send the terminal\'s master side here; it gets this connection as its fd 4.').connectUnix(options.consoleSocket);
    } else if (proxy) {
      [ourConsoleEnd, consoleSocket] = k.because('process.terminal', 'No --console-socket: the terminal comes to us, to show it here.').socketpair();
    }
    const userns = userNamespaceOf(spec, ctx.onStep);
    let helper;
    try {
      helper = spawnHelper(
        k,
        pidNamespaceOf(spec),
        'The init: a new process of this runtime (Node, or the single executable) that will set up the container from inside, then become its program.',
        { consoleSocket, preserveFds: options.preserveFds, userNamespace: userns },
      );
    } finally {
      if (consoleSocket !== undefined) k.because(options.consoleSocket ? '--console-socket' : 'process.terminal', 'The init has its own copy now.').close(consoleSocket);
    }
    init = helper.child;
    mark('create: init spawned');
    const connection = ctx.connect(init, helper.socket);
    unlock = container.lock(k);
    const state: SavedState = {
      ociVersion: spec.ociVersion,
      id,
      bundle,
      rootfs,
      annotations: spec.annotations,
      creating: true,
      created: new Date().toISOString(),
      pid: init.pid,
      pidStartTime: processStartTime(init.pid!),
      ...(spec.hooks?.poststart || spec.hooks?.poststop ? { hooks: { poststart: spec.hooks.poststart, poststop: spec.hooks.poststop } } : {}),
    };
    // At once: from here on, `state` and `delete --force` know the container and its init.
    container.writeState(state);
    for (const message of notApplied(spec)) ctx.warn(`create ${id}: ${message}`);
    const missing = ungrantable(spec.process?.capabilities);
    if (missing.length) ctx.warn(`create ${id}: config.json: process.capabilities: ${missing.join(', ')} cannot be granted: nk-runtime does not hold ${missing.length === 1 ? 'it' : 'them'} itself (left out)`);
    container.writeConfig(spec);
    mark('create: config and state written');
    k.because('exec.fifo', 'The fifo `start` will open: until then, the init waits on it.').mkfifo(container.execFifo, 0o600);
    if (ctx.stepMode) {
      k.because('--step', 'The way back for `start`: exec.fifo carries the init\'s last steps to it, this one its answers to the init\'s pauses.').mkfifo(container.stepFifo, 0o600);
    }
    // The init opens exec.fifo once it has become the program's user (init/main.ts), and in a
    // user namespace it is root only there: host files are not its. So the fifo is that user's,
    // as the host sees it, and the init may open it for writing.
    const owner = programUserOnHost(spec);
    if (owner.uid !== 0 || owner.gid !== 0) {
      k.because('process.user', 'The fifo belongs to the program\'s user, as the host sees it: the init opens it after becoming that user.').chown(container.execFifo, owner.uid, owner.gid);
    }

    // While the init boots, make its cgroup.
    cgroup = openCgroup({ kernel: k, id, cgroupsPath: spec.linux?.cgroupsPath });
    cgroup.create();
    // Recorded at once: if this command dies now, `delete --force` knows which dirs are ours.
    state.cgroup = cgroup.placement;
    container.writeState(state);
    cgroup.apply(spec.linux?.resources);
    mark('create: cgroup made, limits written');

    // Into the cgroup: by itself on v1, as the first step of its bootstrap, else by us.
    const joinCgroups = await intoCgroup(cgroup, init.pid!, userns !== undefined, () => connection.expect('booted'));
    mark('create: init booted');
    // What hooks read on stdin: the state as it is while the container is being made.
    const hookState: State | undefined = spec.hooks
      ? { ociVersion: spec.ociVersion, id, status: 'creating', pid: init.pid, bundle, ...(spec.annotations ? { annotations: spec.annotations } : {}) }
      : undefined;
    const runtimeHooks = hasRuntimeHooks(spec.hooks);
    if (userns) {
      // The state dir may be out of the init's reach (its parents need not be searchable by
      // others): the fifo comes as an open file, over the socket, just before the bootstrap.
      const fifo = k.because('exec.fifo', 'A handle on exec.fifo for the init, which may not be able to reach the state dir.').open(container.execFifo, O_PATH, 0);
      try {
        k.because('exec.fifo', 'exec.fifo to the init, over the sync socket: it receives it before the bootstrap.').sendFd(helper.socket, fifo);
      } finally {
        k.because('exec.fifo').close(fifo);
      }
    }
    connection.send({
      type: 'bootstrap',
      ...(userns ? { spec } : {}),
      stateDir: container.dir,
      bundle,
      rootfs,
      hostMountNs: mountNamespaceInode(),
      console: consoleSocket !== undefined,
      hookState,
      runtimeHooks,
      noPivot: options.noPivot,
      step: ctx.stepMode !== undefined,
      rawDetail: ctx.rawDetail || undefined,
      narrated: ctx.narrator !== undefined || undefined,
      sites: ctx.sites || undefined,
      joinCgroups,
    });
    mark('create: bootstrap sent');
    if (runtimeHooks) {
      await connection.expect('createRuntime');
      runHooks(k, 'prestart', spec.hooks!.prestart, hookState!);
      runHooks(k, 'createRuntime', spec.hooks!.createRuntime, hookState!);
      connection.send({ type: 'continue' });
    }
    await connection.expect('ready');
    mark('create: init ready');
    connection.release();
    let terminal: number | undefined;
    if (ourConsoleEnd !== undefined) {
      terminal = k.because('process.terminal').receiveFd(ourConsoleEnd);
      k.because('process.terminal').close(ourConsoleEnd);
    }

    delete state.creating;
    container.writeState(state);
    mark('create: done');
    ctx.saveTrace(container.dir, `create ${id}`);
    log.runtime('create %s: ready, init pid %d', id, init.pid);
    if (options.pidFile) ctx.store.writePidFile(path.resolve(options.pidFile), init.pid);
    ctx.narrator?.say(`The init (host pid ${init.pid}) now ${ctx.stepMode ? 'waits' : 'makes the program\'s settings, then waits'} on exec.fifo; \`nk-runtime start ${id}\` runs the program.`);
    if (ctx.stepMode) ctx.narrator?.say(`--step: the init's last steps pause in \`start\` (\`nk-runtime --step start ${id}\`; without --step it runs them at once).`);
    if (ctx.narrator && !options.coverageLater) narrateConfigCoverage(ctx, spec, state);
    return { init, state, terminal, spec };
  } catch (err) {
    log.runtime('create %s failed, undoing: %O', id, err);
    await undoCreate(k, container, init, cgroup);
    throw err;
  } finally {
    unlock?.();
  }
}

/**
 * --systemd-cgroup asks for the container's cgroup to be a systemd unit, made by systemd over
 * D-Bus. nk-runtime writes to cgroupfs itself and does not talk to systemd: a unit name as the
 * cgroupsPath is refused rather than taken for a directory name.
 */
function checkSystemdCgroup(spec: Spec, systemdCgroup: boolean | undefined): void {
  const wanted = spec.linux?.cgroupsPath;
  if (systemdCgroup && wanted && /^[^/:]*:[^/:]*:[^/:]+$/.test(wanted)) {
    throw new UserError(
      `config.json: linux.cgroupsPath: "${wanted}" names a systemd unit (--systemd-cgroup), and nk-runtime makes cgroups through cgroupfs, not systemd`,
      'configure the client for cgroupfs: containerd SystemdCgroup = false, podman --cgroup-manager cgroupfs',
    );
  }
}

/** A terminal needs someone to hand it to, and a console socket needs a terminal to carry. */
function checkConsole(spec: Spec, consoleSocket: string | undefined): void {
  if (spec.process!.terminal && !consoleSocket) {
    throw new UserError(
      'config.json: process.terminal is true, but there is no --console-socket to send the terminal to',
      'pass --console-socket PATH (containerd and podman do), use `nk-runtime run` (it shows the terminal itself), or set "terminal": false',
    );
  }
  if (!spec.process!.terminal && consoleSocket) {
    throw new UserError('--console-socket is only for a terminal, and config.json: process.terminal is false', 'set "terminal": true, or leave out --console-socket');
  }
}

/** The config's PID namespace, new or joined; undefined when the config has none. */
function pidNamespaceOf(spec: Spec): PidNamespaceTarget | undefined {
  const index = (spec.linux?.namespaces ?? []).findIndex((n) => n.type === 'pid');
  if (index < 0) return undefined;
  return { field: `linux.namespaces[${index}]`, path: spec.linux!.namespaces![index].path };
}

/** -E: the table of every config field and what was done with it (explain/coverage.ts, loaded only now). */
export function narrateConfigCoverage(ctx: RuntimeContext, spec: Spec, state: SavedState): void {
  const { narrateCoverage: narrate } = require('../explain/coverage') as typeof import('../explain/coverage');
  narrate(ctx.narrator!, spec, { cgroupVersion: state.cgroup?.version });
}

/** A new user namespace, with its maps; undefined when the config asks for none. */
function userNamespaceOf(spec: Spec, onStep: (step: Step) => void): UserNamespaceTarget | undefined {
  const index = (spec.linux?.namespaces ?? []).findIndex((n) => n.type === 'user');
  if (index < 0) return undefined;
  return { field: `linux.namespaces[${index}]`, uidMappings: spec.linux!.uidMappings!, gidMappings: spec.linux!.gidMappings!, onStep };
}

/** Remove what a failed create made: the init, its cgroup, the state dir. */
async function undoCreate(k: Kernel, container: ContainerDir, init?: Child, cgroup?: Cgroup): Promise<void> {
  if (init && !init.hasExited) {
    try {
      k.because('cleanup', 'create failed: the init must go.').kill(init.pid, 9);
    } catch {
      // already gone
    }
    await init.exited;
  }
  try {
    cgroup?.destroy();
  } catch (err) {
    throw withContext('create failed, and removing its cgroup failed too', err);
  } finally {
    container.remove();
  }
}
