/**
 * The runtime's end of the sync socket to the init (fd 3 of the init, made by spawn).
 * Steps the init reports are handed on as they arrive; `expect` waits for a given message.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { UserError } from '../errors';
import { log } from '../log';
import type { Step } from '../linux/kernel';
import { MessageDecoder, type Bootstrap, type InitMessage } from './messages';

type Waited = 'booted' | 'ready';

export class InitConnection {
  private readonly socket: Socket;
  private readonly arrived: Waited[] = [];
  private failure?: UserError;
  private wake?: () => void;

  constructor(private readonly child: ChildProcess, onStep: (step: Step) => void) {
    this.socket = child.stdio[3] as Socket;
    const decoder = new MessageDecoder<InitMessage>();
    this.socket.on('data', (chunk) => {
      for (const message of decoder.push(chunk)) {
        log.init('%s %o', message.type, message.type === 'step' ? message.step.text : message);
        if (message.type === 'step') onStep(message.step);
        else if (message.type === 'error') this.failure ??= new UserError(message.message, message.hint);
        else this.arrived.push(message.type);
      }
      this.wake?.();
    });
    // The init writes its error and then exits: the error can arrive after the exit is seen.
    // Only once both the exit and the end of the socket are seen do we know no word will come.
    let exit: string | undefined;
    let closed = false;
    const maybeGone = () => {
      if (exit && closed) this.failure ??= new UserError(`the container's init exited before it was ready (${exit})`);
      this.wake?.();
    };
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      closed = true;
      maybeGone();
    });
    child.on('exit', (code, signal) => {
      exit = signal ? `killed by ${signal}` : `exit code ${code}`;
      maybeGone();
    });
  }

  /** Wait for the init to send `type`; an error from the init, or its death, rejects. */
  async expect(type: Waited): Promise<void> {
    for (;;) {
      // An error message wins over anything: the init sends it just before it exits.
      if (this.failure) throw this.failure;
      const index = this.arrived.indexOf(type);
      if (index >= 0) {
        this.arrived.splice(index, 1);
        return;
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  send(message: Bootstrap): void {
    this.socket.write(JSON.stringify(message) + '\n');
  }

  /** Let go of the init: it lives on without us. */
  release(): void {
    this.socket.destroy();
    this.child.unref();
  }
}
