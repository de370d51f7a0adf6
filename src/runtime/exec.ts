/**
 * `nk-runtime exec`: run one more process inside a running container.
 *
 *   runtime                                         exec helper (the init's program, exec mode)
 *   1. the process: --process FILE, or the container's own with args, env, cwd, user changed
 *   2. setns to the container's PID namespace, spawn ─► loads its code, says "booted"
 *   3. put it in the container's cgroups
 *   4. send what to join and what to run ──────────► 5. open, then setns, each other namespace
 *                                                     6. rlimits, user, cwd, fds -> execve
 *   7. the socket closes at execve: it runs; wait for it (or, --detach, leave it)
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError } from '../errors';
import { cgroupFromPlacement } from '../linux/cgroups';
import { parseJson } from '../oci/json';
import type { Process } from '../oci/spec';
import { validateSpec } from '../oci/validate';
import type { RuntimeContext } from './context';
import { intoCgroup, spawnHelper } from './spawn-init';
import { deriveStatus } from './status';
import { exitStatusOf, waitForwardingSignals } from './wait';
import { proxyTerminal } from './terminal-proxy';

export interface ExecOptions {
  /** A process.json (the `process` object of the OCI config), as containerd and podman send. */
  processFile?: string;
  /** The command and its arguments, when there is no process file. */
  args: string[];
  cwd?: string;
  /** KEY=VALUE entries added to (or replacing those of) the container's environment. */
  env: string[];
  /** "UID" or "UID:GID". */
  user?: string;
  detach: boolean;
  pidFile?: string;
  tty: boolean;
  /** A unix socket to send the terminal's master to, when the process has a terminal. */
  consoleSocket?: string;
  /** --preserve-fds N: our fds 3 to 2+N reach the command as they are. */
  preserveFds?: number;
}

export async function exec(ctx: RuntimeContext, id: string, options: ExecOptions): Promise<number> {
  const container = ctx.store.existing(id);
  const state = container.readState();
  const status = deriveStatus(container, state);
  if (status !== 'running') {
    throw new UserError(`cannot exec in container ${id}: it is ${status}`, status === 'created' ? `start it first: nk-runtime start ${id}` : undefined);
  }
  const config = container.readConfig();
  const process = execProcess(config.process, options);
  ctx.narrator?.heading(`nk-runtime exec ${id} ${process.args?.join(' ')}`);

  const k = ctx.kernel;
  // Where the helper sends the terminal's master: the console socket we are given or, attached
  // without one, a socket pair of ours, to show the terminal here (terminal-proxy.ts).
  let consoleSocket: number | undefined;
  let ourConsoleEnd: number | undefined;
  if (options.consoleSocket) {
    consoleSocket = k.because('--console-socket', 'The helper will send the terminal\'s master side here; it gets this connection as its fd 4.').connectUnix(options.consoleSocket);
  } else if (process.terminal) {
    [ourConsoleEnd, consoleSocket] = k.because('process.terminal', 'No --console-socket: the terminal comes to us, to show it here.').socketpair();
  }
  const userNamespace = config.linux?.namespaces?.some((n) => n.type === 'user') === true;
  let spawned;
  try {
    spawned = spawnHelper(
      k,
      { field: 'exec', path: `/proc/${state.pid}/ns/pid` },
      "The exec helper: a new process of this runtime, born in the container's PID namespace, that will join its other namespaces and become the command.",
      {
        consoleSocket,
        preserveFds: options.preserveFds,
        // Joined by nk-userns before the helper starts: Node cannot (spawn-init.ts).
        userNamespace: userNamespace ? { field: 'exec: user namespace', join: `/proc/${state.pid}/ns/user` } : undefined,
      },
    );
  } finally {
    if (consoleSocket !== undefined) k.because(options.consoleSocket ? '--console-socket' : 'process.terminal', 'The helper has its own copy now.').close(consoleSocket);
  }
  const { child: helper, socket } = spawned;
  const exited = exitStatusOf(helper);
  const connection = ctx.connect(helper, socket, 'exec helper');
  try {
    // Into the container's cgroup: by itself on v1, else by us.
    const cgroup = state.cgroup ? cgroupFromPlacement(k.because('exec'), state.cgroup) : undefined;
    const joinCgroups = await intoCgroup(cgroup, helper.pid, userNamespace, () => connection.expect('booted'));
    const namespaces = (config.linux?.namespaces ?? []).map((n) => n.type).filter((t) => t !== 'pid' && t !== 'user');
    connection.send({ type: 'exec', containerPid: state.pid!, namespaces, process, seccomp: config.linux?.seccomp, waitForRuntimeExit: options.detach, console: consoleSocket !== undefined, step: ctx.stepMode !== undefined, rawDetail: ctx.rawDetail || undefined, sites: ctx.sites || undefined, joinCgroups });
    if (options.detach) await connection.expect('ready');
    else await connection.execed();
  } catch (err) {
    try {
      if (!helper.hasExited) k.kill(helper.pid, 9);
    } catch {
      // already gone
    }
    throw err;
  }
  if (options.pidFile) ctx.store.writePidFile(path.resolve(options.pidFile), helper.pid);
  const terminal = ourConsoleEnd === undefined ? undefined : k.because('process.terminal').receiveFd(ourConsoleEnd);
  ctx.saveTrace(container.dir, `exec ${id} ${process.args?.join(' ') ?? ''}`.trim());
  if (ctx.dryRun) {
    // Nothing was started (dry-run.ts): nothing to wait for, and no terminal to show.
    ctx.narrator?.say(options.detach ? 'exec --detach would exit here; the command runs once it has.' : 'exec would now wait for the command (passing on the signals it gets) and exit with its status.');
    return 0;
  }
  if (options.detach) {
    // Exit without closing the socket ourselves: the helper runs the command once the kernel
    // closes it, as this process ends (see ExecBootstrap.waitForRuntimeExit).
    connection.letGo();
    return 0;
  }
  if (terminal === undefined) return waitForwardingSignals(ctx, helper, exited);
  const proxy = proxyTerminal(k, terminal);
  const exitStatus = await waitForwardingSignals(ctx, helper, exited, { resizes: true });
  await proxy.finish();
  return exitStatus;
}

/** The process to run: from --process, or the container's own changed by the options. */
function execProcess(containerProcess: Process | undefined, options: ExecOptions): Process {
  let process: Process;
  if (options.processFile) {
    let text: string;
    try {
      text = fs.readFileSync(options.processFile, 'utf8');
    } catch (err) {
      throw new UserError(`--process ${options.processFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    process = parseJson(text, path.basename(options.processFile)) as Process;
  } else {
    if (options.args.length === 0) throw new UserError('say what to run: nk-runtime exec ID COMMAND [ARGS...], or --process FILE');
    const base = containerProcess ?? ({ user: { uid: 0, gid: 0 }, cwd: '/' } as Process);
    process = { ...base, args: options.args, terminal: options.tty };
  }
  if (options.cwd) process.cwd = options.cwd;
  if (options.env.length > 0) process.env = mergeEnv(process.env ?? [], options.env);
  if (options.user) process.user = { ...parseUser(options.user), additionalGids: [] };
  if (process.terminal && !options.consoleSocket && options.detach) {
    throw new UserError('exec: a terminal (--tty, process.terminal) with --detach needs --console-socket to send it to', 'pass --console-socket PATH, or leave out -t or --detach');
  }
  if (!process.terminal && options.consoleSocket) {
    throw new UserError('exec: --console-socket is only for a terminal', 'add --tty (or "terminal": true in --process), or leave out --console-socket');
  }
  // The same checks as a config's process, with the same words (`process.args: ...`).
  try {
    return validateSpec({ ociVersion: '1.2.0', root: { path: '/' }, process }).process;
  } catch (err) {
    const source = options.processFile ? path.basename(options.processFile) : 'exec';
    if (err instanceof UserError) throw new UserError(err.message.replace(/^config\.json: /, `${source}: `), err.hint);
    throw err;
  }
}

function mergeEnv(env: string[], extra: string[]): string[] {
  const key = (entry: string) => entry.split('=')[0];
  const replaced = new Set(extra.map(key));
  return [...env.filter((e) => !replaced.has(key(e))), ...extra];
}

function parseUser(text: string): { uid: number; gid: number } {
  const match = /^(\d+)(?::(\d+))?$/.exec(text);
  if (!match) throw new UserError(`--user ${text}: must be UID or UID:GID, in numbers`);
  return { uid: Number(match[1]), gid: Number(match[2] ?? 0) };
}
