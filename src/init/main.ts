/**
 * The container's init: the process that `create` spawns and that becomes the container's
 * program. It runs in two halves, as runc's init does:
 *
 *   during create: namespaces, rootfs, hostname  -> "ready"
 *   then, while create exits and start starts: the process settings (rlimits, user, fds),
 *                  then block opening exec.fifo
 *   during start:  (the open returns) startContainer hooks -> execve(process.args)
 *
 * It is born PID 1 of the container's PID namespace (the runtime entered it before spawning).
 * Its fd 3 is a socket to the runtime; it reports each kernel step there (without -E, all of
 * create's together with "ready": channel.ts batchSteps), and never prints.
 *
 * The same program is `exec`'s helper, when the runtime's first message says so: born in the
 * PID namespace of a running container, it joins the container's other namespaces and becomes
 * the command to run there (join.ts).
 *
 * The steps themselves are in steps.ts, so that `--dry-run` walks the same ones (runtime/dry-run.ts).
 */
import { files as fs } from '../linux/files';
import { observe, type Step } from '../linux/kernel';
import { LinuxKernel } from '../linux/linux-kernel';
import { loadLibc } from '../linux/libc';
import { UserError, failedCallOf } from '../errors';
import type { Spec } from '../oci/spec';
import { InitChannel } from './channel';
import { becomeProgram, becomeUndumpable, enterAndMount, openFifoForStart, settleProgram, switchRoot } from './steps';
import { execInContainer } from './join';
import { prepareSeccomp } from './seccomp';
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
    // --step: before each call, the runtime shows it and waits for the user (channel.beforeStep).
    channel.stepping = boot.step === true;
    // Without -E, our steps travel together with "ready".
    if (boot.type === 'bootstrap' && !boot.narrated) channel.batchSteps();
    const before = boot.step ? channel.beforeStep.bind(channel) : undefined;
    const k = observe(new LinuxKernel(), boot.type === 'exec' ? 'exec' : 'init', sink, { before, keepArgs: boot.rawDetail === true, sites: boot.sites === true });
    becomeUndumpable(k);
    if (boot.type === 'exec') return execInContainer(k, boot, channel, fds);
    const spec = boot.spec ?? (JSON.parse(fs.readFileSync(`${boot.stateDir}/config.json`, 'utf8')) as Spec);
    // Compiled now: after pivot_root the compiler's files are out of reach.
    const seccomp = prepareSeccomp(spec.linux?.seccomp);

    enterAndMount(k, spec, boot);
    // The namespaces and mounts exist, pivot_root has not happened: the hooks' moment.
    if (boot.runtimeHooks) {
      channel.send({ type: 'createRuntime' });
      channel.receiveContinue();
    }
    const made = switchRoot(k, spec, boot, fds.console, undefined, sentFifo);
    channel.send({ type: 'ready' });
    mark('init: ready');
    // create has what it needs and goes: nobody reads the sync socket any more, and nobody
    // answers pauses until `start` opens step.fifo. Our steps are kept until start is here.
    channel.stepping = false;
    channel.hold();
    const settle = () => settleProgram(k, spec, made, { seccomp, preservedFds: fds.preserved });

    // The program's settings need nobody but us, so they are made now, while create exits and
    // start starts, as runc's init makes them before the fifo: start then waits only for execve.
    // With --step they wait for start, which must show each one before it is made. A failure
    // here comes after create has said "created": start reports it, as the program's other failures.
    let failed: unknown;
    if (!boot.step) {
      try {
        settle();
      } catch (err) {
        failed = err;
      }
    }
    channel.moveTo(() => openFifoForStart(k, made.fifo));
    mark('init: exec.fifo opened by start');
    if (failed) throw failed;
    if (made.stepFifo !== undefined) {
      channel.answersFrom(
        k.because('--step', 'Blocks until `start` opens step.fifo for writing; its answers to our pauses come from there.').open(`/proc/self/fd/${made.stepFifo}`, fs.constants.O_RDONLY, 0),
      );
    }
    if (boot.step) settle();
    becomeProgram(k, spec, boot, made, { seccomp });
  } catch (err) {
    const hint = err instanceof UserError ? err.hint : undefined;
    try {
      // The failed kernel call goes with it: the runtime diagnoses it (explain/diagnose.ts), since
      // after pivot_root nothing more of ours can be loaded here.
      channel.send({ type: 'error', message: err instanceof Error ? err.message : String(err), hint, failed: failedCallOf(err) });
    } catch {
      // Nobody to tell: the runtime sees us exit.
    }
    process.exit(1);
  }
}

main();
