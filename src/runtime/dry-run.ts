/**
 * --dry-run (create, run, exec): the real command's own code, walked against a kernel that records
 * every call and changes nothing, narrated as with -E (on stderr). No root is needed.
 *
 *   runtime  create.ts (or exec.ts) as it is, over a FakeKernel wrapped by observe(); the spawn
 *            returns a pretend child (nothing starts), and the store writes nothing: it says
 *            what it would write (DryRunStore)
 *   init     when create sends the bootstrap, the init's own steps (init/steps.ts, the same ones
 *            init/main.ts takes) run here, in this process, as role "init", against the same
 *            recording kernel: the exchange over the sync socket is short-circuited
 *            (DryRunConnection). exec's helper likewise (init/join.ts)
 *   start    then the init's start-time steps, up to execve, where the fake kernel stops
 *
 * Reads of the machine stay real: the bundle, the rootfs, /proc/self/cgroup, the cgroup files
 * (a cgroup not made is answered by its parent: cgroups/files.ts). What the init would read of
 * its own process (its mount namespace after unshare, what its mounts show of the rootfs, its "/"
 * after pivot_root) is answered as it would be (init/view.ts, SeenMounts below). Pids and fds in the narration are the fake kernel's, pretend ones.
 * On a machine without /proc (macOS), the reads of /proc and of cgroup files are answered by
 * stand-ins, as a pure cgroup v2 Linux host would answer, and the narration names them
 * (linux/proc.ts).
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError } from '../errors';
import { CLONE, LOCK, MS } from '../linux/constants';
import { isUnder } from '../linux/cgroups/detect';
import { FakeExecveError, FakeKernel } from '../linux/fake-kernel';
import { KERNEL_CALLS, observe, type Kernel, type KernelCall, type KernelOps, type Role, type Step } from '../linux/kernel';
import type { Narrator } from '../explain/narrator';
import type { Spec } from '../oci/spec';
import { becomeProgram, becomeUndumpable, enterAndMount, openFifoForStart, settleProgram, switchRoot, type Switched } from '../init/steps';
import { execInContainer } from '../init/join';
import { mountNamespaceInode } from '../init/namespaces';
import { prepareSeccomp, type PreparedSeccomp } from '../init/seccomp';
import type { InitView } from '../init/view';
import { standIns } from '../linux/proc';
import { makeContext, type HelperConnection, type RuntimeContext } from './context';
import { create, type CreateOptions } from './create';
import { exec, type ExecOptions } from './exec';
import { closeInitFifos, connectToInit } from './start';
import type { Bootstrap, Continue, ExecBootstrap } from './messages';
import { ContainerDir, StateStore, type SavedState } from './state-store';

export interface DryRunOptions {
  root: string;
  /** How many E's were given; at least one is implied. */
  explainLevel: number;
  warn: (message: string) => void;
  /** For tests: where the narration goes (stderr by default), and the fake kernel to record on. */
  write?: (text: string) => void;
  kernel?: FakeKernel;
}

/** `create --dry-run` and `run --dry-run`: exit status 0 once the walk reached execve. */
export async function dryRunCreate(options: DryRunOptions, command: 'create' | 'run', id: string, createOptions: CreateOptions & { detach?: boolean; timeout?: string; resultFile?: string }): Promise<number> {
  const dry = new DryRun(options, command, id);
  dry.store.preserveFds = createOptions.preserveFds ?? 0;
  const proxyTerminal = command === 'run' ? !createOptions.detach : createOptions.proxyTerminal;
  await create(dry.ctx, id, { ...createOptions, proxyTerminal });
  dry.heading(`then nk-runtime start ${id}`);
  // start's own part, by start.ts's own code: the lock, then exec.fifo opened, unlinked and waited on.
  const container = dry.store.madeFor(id);
  container.lock(dry.ctx.kernel);
  const fifos = connectToInit(dry.ctx.kernel, container.execFifo, container.stepFifo, { id, pid: 0 } as SavedState, id);
  dry.say('the init\'s blocked open below returns; it goes on, and its steps come to start through the fifo:');
  dry.connection!.walkStart();
  closeInitFifos(dry.ctx.kernel, fifos);
  if (command === 'run') {
    const { detach, timeout, resultFile } = createOptions;
    if (detach) dry.say('run --detach would exit here, the program running.');
    else {
      if (timeout) dry.say(`--timeout ${timeout}: at the deadline, SIGTERM to the program; SIGKILL to every process of its cgroup after the grace; exit status 124.`);
      if (resultFile) dry.say(`--result: not written: ${resultFile}, how the program ended and what it used (read from its cgroup before it goes).`);
      dry.say(`run would now wait for the program (passing on the signals it gets), then delete ${id}: rmdir of the cgroup directories create made, and rm -rf of its state dir.`);
    }
  }
  dry.finish();
  return 0;
}

/** `exec --dry-run` into a running container: its state is read (as exec reads it); nothing is started. */
export async function dryRunExec(options: DryRunOptions, id: string, execOptions: ExecOptions): Promise<number> {
  const dry = new DryRun(options, 'exec', id);
  dry.store.preserveFds = execOptions.preserveFds ?? 0;
  const container = dry.ctx.store.existing(id);
  let state: SavedState;
  try {
    state = container.readState();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EACCES' && code !== 'EPERM') throw err;
    throw new UserError(`cannot read the state of container ${id}: ${code} (${container.stateFile} is not yours to read)`, 'run the dry run as the user who made the container, root for one made by root (it changes nothing either way)');
  }
  dry.execRoot = state.rootfs;
  const status = await exec(dry.ctx, id, execOptions);
  dry.finish();
  return status;
}

class DryRun {
  readonly fake: FakeKernel;
  readonly ctx: RuntimeContext;
  readonly store: DryRunStore;
  private readonly narrator: Narrator;
  /** The one helper of this command, once create or exec has connected to it. */
  connection?: DryRunConnection;
  /** exec: the container's rootfs on the host, its `/` once its mounts are joined. */
  execRoot?: string;

  constructor(options: DryRunOptions, command: string, id: string) {
    standIns.length = 0;
    this.fake = options.kernel ?? new FakeKernel();
    const base = makeContext({ root: options.root, educational: true, explainLevel: Math.max(1, options.explainLevel), kernel: this.fake.ops, warn: options.warn, write: options.write });
    this.narrator = base.narrator!;
    // The command's own heading comes after its checks, as with -E: a config error reads the
    // same as a real command's. The dry run's banner goes just before it.
    const heading = this.narrator.heading.bind(this.narrator);
    let first = true;
    this.narrator.heading = (text: string) => {
      if (first) heading(`nk-runtime ${command} ${id} --dry-run: nothing is changed; these are the calls it would make (pids and fds are pretend ones)`);
      first = false;
      heading(text);
    };
    this.store = new DryRunStore(options.root, this.fake, (text) => this.say(text));
    const onStep = base.onStep;
    this.ctx = {
      ...base,
      narrator: this.narrator,
      dryRun: true,
      store: this.store,
      saveTrace: (dir) => this.say(`(not written: ${dir}/trace.jsonl, this command's steps)`),
      connect: (child, _socket, what) => {
        const role: Role = what === 'exec helper' ? 'exec' : 'init';
        // The init sees itself as PID 1 of its namespace; an exec helper by the pid it was given.
        const pid = role === 'init' ? 1 : child.pid;
        // The fake execve throws to end the walk: its step was handed over before the call
        // (observe), so the failure observe reports after it is not the init's.
        const sink = (step: Step) => (step.call === 'execve' && step.error ? undefined : onStep({ ...step, pid }));
        const seen = new SeenMounts();
        this.connection = new DryRunConnection(this, observe(seen.watch(this.fake.ops), role, sink, { keepArgs: base.rawDetail, sites: base.sites }), what ?? 'init', seen);
        return this.connection;
      },
    };
  }

  say(text: string): void {
    this.narrator.say(text);
  }

  heading(text: string): void {
    this.narrator.heading(text);
  }
  /** The last words: what was stood in for, on a machine without /proc (linux/proc.ts). */
  finish(): void {
    if (standIns.length > 0) this.say(`This machine has no /proc: stand-ins answered as a Linux host would (a pure cgroup v2 host, root's capabilities) for ${standIns.join(', ')}.`);
    this.say('Dry run: nothing was changed.');
  }
}

/**
 * The runtime's end of the sync socket, short-circuited: what the runtime sends is acted on at
 * once by the init's steps, here, and what the init would send back is queued for `expect`.
 */
class DryRunConnection implements HelperConnection {
  private readonly queue: string[] = ['booted'];
  private execved = false;
  private created?: { spec: Spec; boot: Bootstrap; seccomp?: PreparedSeccomp; made?: Switched };
  /** Where the init's unshare calls begin among the fake kernel's: the runtime made some too. */
  private from = 0;

  constructor(private readonly dry: DryRun, private readonly k: Kernel, private readonly what: string, private readonly seen: SeenMounts) {}

  async expect(type: 'booted' | 'ready' | 'createRuntime'): Promise<void> {
    while (this.queue.length > 0) if (this.queue.shift() === type) return;
    throw new UserError(`the container's ${this.what} exited before it was ready (dry run: it never said "${type}")`);
  }

  async execed(): Promise<void> {
    if (!this.execved) throw new UserError(`the container's ${this.what} exited before it was ready (dry run: no execve)`);
  }

  send(message: Bootstrap | ExecBootstrap | Continue): void {
    // As InitConnection does with the init's error message: the same words reach the user.
    try {
      if (message.type === 'bootstrap') this.bootstrap(message);
      else if (message.type === 'continue') this.afterHooks();
      else this.exec(message);
    } catch (err) {
      if (err instanceof FakeExecveError) return;
      throw err instanceof UserError ? err : new UserError(err instanceof Error ? err.message : String(err));
    }
  }

  letGo(): void {}

  release(): void {}

  /** The init's part during create, up to the createRuntime hooks (or to "ready" without them). */
  private bootstrap(boot: Bootstrap): void {
    const spec = this.dry.store.configAt(boot.stateDir);
    this.from = this.dry.fake.calls.length;
    becomeUndumpable(this.k);
    this.created = { spec, boot, seccomp: prepareSeccomp(spec.linux?.seccomp) };
    enterAndMount(this.k, spec, boot, this.view(boot.rootfs));
    if (boot.runtimeHooks) this.queue.push('createRuntime');
    else this.afterHooks();
  }

  private afterHooks(): void {
    const { spec, boot } = this.created!;
    this.created!.made = switchRoot(this.k, spec, boot, 4 + this.dry.store.preserveFds, this.view(boot.rootfs));
    this.queue.push('ready');
  }

  /**
   * start's part of the init, as start sees it: the program's settings (which the init makes
   * before start comes, and sends it then), the open that waited for start, and execve.
   */
  walkStart(): void {
    const { spec, boot, seccomp, made } = this.created!;
    try {
      settleProgram(this.k, spec, made!, { seccomp, preservedFds: this.dry.store.preserveFds });
      openFifoForStart(this.k, made!.fifo);
      becomeProgram(this.k, spec, boot, made!, { seccomp });
    } catch (err) {
      if (err instanceof FakeExecveError) return;
      // What `start` would say of the init's error (start.ts).
      throw new UserError(`the container's program did not start: ${err instanceof Error ? err.message : String(err)}`, err instanceof UserError ? err.hint : undefined);
    }
  }

  private exec(boot: ExecBootstrap): void {
    becomeUndumpable(this.k);
    const preserved = this.dry.store.preserveFds;
    const channel = {
      waitUntilClosed: () => {
        this.queue.push('ready');
        this.dry.say(`(--detach: the helper would say "ready" and wait here until exec has exited, then execve)`);
      },
    };
    try {
      execInContainer(this.k, boot, channel, { preserved, console: 4 + preserved }, { root: this.dry.execRoot ?? '/' });
    } catch (err) {
      if (!(err instanceof FakeExecveError)) throw err;
      this.execved = true;
    }
  }

  /**
   * What the init would read of itself: its mount namespace is the host's until it unshares (or
   * joins) one, and another after; its "/" after pivot_root is the rootfs.
   */
  private view(rootfs: string): InitView {
    // Ours is the host's, to the init (0 on a machine without /proc: linux/proc.ts).
    const host = mountNamespaceInode();
    return {
      root: rootfs,
      exists: (p) => this.seen.exists(p),
      isSymlink: (p) => this.seen.isSymlink(p),
      mountNamespaceInode: () => {
        const own = this.dry.fake.calls.slice(this.from).some((c) => (c.call === 'unshare' && ((c.args[0] as number) & CLONE.NEWNS) !== 0) || (c.call === 'setns' && c.args[1] === CLONE.NEWNS));
        return own ? host + 1 : host;
      },
    };
  }
}

/**
 * What the init's mounts would show of the rootfs, for its checks of what exists (a mount point to
 * make, a device node already there). A real init sees a fresh tmpfs on /dev as empty, and /sys
 * as a sysfs; the rootfs on disk is unchanged by a dry run, so this keeps count: each mount the
 * init makes (its target found through the fds it opened), and each file it makes.
 */
class SeenMounts {
  private readonly fds = new Map<number, string>();
  /** Mount targets, in order, with where their contents can be read: undefined for a new, empty filesystem. */
  private readonly mounts: { target: string; from?: string }[] = [];
  private readonly made = new Set<string>();
  private readonly links = new Set<string>();
  /** After pivot_root (or chroot) the init's paths are the container's: its later calls are not counted. */
  private switched = false;

  /** The same kernel, watched. */
  watch(inner: KernelOps): KernelOps {
    const ops = {} as Record<KernelCall, (...args: unknown[]) => unknown>;
    for (const call of KERNEL_CALLS) {
      ops[call] = (...args: unknown[]) => {
        const result = (inner[call] as (...a: unknown[]) => unknown)(...args);
        if (!this.switched) this.saw(call, args, result);
        return result;
      };
    }
    return ops as unknown as KernelOps;
  }

  exists(p: string): boolean {
    if (this.made.has(p)) return true;
    const mount = this.mountOf(p);
    if (!mount) return fs.existsSync(p);
    if (p === mount.target) return true;
    return mount.from !== undefined && fs.existsSync(path.join(mount.from, path.relative(mount.target, p)));
  }

  isSymlink(p: string): boolean {
    if (this.links.has(p)) return true;
    const mount = this.mountOf(p);
    const onDisk = mount ? (mount.from === undefined ? undefined : path.join(mount.from, path.relative(mount.target, p))) : p;
    if (onDisk === undefined) return false;
    try {
      return fs.lstatSync(onDisk).isSymbolicLink();
    } catch {
      return false;
    }
  }

  /** The mount on top at `p`: the deepest target above it, the latest of equals. */
  private mountOf(p: string): { target: string; from?: string } | undefined {
    let found: { target: string; from?: string } | undefined;
    for (const m of this.mounts) if (isUnder(p, m.target) && (!found || m.target.length >= found.target.length)) found = m;
    return found;
  }

  private saw(call: KernelCall, args: unknown[], result: unknown): void {
    const a = args as [unknown, unknown, unknown, unknown];
    if (call === 'open') {
      this.fds.set(result as number, a[0] as string);
      if (((a[1] as number) & fs.constants.O_CREAT) !== 0) this.made.add(a[0] as string);
    } else if (call === 'openat2') {
      const dir = this.fds.get(a[0] as number);
      if (dir !== undefined) this.fds.set(result as number, path.join(dir, a[1] as string));
    } else if (call === 'mkdirAll' || call === 'mknod') {
      for (let p = a[0] as string; p !== path.dirname(p) && !this.made.has(p); p = path.dirname(p)) this.made.add(p);
    } else if (call === 'symlink') {
      this.made.add(a[1] as string);
      this.links.add(a[1] as string);
    } else if (call === 'mount') {
      const [source, target, fstype, flags] = a as [string | null, string, string | null, number];
      // A remount or a propagation change mounts nothing new.
      if ((flags & MS.REMOUNT) !== 0 || (source === null && fstype === null)) return;
      const from = (flags & MS.BIND) !== 0 ? this.pathOf(source!) : fstype === 'proc' ? '/proc' : fstype === 'sysfs' ? '/sys' : undefined;
      this.mounts.push({ target: this.pathOf(target), from });
    } else if (call === 'pivotRoot' || call === 'chroot') {
      this.switched = true;
    }
  }

  /** A path, or the one an fd of ours names (/proc/self/fd/N). */
  private pathOf(p: string): string {
    const fd = /^\/proc\/self\/fd\/(\d+)$/.exec(p);
    return fd ? (this.fds.get(Number(fd[1])) ?? p) : p;
  }
}

/**
 * A store that makes nothing: it keeps the container's config and state in memory (the init's
 * steps read the config from it) and says what it would have written.
 */
class DryRunStore extends StateStore {
  private readonly made = new Map<string, DryRunContainerDir>();
  /** --preserve-fds of the command: where the helper's sync socket and console socket would be. */
  preserveFds = 0;

  constructor(root: string, private readonly fake: FakeKernel, readonly say: (text: string) => void) {
    super(root);
  }

  /** The same refusals as a real create's, without the mkdir. */
  override reserve(id: string): ContainerDir {
    const c = new DryRunContainerDir(this, id);
    if (c.exists()) throw new UserError(`container ${id} already exists`, 'pick another ID, or `nk-runtime delete` it first');
    if (fs.existsSync(this.root) && !fs.statSync(this.root).isDirectory()) {
      throw new UserError(`cannot use state root ${this.root}: ENOTDIR (Not a directory)`, 'check --root: it must be a directory nk-runtime can write to');
    }
    this.say(`(not made: ${fs.existsSync(this.root) ? '' : `${this.root}, mode 0711, and `}${c.dir}, mode 0711: its mkdir(2) is the atomic claim on the ID)`);
    this.made.set(c.dir, c);
    return c;
  }

  /** The container this command "made". */
  madeFor(id: string): ContainerDir {
    return this.made.get(this.container(id).dir)!;
  }

  override writePidFile(file: string, pid: number): void {
    this.say(`(not written: --pid-file ${file}, "${pid}")`);
  }

  /** The config the init reads from the state dir: the copy create "wrote". */
  configAt(stateDir: string): Spec {
    const config = this.made.get(stateDir)?.config;
    if (!config) throw new Error(`dry run: no config.json was written to ${stateDir}`);
    return JSON.parse(JSON.stringify(config)) as Spec;
  }

  /** An fd for the lock: the fake kernel's, as a real open(2) would give one (not narrated, as it is not in a real create). */
  pretendFd(dir: string): number {
    return this.fake.ops.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, 0);
  }
}

class DryRunContainerDir extends ContainerDir {
  config?: Spec;

  constructor(private readonly store: DryRunStore, id: string) {
    super(store.root, store.container(id).id);
  }

  override writeState(state: SavedState): void {
    this.store.say(`(not written: ${this.stateFile}: ${describeState(state)})`);
  }

  override writeConfig(spec: Spec): void {
    this.config = JSON.parse(JSON.stringify(spec)) as Spec;
    this.store.say(`(not written: ${this.configFile}, the bundle's config as it is now: the init reads this copy)`);
  }

  override lock(kernel: Kernel): () => void {
    kernel.because('state', 'Commands on one container take turns: each holds this lock.').flock(this.store.pretendFd(this.dir), LOCK.EX);
    return () => undefined;
  }

  override remove(): void {
    this.store.say(`(nothing to remove: ${this.dir} was never made)`);
  }
}

/** state.json in one line: what a learner would find in it. */
function describeState(state: SavedState): string {
  const parts = [`id ${state.id}`, `bundle ${state.bundle}`];
  if (state.pid !== undefined) parts.push(`pid ${state.pid} and its start time`);
  if (state.cgroup) parts.push(`cgroup v${state.cgroup.version} (${path.basename(Object.values(state.cgroup.dirs)[0] ?? '')} in ${Object.keys(state.cgroup.dirs).length} hierarch${Object.keys(state.cgroup.dirs).length === 1 ? 'y' : 'ies'}, ${state.cgroup.created.length} dirs made)`);
  parts.push(state.creating ? 'creating: true' : 'created, no longer "creating"');
  return parts.join(', ');
}
