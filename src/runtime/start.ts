/**
 * `nk-runtime start`: let the init run the program.
 *
 * The init is blocked opening exec.fifo for writing; opening it for reading unblocks it. The init
 * then reports its last steps through the fifo (rlimits, user, fds...) and calls execve. Node
 * opens files close-on-exec, so the init's end of the fifo closes exactly when execve succeeds:
 * reading until end-of-file tells us the program is running. If execve fails, the init writes
 * the error first.
 */
import * as fs from 'node:fs';
import { UserError } from '../errors';
import type { RuntimeContext } from './context';
import { mark } from '../log';
import { hookState, runHooks } from './hooks';
import { MessageDecoder, type InitMessage } from './messages';
import { deriveStatus, initAlive } from './status';
import { sleepSync, writeFully } from '../output';
import type { SavedState } from './state-store';

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
    const fifo = await openWhileInitLives(container.execFifo, state, id);
    mark('start: exec.fifo opened');
    // Opened: the init is past its wait. Without the fifo the status reads `running`.
    fs.unlinkSync(container.execFifo);
    // Made by `create --step`: the init pauses before each of its last steps until we answer.
    const answers = fs.existsSync(container.stepFifo) ? openStepFifo(container.stepFifo, state) : undefined;

    const decoder = new MessageDecoder<InitMessage>();
    let error: InitMessage | undefined;
    // Plain blocking reads: the init writes its last steps and then execs, which closes its end.
    const buffer = Buffer.alloc(65536);
    try {
      for (let n; (n = fs.readSync(fifo.fd, buffer)) > 0; ) {
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
      // q at a pause: the init reads the end of step.fifo and exits; `delete` removes the container.
      if (answers !== undefined) fs.closeSync(answers);
      await fifo.close();
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
 * Open exec.fifo for reading. The open blocks until the init holds the other end, so it runs on
 * Node's thread pool while we check, every 50 ms, that the init is still alive to open it.
 *
 * A program that exits at once (/bin/true) can be gone before our open's result has reached this
 * thread: the open succeeded, but the init already looks dead. So a dead init only counts once
 * the open has had a further 200 ms to report.
 *
 * An init that dies before it opens its end (killed just before we looked) leaves our open blocked
 * for ever, and a blocked thread-pool open keeps Node from exiting. So, giving up, we open the
 * write end ourselves: O_NONBLOCK makes that open succeed at once because a reader (ours) is
 * waiting, and it releases the blocked open (man 7 fifo).
 */
function openWhileInitLives(fifo: string, state: SavedState, id: string): Promise<fs.promises.FileHandle> {
  return new Promise((resolve, reject) => {
    let deadline: NodeJS.Timeout | undefined;
    let gaveUp = false;
    const watch = setInterval(() => {
      if (initAlive(state) || deadline) return;
      deadline = setTimeout(() => {
        gaveUp = true;
        clearInterval(watch);
        releaseBlockedOpen(fifo);
        reject(new UserError(`cannot start container ${id}: its init has exited`));
      }, 200);
    }, 50);
    const done = () => {
      clearInterval(watch);
      clearTimeout(deadline);
    };
    fs.promises.open(fifo, 'r').then(
      (handle) => {
        done();
        if (gaveUp) void handle.close();
        else resolve(handle);
      },
      (err) => (done(), reject(err)),
    );
  });
}

/**
 * --step: open step.fifo for writing once the init has opened it for reading, which it does just
 * after exec.fifo. Without a reader a non-blocking open fails with ENXIO (man 7 fifo), so nothing
 * blocks if the init dies first; it is then no longer there to answer, and its error comes through
 * exec.fifo. The fifo is unlinked at once, as exec.fifo is.
 */
function openStepFifo(file: string, state: SavedState): number | undefined {
  for (;;) {
    try {
      const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
      fs.unlinkSync(file);
      return fd;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err;
      if (!initAlive(state)) return undefined;
      sleepSync(2);
    }
  }
}

/** Open the fifo's write end without blocking and close it again: a blocked reader returns. */
function releaseBlockedOpen(fifo: string): void {
  try {
    fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
  } catch {
    // ENXIO: no reader is waiting (our open has already returned); ENOENT: the fifo is gone.
  }
}
