/**
 * The container's init: the process that `create` spawns and that becomes the container's
 * program. It runs in two halves, as runc's init does:
 *
 *   during create: namespaces, rootfs, hostname  -> "ready", then block opening exec.fifo
 *   during start:  (the open returns) process settings -> execve(process.args)
 *
 * It is born PID 1 of the container's PID namespace (the runtime entered it before spawning).
 * Its fd 3 is a socket to the runtime; it reports each kernel step there, and never prints.
 *
 * The same program is `exec`'s helper, when the runtime's first message says so: born in the
 * PID namespace of a running container, it joins the container's other namespaces and becomes
 * the command to run there (join.ts).
 */
import * as fs from 'node:fs';
import { observe, type Step } from '../linux/kernel';
import { LinuxKernel } from '../linux/linux-kernel';
import { loadLibc } from '../linux/libc';
import { O_PATH, PR } from '../linux/constants';
import { UserError } from '../errors';
import type { Spec } from '../oci/spec';
import { InitChannel } from './channel';
import { enterNamespaces } from './namespaces';
import { prepareRootfs, pivotToRootfs, moveToRootfs, finishRootfs } from './rootfs';
import { execProgram, findProgram } from './program';
import { execInContainer } from './join';
import { makeTerminal } from './terminal';
import { prepareSeccomp } from './seccomp';
import { assertOnProcfs } from './paths';
import { runHooks } from '../runtime/hooks';
import { mark } from '../log';

/**
 * Our fds, as the runtime spawned us (spawn-init.ts): 0-2, then N fds to preserve for the program
 * (--preserve-fds), then the sync socket, then the console socket if there is one. N is our last
 * argument.
 */
function helperFds() {
  const preserved = Number(process.argv[process.argv.length - 1]) || 0;
  return { preserved, sync: 3 + preserved, console: 4 + preserved };
}
export const fds = helperFds();

function main(): void {
  const channel = new InitChannel(fds.sync);
  try {
    // After pivot_root (or joining a container's mounts) nothing of the runtime can be loaded any
    // more: load it all now.
    mark('init: modules loaded');
    loadLibc();
    mark('init: libc bound');
    channel.send({ type: 'booted' });
    const sink = (step: Step) => channel.send({ type: 'step', step });
    // In a user namespace of our own, exec.fifo comes as an open file, before the bootstrap.
    const sentFifo = process.env.NK_USER_NAMESPACE === 'new'
      ? observe(new LinuxKernel(), 'init', sink).because('exec.fifo', 'The runtime sends exec.fifo as an open file: in our user namespace the state dir may be out of reach.').receiveFd(fds.sync)
      : undefined;
    const boot = channel.receiveBootstrap();
    mark('init: bootstrap received');
    const k = observe(new LinuxKernel(), boot.type === 'exec' ? 'exec' : 'init', sink);
    // Until execve we are the runtime's executable inside the container: no ptrace, no core dump,
    // and /proc/<our pid>/ files only for those with CAP_SYS_PTRACE (the class of runc's
    // CVE-2019-5736; see runtime/read-only-executable.ts). execve makes the program dumpable again.
    k.because('process (CVE-2019-5736)', 'Not dumpable: a container process without CAP_SYS_PTRACE cannot open our /proc/<pid>/exe, mem or fds.').prctl(PR.SET_DUMPABLE, 0);
    if (boot.type === 'exec') return execInContainer(k, boot, channel, fds);
    const spec = boot.spec ?? (JSON.parse(fs.readFileSync(`${boot.stateDir}/config.json`, 'utf8')) as Spec);
    // Compiled now: after pivot_root the compiler's files are out of reach.
    const seccomp = prepareSeccomp(spec.linux?.seccomp);

    enterNamespaces(k, spec);
    k.because('process', 'The runtime sets permissions itself while it builds the rootfs; the config\'s umask comes at start.').umask(0);
    prepareRootfs(k, spec, boot);
    // The namespaces and mounts exist, pivot_root has not happened: the hooks' moment.
    if (boot.runtimeHooks) {
      channel.send({ type: 'createRuntime' });
      channel.receiveContinue();
    }
    if (boot.hookState) runHooks(k, 'createContainer', spec.hooks?.createContainer, boot.hookState);
    // exec.fifo lives in the state dir, which will be out of reach after pivot_root: keep a
    // handle on it (O_PATH opens without reading or writing, so it does not block).
    const fifo = sentFifo ?? k.because('exec.fifo', 'A handle on exec.fifo, to reach it through /proc/self/fd after pivot_root.').open(
      `${boot.stateDir}/exec.fifo`, O_PATH, 0,
    );
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
    const program = findProgram(spec);
    const terminal = boot.console ? makeTerminal(k, spec.process!, fds.console, { bindConsole: true }) : undefined;
    channel.send({ type: 'ready' });
    mark('init: ready');

    // Opening a fifo for writing blocks until someone opens it for reading: `start` does.
    channel.moveTo(() =>
      k.because(
        'exec.fifo',
        'Blocks until `nk-runtime start` opens exec.fifo for reading. From here on, our steps go to `start` through the fifo.',
      ).open(`/proc/self/fd/${fifo}`, fs.constants.O_WRONLY, 0),
    );
    mark('init: exec.fifo opened by start');
    if (boot.hookState) runHooks(k, 'startContainer', spec.hooks?.startContainer, { ...boot.hookState, status: 'created' });
    execProgram(k, spec, program, { terminal, preservedFds: fds.preserved, seccomp, personality: spec.linux?.personality });
  } catch (err) {
    const hint = err instanceof UserError ? err.hint : undefined;
    try {
      channel.send({ type: 'error', message: err instanceof Error ? err.message : String(err), hint });
    } catch {
      // Nobody to tell: the runtime sees us exit.
    }
    process.exit(1);
  }
}

main();
