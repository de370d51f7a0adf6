/**
 * `nk-runtime run`: create + start in one command. Attached (the default), the container's
 * stdio is ours, signals we receive are passed on to it, and when it exits we delete it and exit
 * with its status: its exit code, or 128 + N when signal N killed it (as a shell reports it).
 *
 * With --timeout, a container still running at the deadline gets SIGTERM, and SIGKILL (every
 * process of its cgroup) if it is still there after the grace period; `run` then exits with 124,
 * as timeout(1) does, and says so in one line on stderr.
 *
 * With --result FILE, an attached run writes what a job runner wants to know, as JSON: how the
 * program ended (exit code or signal), whether it timed out or was OOM-killed, and what it used,
 * read from its cgroup just before the cgroup goes (run-result.ts).
 */
import type { RuntimeContext } from './context';
import { create, narrateConfigCoverage, type CreateOptions } from './create';
import { deleteContainer } from './delete';
import { start } from './start';
import { proxyTerminal } from './terminal-proxy';
import { exitStatusOf, waitForwardingSignals } from './wait';
import { kill } from './kill';
import { writeErr } from '../output';

/** The exit status of a run that timed out, as timeout(1). */
export const TIMED_OUT = 124;
const SIGTERM = 15;
const SIGKILL = 9;

export interface RunTimeout {
  ms: number;
  graceMs: number;
  /** As the user wrote it ("10s"), for the message. */
  text: string;
}

export async function run(ctx: RuntimeContext, id: string, options: CreateOptions & { detach: boolean; timeout?: RunTimeout; resultFile?: string }): Promise<number> {
  const { init, terminal, spec, state } = await create(ctx, id, { ...options, proxyTerminal: !options.detach, coverageLater: true });
  // -E ends with the table of config fields (after the program's run, when attached).
  const fieldTable = () => {
    if (ctx.narrator) narrateConfigCoverage(ctx, spec, state);
  };
  // For --result: the job's CPU time is counted from here, without the init's own start-up.
  const resultFrom = options.resultFile ? (require('./run-result') as typeof import('./run-result')).startMeasuring(ctx.store.container(id).readState().cgroup) : undefined;
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
    fieldTable();
    return 0;
  }
  const deadline = options.timeout ? enforceTimeout(ctx, id, init.pid!, options.timeout) : undefined;
  const status = await waitForwardingSignals(ctx, init, exited, { resizes: proxy !== undefined });
  deadline?.cancel();
  await proxy?.finish();
  if (options.resultFile && resultFrom) {
    const { writeRunResult } = require('./run-result') as typeof import('./run-result');
    writeRunResult(options.resultFile, { id, ended: await init.exited, timedOut: deadline?.what() !== undefined, from: resultFrom });
  }
  await deleteContainer(ctx, id, false);
  fieldTable();
  if (deadline?.what()) {
    writeErr(`nk-runtime: run ${id}: timed out after ${options.timeout!.text}: ${deadline.what()}\n`);
    return TIMED_OUT;
  }
  return status;
}

/** Timers for --timeout: SIGTERM to the init at the deadline, SIGKILL to every process after the grace. */
function enforceTimeout(ctx: RuntimeContext, id: string, pid: number, timeout: RunTimeout) {
  let done: string | undefined;
  let graceTimer: NodeJS.Timeout | undefined;
  const termTimer = setTimeout(() => {
    done = 'sent SIGTERM';
    try {
      ctx.kernel.because('--timeout', `${timeout.text} are up: ask the program to end`).kill(pid, SIGTERM);
    } catch {
      return; // it has just exited
    }
    graceTimer = setTimeout(() => {
      done = `sent SIGTERM, then SIGKILL after ${timeout.graceMs / 1000} s`;
      try {
        kill(ctx, id, SIGKILL, true);
      } catch {
        // it has exited meanwhile
      }
    }, timeout.graceMs);
  }, timeout.ms);
  return {
    cancel: () => {
      clearTimeout(termTimer);
      clearTimeout(graceTimer);
    },
    what: () => done,
  };
}
