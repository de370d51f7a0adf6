/**
 * Waiting for a container process that is our child (the init of `run`, the helper of `exec`):
 * signals we receive meanwhile are passed on to it, and its end is turned into an exit status
 * the way a shell reports one: its exit code, or 128 + N when signal N killed it.
 */
import { constants } from 'node:os';
import type { Child } from '../linux/kernel';
import type { RuntimeContext } from './context';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

/** A promise of the child's exit status. */
export async function exitStatusOf(child: Child): Promise<number> {
  const { code, signal } = await child.exited;
  return code ?? 128 + (constants.signals[signal as NodeJS.Signals] ?? 0);
}

/**
 * `resizes`: a terminal proxy of ours handles SIGWINCH (it resizes the container's terminal,
 * which signals the program itself), so it is not passed on.
 */
export async function waitForwardingSignals(ctx: RuntimeContext, child: Child, status: Promise<number>, options: { resizes?: boolean } = {}): Promise<number> {
  // The command that spawned it may have let go of it (a detached create exits at once); we stay.
  child.ref();
  const forward = (signal: NodeJS.Signals) => {
    try {
      ctx.kernel.because('signal', `We received ${signal}: pass it on to the container.`).kill(child.pid!, constants.signals[signal]);
    } catch {
      // it is already gone
    }
  };
  const forwarded = FORWARDED.filter((signal) => !(options.resizes && signal === 'SIGWINCH'));
  for (const signal of forwarded) process.on(signal, forward);
  try {
    return await status;
  } finally {
    for (const signal of forwarded) process.off(signal, forward);
  }
}
