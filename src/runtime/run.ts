/**
 * `nk-runtime run`: create + start in one command. Attached (the default), the container's
 * stdio is ours, signals we receive are passed on to it, and when it exits we delete it and exit
 * with its status: its exit code, or 128 + N when signal N killed it (as a shell reports it).
 */
import type { RuntimeContext } from './context';
import { create, type CreateOptions } from './create';
import { deleteContainer } from './delete';
import { start } from './start';
import { proxyTerminal } from './terminal-proxy';
import { exitStatusOf, waitForwardingSignals } from './wait';

export async function run(ctx: RuntimeContext, id: string, options: CreateOptions & { detach: boolean }): Promise<number> {
  const { init, terminal } = await create(ctx, id, { ...options, proxyTerminal: !options.detach });
  const exited = exitStatusOf(init);
  const proxy = terminal === undefined ? undefined : proxyTerminal(ctx.kernel, terminal);
  try {
    await start(ctx, id);
  } catch (err) {
    await proxy?.finish();
    await deleteContainer(ctx, id, true);
    throw err;
  }
  if (options.detach) {
    init.unref();
    return 0;
  }
  const status = await waitForwardingSignals(ctx, init, exited, { resizes: proxy !== undefined });
  await proxy?.finish();
  await deleteContainer(ctx, id, false);
  return status;
}
