/**
 * `nk-runtime run`: create + start in one command. Attached (the default), the container's
 * stdio is ours, signals we receive are passed on to it, and when it exits we delete it and exit
 * with its status: its exit code, or 128 + N when signal N killed it (as a shell reports it).
 */
import { constants } from 'node:os';
import type { RuntimeContext } from './context';
import { create, type CreateOptions } from './create';
import { deleteContainer } from './delete';
import { start } from './start';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function run(ctx: RuntimeContext, id: string, options: CreateOptions & { detach: boolean }): Promise<number> {
  const { init } = await create(ctx, id, options);
  const exited = new Promise<number>((resolve) => {
    init.once('exit', (code, signal) => resolve(code ?? 128 + (constants.signals[signal as NodeJS.Signals] ?? 0)));
  });
  try {
    await start(ctx, id);
  } catch (err) {
    await deleteContainer(ctx, id, true);
    throw err;
  }
  if (options.detach) {
    init.unref();
    return 0;
  }
  // create let go of the init (a detached create exits at once); we stay to see it end.
  init.ref();
  const forward = (signal: NodeJS.Signals) => {
    try {
      ctx.kernel.because('run', `We received ${signal}: pass it on to the container.`).kill(init.pid!, constants.signals[signal]);
    } catch {
      // the container is already gone
    }
  };
  for (const signal of FORWARDED) process.on(signal, forward);
  const status = await exited;
  for (const signal of FORWARDED) process.off(signal, forward);
  await deleteContainer(ctx, id, false);
  return status;
}
