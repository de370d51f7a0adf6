/**
 * The runtime's end of the socket pair it shares with the init (or an exec helper), whose end is
 * the helper's fd 3. Reads are synchronous and blocking, as on the init's side (init/channel.ts):
 * while the runtime waits for a message it has nothing else to do, and when the helper dies the
 * kernel closes its end, so a read returns end-of-file instead of blocking for ever.
 * Steps the helper reports are handed on as they arrive.
 */
import { files as fs } from '../linux/files';
import { UserError } from '../errors';
import { log } from '../log';
import type { Child, Step } from '../linux/kernel';
import { readBlocking } from '../blocking-read';
import { writeFully } from '../output';
import { MessageDecoder, type Bootstrap, type Continue, type ExecBootstrap, type Go, type InitMessage } from './messages';

type Waited = 'booted' | 'ready' | 'createRuntime';

export class InitConnection {
  private readonly decoder = new MessageDecoder<InitMessage>();
  private readonly queue: InitMessage[] = [];
  private readonly buffer = Buffer.alloc(65536);
  /** End of file: the helper's end is closed (it exited, or execve closed it). */
  private closed = false;
  /** The last step received was execve: the process was about to become the program. */
  private execving = false;
  private exit?: Promise<string>;

  /**
   * `fd` is our end of the socket pair; `what` names the process in errors: "init" or "exec
   * helper".
   */
  constructor(
    private readonly child: Child,
    private fd: number,
    private readonly onStep: (step: Step) => void,
    private readonly what = 'init',
    /** --step: shows a step the process is about to make and waits for the user (StepMode.pause). */
    private readonly pause?: (step: Step, args: readonly unknown[], hostPid: number) => void,
  ) {
    // How it ended, for the error when it dies without a word.
    this.exit = child.exited.then(({ code, signal }) => (signal ? `killed by ${signal}` : `exit code ${code}`));
  }

  /** Wait for the process to send `type`. An error it reports, or its death, throws. */
  async expect(type: Waited): Promise<void> {
    for (let message; (message = this.next()); ) {
      if (message.type === type) return;
    }
    throw await this.diedSilently();
  }

  /**
   * Wait until the process has become the program: its end of the socket (close-on-exec) closes
   * with execve as the last step and no error after it. The program may well have exited
   * already: that is its business, not a failure of exec.
   */
  async execed(): Promise<void> {
    while (this.next());
    if (this.execving) return;
    throw await this.diedSilently();
  }

  send(message: Bootstrap | ExecBootstrap | Continue | Go): void {
    writeFully(this.fd, JSON.stringify(message) + '\n');
  }

  /** Stop waiting for the process, but keep the socket open until this process exits. */
  letGo(): void {
    this.child.unref();
  }

  /** Let go of the init: it lives on without us. */
  release(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
    this.child.unref();
  }

  /**
   * The next message that is not a step (steps go to onStep on the way), blocking until one
   * comes; undefined at end of file. An error message throws: the helper exits after sending it.
   */
  private next(): InitMessage | undefined {
    for (;;) {
      const message = this.queue.shift();
      if (message) {
        log.init('%s %o', message.type, message.type === 'step' || message.type === 'before' ? message.step.text : message);
        if (message.type === 'error') throw new UserError(message.message, message.hint, message.failed);
        if (message.type === 'before') {
          // --step: the process waits for our word before it makes this call.
          this.pause?.(message.step, message.args, this.child.pid);
          try {
            this.send({ type: 'go' });
          } catch {
            // it has died meanwhile: the next read says so
          }
          continue;
        }
        if (message.type !== 'step') return message;
        this.onStep(message.step);
        this.execving = message.step.call === 'execve';
        continue;
      }
      if (this.closed) return undefined;
      const n = readBlocking(this.fd, this.buffer);
      if (n === 0) this.closed = true;
      else this.queue.push(...this.decoder.push(this.buffer.subarray(0, n)));
    }
  }

  /** The process ended without a word: say how, once its exit has been seen (at most 1 s). */
  private async diedSilently(): Promise<UserError> {
    const timeout = new Promise<string>((resolve) => setTimeout(() => resolve('it closed its socket'), 1000).unref());
    const how = await Promise.race([this.exit!, timeout]);
    return new UserError(`the container's ${this.what} exited before it was ready (${how})`);
  }
}

