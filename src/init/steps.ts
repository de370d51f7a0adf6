/**
 * The init's steps, in the order main.ts takes them. They are here, apart from main.ts, so that a
 * dry run (src/runtime/dry-run.ts) can walk the very same steps inside the runtime's process,
 * against a recording kernel: what it narrates is the real list of calls, not a description.
 *
 *   becomeUndumpable  prctl(PR_SET_DUMPABLE, 0)
 *   enterAndMount     cgroups, namespaces, umask, the mounts  (then the createRuntime hooks)
 *   switchRoot        createContainer hooks, exec.fifo handle, pivot_root, hostname, sysctl,
 *                     masked and read-only paths, the program found, the terminal  -> "ready"
 *   settleProgram     rlimits, capabilities, user, cwd, fds             (before start comes;
 *   openFifoForStart  open exec.fifo for writing: blocks until `start`   with --step, after)
 *   becomeProgram     startContainer hooks, the last seccomp filter, execve
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { O_PATH, PR } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Spec } from '../oci/spec';
import type { Bootstrap } from '../runtime/messages';
import { runHooks } from '../runtime/hooks';
import { joinCgroups } from './join-cgroups';
import { enterNamespaces } from './namespaces';
import { prepareRootfs, pivotToRootfs, moveToRootfs, finishRootfs } from './rootfs';
import { findProgram, replaceProcess, settleProcess } from './program';
import { makeTerminal } from './terminal';
import { assertOnProcfs } from './paths';
import type { PreparedSeccomp } from './seccomp';
import { OWN_VIEW, type InitView } from './view';

/**
 * Until execve we are the runtime's executable inside the container: no ptrace, no core dump,
 * and /proc/<our pid>/ files only for those with CAP_SYS_PTRACE (the class of runc's
 * CVE-2019-5736; see runtime/read-only-executable.ts). execve makes the program dumpable again.
 */
export function becomeUndumpable(k: Kernel): void {
  k.because('process (CVE-2019-5736)', 'Not dumpable: a container process without CAP_SYS_PTRACE cannot open our /proc/<pid>/exe, mem or fds.').prctl(PR.SET_DUMPABLE, 0);
}

/** The cgroups, the namespaces and the mounts: everything before the createRuntime hooks. */
export function enterAndMount(k: Kernel, spec: Spec, boot: Bootstrap, view: InitView = OWN_VIEW): void {
  joinCgroups(k, boot.joinCgroups);
  enterNamespaces(k, spec);
  k.because('process', 'The runtime sets permissions itself while it builds the rootfs; the config\'s umask comes at start.').umask(0);
  prepareRootfs(k, spec, boot, view);
}

/** What create leaves ready for start. */
export interface Switched {
  /** An O_PATH fd on exec.fifo, reachable through /proc/self/fd after pivot_root. */
  fifo: number;
  /** With --step: an O_PATH fd on step.fifo, through which `start` answers our pauses. */
  stepFifo?: number;
  /** process.args[0], found in the new root. */
  program: string;
  /** The pty's slave, with process.terminal. */
  terminal?: number;
}

/**
 * From the createContainer hooks to "ready": the rootfs becomes `/`, and the rest of create's part.
 * `sentFifo`: exec.fifo as the runtime sent it, open (in a user namespace of our own, where the
 * state dir may be out of reach).
 */
export function switchRoot(k: Kernel, spec: Spec, boot: Bootstrap, consoleFd: number, view: InitView = OWN_VIEW, sentFifo?: number): Switched {
  if (boot.hookState) runHooks(k, 'createContainer', spec.hooks?.createContainer, boot.hookState);
  // exec.fifo lives in the state dir, which will be out of reach after pivot_root: keep a
  // handle on it (O_PATH opens without reading or writing, so it does not block).
  const fifo = sentFifo ?? k.because('exec.fifo', 'A handle on exec.fifo, to reach it through /proc/self/fd after pivot_root.').open(
    `${boot.stateDir}/exec.fifo`, O_PATH, 0,
  );
  // --step: `start` answers our pauses through step.fifo, kept as exec.fifo is.
  const stepFifo = boot.step
    ? k.because('--step', 'A handle on step.fifo, through which `start` will answer our pauses (exec.fifo only goes from us to it).').open(`${boot.stateDir}/step.fifo`, O_PATH, 0)
    : undefined;
  if (boot.noPivot) moveToRootfs(k, boot.rootfs);
  else pivotToRootfs(k, boot.rootfs);
  if (spec.hostname !== undefined) k.because('hostname').sethostname(spec.hostname);
  if (spec.domainname !== undefined) k.because('domainname').setdomainname(spec.domainname);
  Object.entries(spec.linux?.sysctl ?? {}).forEach(([key, value]) => {
    const file = `/proc/sys/${key.replace(/\./g, '/')}`;
    assertOnProcfs(file, `linux.sysctl.${key}`);
    k.because(`linux.sysctl.${key}`).writeFile(file, value);
  });
  // After sysctl: /proc/sys is among the read-only paths.
  finishRootfs(k, spec);
  const program = findProgram(spec, view.root);
  // Paths are the container's now; the view answers for them below its root ("/" in the init).
  const exists = (p: string) => view.exists(path.join(view.root, p));
  const terminal = boot.console ? makeTerminal(k, spec.process!, consoleFd, { bindConsole: true, exists }) : undefined;
  return { fifo, stepFifo, program, terminal };
}

/** Opening a fifo for writing blocks until someone opens it for reading: `start` does. */
export function openFifoForStart(k: Kernel, fifo: number): number {
  return k.because(
    'exec.fifo',
    'Blocks until `nk-runtime start` opens exec.fifo for reading. From here on, our steps go to `start` through the fifo (with those made since "ready", kept until now).',
  ).open(`/proc/self/fd/${fifo}`, fs.constants.O_WRONLY, 0);
}

/** The program's settings on this process (program.ts settleProcess): all but execve. */
export function settleProgram(k: Kernel, spec: Spec, made: Switched, options: { seccomp?: PreparedSeccomp; preservedFds: number }): void {
  settleProcess(k, spec, { terminal: made.terminal, preservedFds: options.preservedFds, seccomp: options.seccomp, personality: spec.linux?.personality });
}

/**
 * start's part: the startContainer hooks, then the program. The hooks come after the program's
 * settings, as in runc: they run as the program's user, with its capabilities.
 */
export function becomeProgram(k: Kernel, spec: Spec, boot: Bootstrap, made: Switched, options: { seccomp?: PreparedSeccomp }): never {
  if (boot.hookState) runHooks(k, 'startContainer', spec.hooks?.startContainer, { ...boot.hookState, status: 'created' });
  return replaceProcess(k, spec, made.program, { seccomp: options.seccomp });
}
