/**
 * `nk-runtime start`: let the init run the program.
 *
 * The init is blocked opening exec.fifo for writing; opening it for reading unblocks it. By then
 * the init has made the program's settings (rlimits, user, fds...: init/main.ts) and kept their
 * steps: it sends them through the fifo, runs the startContainer hooks and calls execve. Node
 * opens files close-on-exec, so the init's end of the fifo closes exactly when execve succeeds:
 * reading until end-of-file tells us the program is running. If a step failed, or execve does,
 * the init writes the error first.
 */
import { files as fs } from '../linux/files';
import { UserError } from '../errors';
import type { RuntimeContext } from './context';
import { mark } from '../log';
import { hookState, runHooks } from './hooks';
import { MessageDecoder, type InitMessage } from './messages';
import { deriveStatus, initAlive } from './status';
import { writeFully } from '../output';
import type { SavedState } from './state-store';
import type { Kernel } from '../linux/kernel';
import { O_CLOEXEC, O_NONBLOCK } from '../linux/constants';

const { O_RDONLY, O_RDWR } = fs.constants;

export async function start(ctx: RuntimeContext, id: string): Promise<void> {
  const container = ctx.store.existing(id);
  const unlock = container.lock(ctx.kernel);
  try {
    const state = container.readState();
    const status = deriveStatus(container, state);
    if (status !== 'created') {
      throw new UserError(`cannot start container ${id}: it is ${status}`, status === 'running' ? 'it has been started already' : undefined);
    }
    ctx.narrator?.heading(`nk-runtime start ${id}`);

    mark('start: state read');
    const { fifo, answers } = connectToInit(ctx.kernel, container.execFifo, container.stepFifo, state, id);
    mark('start: exec.fifo opened');
    if (answers === undefined) {
      ctx.narrator?.say('The init made the program\'s settings before we came: their steps first, then its open of exec.fifo.');
    }

    const decoder = new MessageDecoder<InitMessage>();
    let error: InitMessage | undefined;
    // Plain blocking reads: the init writes its last steps and then execs, which closes its end.
    const buffer = Buffer.alloc(65536);
    try {
      for (let n; (n = fs.readSync(fifo, buffer)) > 0; ) {
        for (const message of decoder.push(buffer.subarray(0, n))) {
          if (message.type === 'step') ctx.onStep(message.step);
          if (message.type === 'error') error = message;
          if (message.type === 'before' && answers !== undefined) {
            // Without --step here, the init goes on at once.
            ctx.stepMode?.pause(message.step, message.args, state.pid!);
            try {
              writeFully(answers, JSON.stringify({ type: 'go' }) + '\n');
            } catch {
              // the init has died meanwhile: its end of exec.fifo closes, and the loop ends
            }
          }
        }
      }
    } finally {
      closeInitFifos(ctx.kernel, { fifo, answers });
    }
    mark('start: end of exec.fifo (execve done)');
    if (error && error.type === 'error') {
      throw new UserError(`the container's program did not start: ${error.message}`, error.hint, error.failed);
    }
    ctx.narrator?.say(`execve succeeded: the program now runs as the container's PID 1 (host pid ${state.pid}).`);
    if (state.hooks?.poststart) {
      runHooks(ctx.kernel, 'poststart', state.hooks.poststart, hookState(state, 'running'), (message) => ctx.warn(`start ${id}: ${message}`));
    }
  } finally {
    ctx.saveTrace(container.dir, `start ${id}`);
    unlock();
  }
}

/**
 * Open exec.fifo for reading, which lets the init's blocked open for writing return, and wait
 * until the init has something to say. Also used by `run --dry-run` (dry-run.ts), over its
 * recording kernel.
 *
 * The open is non-blocking: a blocking one would wait for a writer, for ever if the init has
 * died. And the wait is poll(2), not a read: until the init's open has returned, the fifo has
 * no writer, and a read of a fifo without a writer returns 0 at once, as at its end. poll
 * reports the end (POLLHUP) only once a writer has come and gone (Linux, fs/pipe.c), so it
 * waits for the init's first words, or for its end closing at execve. Each second without
 * either, we check that the init is still alive.
 */
export function connectToInit(k: Kernel, execFifo: string, stepFifo: string, state: SavedState, id: string): { fifo: number; answers?: number } {
  const fifo = k.because(
    'exec.fifo',
    'Opened for reading: the init, blocked opening its end for writing, goes on. O_NONBLOCK, so that this open does not wait for the init in turn (man 7 fifo).',
  ).open(execFifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
  let answers: number | undefined;
  try {
    k.because('exec.fifo', 'Without exec.fifo the container reads `running`. The init needs no name: it opens the fifo through the handle it kept.').unlink(execFifo);
    // Made by `create --step`: the init pauses before each of its last steps until we answer.
    if (fs.existsSync(stepFifo)) answers = openStepFifo(k, stepFifo);
    while (k.because('exec.fifo', 'Wait for the init\'s last steps, or for its end closing at execve.').poll(fifo, 1000) === 0) {
      if (!initAlive(state)) throw new UserError(`cannot start container ${id}: its init has exited`);
    }
    k.because('exec.fifo', 'From now on a read waits until the init writes, and returns 0 once execve has closed its end.').setNonBlocking(fifo, false);
  } catch (err) {
    if (answers !== undefined) k.because('--step').close(answers);
    k.because('exec.fifo').close(fifo);
    throw err;
  }
  return { fifo, answers };
}

/** Our ends of exec.fifo and step.fifo, once exec.fifo has been read to its end. */
export function closeInitFifos(k: Kernel, { fifo, answers }: { fifo: number; answers?: number }): void {
  // q at a pause: the init reads the end of step.fifo and exits; `delete` removes the container.
  if (answers !== undefined) k.because('--step', 'Our end of step.fifo: the init reads its end as the end of our answers.').close(answers);
  k.because('exec.fifo', 'Our end of exec.fifo, read to its end.').close(fifo);
}

/**
 * --step: step.fifo, opened for reading and writing. Such an open never waits on Linux (man 7
 * fifo), and the init, which opens its end for reading right after exec.fifo, finds a writer
 * there: us. It reads our answers to its pauses; the end of them comes when we close.
 */
function openStepFifo(k: Kernel, file: string): number {
  const fd = k.because('--step', 'Our answers to the init\'s pauses go through here (exec.fifo only goes from the init to us).').open(file, O_RDWR | O_CLOEXEC, 0);
  k.because('--step').unlink(file);
  return fd;
}
