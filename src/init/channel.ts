/**
 * The init's end of its conversation with the runtime, with synchronous reads and writes only.
 *
 * Synchronous because the init must stay on its main thread (the one that unshare(2) moved into
 * the container's namespaces) and must not start Node's thread pool, whose threads would still
 * see the host's mounts.
 */
import type { Step } from '../linux/kernel';
import type { Bootstrap, Continue, ExecBootstrap, Go, InitMessage } from '../runtime/messages';
import { readBlocking } from '../blocking-read';
import { writeFully } from '../output';

export class InitChannel {
  private pending = '';
  /** Messages kept while there is nobody to send them to (hold, moveTo). */
  private held: string[] | undefined;
  /** Steps not sent yet (batchSteps): they go with the next message of another kind. */
  private batched: string[] | undefined;
  /** Where the runtime's messages come from: the sync socket, then (--step, start) step.fifo. */
  private input: number;
  /**
   * --step: ask before each kernel call (beforeStep). Off while nobody could answer: between
   * "ready" and `start`'s end of step.fifo, and once an exec helper has let its runtime go.
   */
  stepping = false;

  /** `fd` is where messages go: the sync socket (fd 3) during create, exec.fifo during start. */
  constructor(private fd: number) {
    this.input = fd;
  }

  send(message: InitMessage): void {
    if (this.fd < 0) return; // nobody listens any more (waitUntilClosed)
    const line = JSON.stringify(message) + '\n';
    if (this.held) this.held.push(line);
    else if (this.batched && message.type === 'step') this.batched.push(line);
    else if (this.batched?.length) writeFully(this.fd, this.batched.splice(0).join('') + line);
    else writeFully(this.fd, line);
  }

  /**
   * Without -E nobody reads our steps as they come, and each would cost a write here and a read
   * and a wake-up in the runtime, on create's critical path: keep them, and send them with the
   * next message of another kind ("createRuntime", "ready", an error), in one write. Until hold.
   * (If we die without a word, the runtime's trace lacks those steps.)
   */
  batchSteps(): void {
    this.batched = [];
  }

  /** Keep what is sent from now on, until moveTo: nobody reads the current fd any more. */
  hold(): void {
    this.held ??= this.batched?.splice(0) ?? [];
    this.batched = undefined;
  }

  /**
   * Move to a new fd that `open` returns, and send there what was kept (hold) and what is sent
   * meanwhile (the step of that very open among them): the old fd may have no reader any more.
   */
  moveTo(open: () => number): void {
    this.hold();
    try {
      this.fd = open();
    } finally {
      const held = this.held ?? [];
      this.held = undefined;
      // In one write: the reader wakes once, not once a line.
      if (held.length > 0) writeFully(this.fd, held.join(''));
    }
  }

  /**
   * --step: announce the call about to be made and block until the runtime says "go" (once the
   * user has looked and pressed Enter). observe()'s `before`.
   */
  beforeStep(step: Step, args: readonly unknown[]): void {
    if (!this.stepping) return;
    const plain = args.map((a) => (typeof a === 'string' ? a.slice(0, 4096) : typeof a === 'number' ? a : null));
    this.send({ type: 'before', step, args: plain });
    const answer = this.receiveLine() as Go;
    if (answer.type !== 'go') throw new Error(`expected "go" from the runtime, got ${JSON.stringify(answer.type)}`);
  }

  /** --step during start: the answers come from here (step.fifo, open for reading) from now on. */
  answersFrom(fd: number): void {
    this.input = fd;
    this.pending = '';
    this.stepping = true;
  }

  /** Say "ready", then block until the runtime has closed its end (it exits: see ExecBootstrap). */
  waitUntilClosed(): void {
    this.stepping = false;
    this.send({ type: 'ready' });
    const buffer = Buffer.alloc(64);
    try {
      while (readBlocking(this.input, buffer) > 0);
    } catch {
      // the socket is gone: so is the runtime
    }
    this.fd = -1;
  }

  /** Block until the runtime says to go on (after the createRuntime hooks). */
  receiveContinue(): void {
    const message = this.receiveLine() as unknown as Continue;
    if (message.type !== 'continue') throw new Error(`expected "continue" from the runtime, got ${JSON.stringify(message.type)}`);
  }

  /** Block until the runtime sends the bootstrap line. */
  receiveBootstrap(): Bootstrap | ExecBootstrap {
    return this.receiveLine() as Bootstrap | ExecBootstrap;
  }

  private receiveLine(): { type: string } {
    const buffer = Buffer.alloc(4096);
    while (!this.pending.includes('\n')) {
      const n = readBlocking(this.input, buffer);
      if (n === 0) throw new Error(this.input === this.fd ? 'the runtime closed the sync socket' : 'the runtime closed step.fifo (--step): it has gone');
      this.pending += buffer.toString('utf8', 0, n);
    }
    const line = this.pending.slice(0, this.pending.indexOf('\n'));
    this.pending = this.pending.slice(line.length + 1);
    return JSON.parse(line) as { type: string };
  }
}
