/**
 * -E: prints each kernel step as it happens, to stderr (never into the container's stdout).
 *
 *  [5] init    pid 1      unshare(CLONE_NEWNS|CLONE_NEWUTS) = 0            linux.namespaces
 *      Moves this thread into new namespaces...
 *      man 2 unshare · src/init/namespaces.ts enterNamespaces()
 */
import type { Step } from '../linux/kernel';
import { CATALOG } from './catalog';
import { writeErr } from '../output';
import { errnoDescription } from '../linux/errno';

export class Narrator {
  private count = 0;

  constructor(private readonly write: (text: string) => void = writeErr) {}

  /** A heading for the command: `nk-runtime create demo (bundle /x, OCI 1.2.0)`. */
  heading(text: string): void {
    this.write(`\n${text}\n`);
  }

  /** A line that is not a kernel call: "the init is now blocked on exec.fifo". */
  say(text: string): void {
    this.write(`      ${text}\n`);
  }

  step(step: Step): void {
    this.count += 1;
    const who = `${step.role.padEnd(7)} pid ${String(step.pid).padEnd(6)}`;
    const outcome = step.error ? `= -1 ${step.error} (${errnoDescription(step.error)})` : `= ${step.result}`;
    const head = ` [${this.count}] ${who} ${step.text} ${outcome}`;
    const lines = [step.cause ? `${head.padEnd(90)} ${step.cause}` : head];
    const explanation = CATALOG[step.call];
    lines.push(...wrap(step.note ?? explanation.why, 92).map((l) => `      ${l}`));
    const man = typeof explanation.man === 'function' ? explanation.man(step.text) : explanation.man;
    lines.push(`      ${man}${step.site ? ` · ${step.site}` : ''}`);
    this.write(lines.join('\n') + '\n');
  }
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + word.length + 1 > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
