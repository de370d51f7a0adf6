/**
 * --step: pause before each kernel step, say what is about to happen and what to look at from
 * another terminal, and go on when the user presses Enter.
 *
 *  -- next [12]: init pid 1 (host pid 4211)  unshare(CLONE_NEWNS|CLONE_NEWUTS) = ?   linux.namespaces
 *       look now, and again at the next pause:
 *         ls -l /proc/4211/ns
 *     [Enter] run it, [c] run the rest without pausing, [q] stop:
 *
 * The answer is read from the terminal (/dev/tty) or, when stdin is not a terminal, from stdin: a
 * script drives it by writing one line per pause. At the end of the input (stdin closed or
 * /dev/null) the rest runs without pausing: step mode never waits for an answer that cannot come.
 *
 * The runtime's own steps pause here directly (observe()'s `before`); the init's are sent to the
 * runtime as "before" messages, and the init waits for the runtime's "go" (init/channel.ts).
 */
import * as fs from 'node:fs';
import * as tty from 'node:tty';
import type { Step } from '../linux/kernel';
import { UserError } from '../errors';
import { readBlocking } from '../blocking-read';
import { writeErr } from '../output';
import { whatToLookAt } from './step-hints';

/** The last words of every pause: a script reads stderr up to here, then answers. */
export const PROMPT = '[Enter] run it, [c] run the rest without pausing, [q] stop: ';

export class StepMode {
  /** Where answers are read from; opened at the first pause. */
  private input: number | undefined;
  private inputIsTerminal = false;
  private pending = '';
  /** No more pauses: the user said `c` or `q`, or the input has ended. */
  private off = false;

  private readonly write: (text: string) => void;

  /**
   * `stepNumber` is the number the narration will give the next step ([12]). A test passes where
   * to write and an fd to read the answers from.
   */
  constructor(private readonly stepNumber: () => number, options: { write?: (text: string) => void; input?: number } = {}) {
    this.write = options.write ?? writeErr;
    this.input = options.input;
  }

  /**
   * Before `step` is made by the process whose host pid is `hostPid` (ours, the init's, an exec
   * helper's): show it and what to look at, and wait for the answer. `q` throws: the command
   * stops as if the step had failed, and undoes what it made (create) or leaves the container
   * to `delete` (start).
   */
  pause(step: Step, args: readonly unknown[], hostPid: number): void {
    if (this.off) return;
    const who = step.role === 'runtime' ? `runtime pid ${hostPid}` : `${step.role} pid ${step.pid} (host pid ${hostPid})`;
    const looks = whatToLookAt(step.call, args, { pid: hostPid, inContainer: step.role !== 'runtime' });
    const lines = [
      '',
      ` -- next [${this.stepNumber()}]: ${who}  ${step.text}${step.cause ? `   ${step.cause}` : ''}`,
      ...(looks.length ? ['      look now, and again at the next pause:', ...looks.map((l) => `        ${l}`)] : []),
      `    ${PROMPT}`,
    ];
    this.write(lines.join('\n'));
    const answer = this.readLine();
    // Typed at a terminal, the answer's newline is on the screen already; from a pipe it is not.
    if (!this.inputIsTerminal) this.write('\n');
    if (answer === undefined) {
      this.off = true;
      this.write('    (end of input: the rest runs without pausing)\n');
      return;
    }
    const word = answer.trim().toLowerCase();
    if (word === 'c') this.off = true;
    if (word === 'q') {
      this.off = true;
      throw new UserError(`stopped before step [${this.stepNumber()}], as asked (--step)`);
    }
  }

  /** One line of input, without its newline; undefined at the end of the input. */
  private readLine(): string | undefined {
    if (this.input === undefined) this.openInput();
    const buffer = Buffer.alloc(256);
    while (!this.pending.includes('\n')) {
      const n = readBlocking(this.input!, buffer);
      if (n === 0) {
        const last = this.pending;
        this.pending = '';
        return last ? last : undefined;
      }
      this.pending += buffer.toString('utf8', 0, n);
    }
    const line = this.pending.slice(0, this.pending.indexOf('\n'));
    this.pending = this.pending.slice(line.length + 1);
    return line;
  }

  /** The controlling terminal when stdin is one (or has none to offer), else stdin itself. */
  private openInput(): void {
    this.input = 0;
    if (!tty.isatty(0)) return;
    try {
      this.input = fs.openSync('/dev/tty', 'r');
      this.inputIsTerminal = true;
    } catch {
      this.inputIsTerminal = true; // stdin is a terminal: read it
    }
  }
}

