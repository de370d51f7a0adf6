/**
 * The runtime's end of the sync socket to the init (fd 3 of the init, made by spawn).
 * Steps the init reports are handed on as they arrive; `expect` waits for a given message.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { UserError } from '../errors';
import { log } from '../log';
import type { Step } from '../linux/kernel';
import { MessageDecoder, type Bootstrap, type ExecBootstrap, type InitMessage } from './messages';

type Waited = 'booted' | 'ready';

export class InitConnection {
  private readonly socket: Socket;
  private readonly arrived: Waited[] = [];
  /** The error the init (or helper) reported, if it did. */
  private reported?: UserError;
  /** How the process ended ("exit code 1"), once it has. */
  private exit?: string;
  /** The socket is closed: no word will come any more. */
  private closed = false;
  /** The last step received was execve: the process was about to become the program. */
  private execving = false;
  private wake?: () => void;

  /** `what` names the process in errors: "init" or "exec helper". */
  constructor(private readonly child: ChildProcess, onStep: (step: Step) => void, private readonly what = 'init') {
    this.socket = child.stdio[3] as Socket;
    const decoder = new MessageDecoder<InitMessage>();
    const woken = () => this.wake?.();
    this.socket.on('data', (chunk) => {
      for (const message of decoder.push(chunk)) {
        log.init('%s %o', message.type, message.type === 'step' ? message.step.text : message);
        if (message.type === 'step') {
          onStep(message.step);
          this.execving = message.step.call === 'execve';
        } else if (message.type === 'error') this.reported ??= new UserError(message.message, message.hint);
        else this.arrived.push(message.type);
      }
      woken();
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => ((this.closed = true), woken()));
    child.on('exit', (code, signal) => ((this.exit = signal ? `killed by ${signal}` : `exit code ${code}`), woken()));
  }

  /**
   * The process ended without a word. It writes its error and then exits, so the error can
   * arrive after the exit is seen: only with the socket closed too do we know none will come.
   */
  private get diedSilently(): UserError | undefined {
    if (!this.exit || !this.closed) return undefined;
    return new UserError(`the container's ${this.what} exited before it was ready (${this.exit})`);
  }

  private async nextEvent(): Promise<void> {
    await new Promise<void>((resolve) => (this.wake = resolve));
  }

  /** Wait for the init to send `type`; an error from the init, or its death, rejects. */
  async expect(type: Waited): Promise<void> {
    for (;;) {
      // An error message wins over anything: the init sends it just before it exits.
      if (this.reported) throw this.reported;
      const index = this.arrived.indexOf(type);
      if (index >= 0) {
        this.arrived.splice(index, 1);
        return;
      }
      const died = this.diedSilently;
      if (died) throw died;
      await this.nextEvent();
    }
  }

  /**
   * Wait until the process has become the program: its socket (close-on-exec) closes with execve
   * as the last step and no error after it. The program may well have exited already: that is
   * its business, not a failure of exec.
   */
  async execed(): Promise<void> {
    for (;;) {
      if (this.reported) throw this.reported;
      if (this.closed && this.execving) return;
      const died = this.diedSilently;
      if (died) throw died;
      await this.nextEvent();
    }
  }

  send(message: Bootstrap | ExecBootstrap): void {
    this.socket.write(JSON.stringify(message) + '\n');
  }

  /** Stop waiting for the process, but keep the socket open until this process exits. */
  letGo(): void {
    this.socket.unref();
    this.child.unref();
  }

  /** Let go of the init: it lives on without us. */
  release(): void {
    this.socket.destroy();
    this.child.unref();
  }
}
