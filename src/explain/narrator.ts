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
import { formatRawArguments } from '../linux/format';

/**
 * Colour when stderr is a terminal, plain otherwise (a file, a pipe, a test), and never when
 * NO_COLOR is set (no-color.org).
 */
export function colourWanted(): boolean {
  return !process.env.NO_COLOR && (require('node:tty') as typeof import('node:tty')).isatty(2);
}

const paint = (code: string) => (text: string) => `\x1b[${code}m${text}\x1b[0m`;
const COLOURS = { call: paint('1'), error: paint('31'), cause: paint('36'), dim: paint('2') };
const PLAIN = { call: (t: string) => t, error: (t: string) => t, cause: (t: string) => t, dim: (t: string) => t };

export class Narrator {
  private count = 0;
  private readonly c: typeof PLAIN;

  /**
   * `level` is the number of E's: with -EE the narration adds raw detail (each call's arguments
   * as passed, flags as numbers; the disassembly of a seccomp or eBPF program).
   */
  constructor(private readonly write: (text: string) => void = writeErr, colour = colourWanted(), private readonly level = 1) {
    this.c = colour ? COLOURS : PLAIN;
  }

  /** How many steps have been narrated so far (--step names the next one by its number). */
  get stepsNarrated(): number {
    return this.count;
  }

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
    const outcome = step.error ? this.c.error(`= -1 ${step.error} (${errnoDescription(step.error)})`) : `= ${step.result}`;
    // Padding is counted on the plain text: colour codes take no room on the screen.
    const plainHead = ` [${this.count}] ${who} ${step.text} ${step.error ? `= -1 ${step.error} (${errnoDescription(step.error)})` : `= ${step.result}`}`;
    const head = ` [${this.count}] ${who} ${this.c.call(step.text)} ${outcome}`;
    const pad = ' '.repeat(Math.max(1, 91 - plainHead.length));
    const lines = [step.cause ? `${head}${pad}${this.c.cause(step.cause)}` : head];
    const explanation = CATALOG[step.call];
    lines.push(...wrap(step.note ?? explanation.why, 92).map((l) => `      ${l}`));
    const man = typeof explanation.man === 'function' ? explanation.man(step.text) : explanation.man;
    lines.push(this.c.dim(`      ${man}${step.site ? ` · ${step.site}` : ''}`));
    if (this.level >= 2 && step.args) lines.push(this.c.dim(`        raw: ${step.call}(${formatRawArguments(step.call, step.args)})`));
    if (this.level >= 2 && step.raw && step.call === 'seccomp') lines.push(...seccompDetail(step.raw).map((l) => this.c.dim(`        ${l}`)));
    if (this.level >= 2 && step.raw && step.call === 'bpfProgLoad') lines.push(...ebpfDetail(step.raw).map((l) => this.c.dim(`        ${l}`)));
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

/**
 * -EE: the seccomp program as installed, one instruction a line, with call numbers named
 * (`12: if A == 59 (execve) goto 13 else goto 14`). The compiler is loaded only here.
 */
function seccompDetail(raw: string): string[] {
  const { decode, disassemble } = require('../linux/seccomp/bpf') as typeof import('../linux/seccomp/bpf');
  const { nativeArch, syscallName } = require('../linux/seccomp/compile') as typeof import('../linux/seccomp/compile');
  const program = decode(Buffer.from(raw, 'base64'));
  return ['The program, as the kernel runs it (A is the one register; `nr` is the call\'s number):', ...disassemble(program, syscallName(nativeArch()))];
}

/**
 * -EE: an eBPF program (the cgroup v2 device allow-list) as loaded, one instruction a line, the
 * registers named by what they hold (`6: if r2 (type) != 2 goto 12`).
 */
function ebpfDetail(raw: string): string[] {
  const { decode, disassemble } = require('../linux/cgroups/ebpf') as typeof import('../linux/cgroups/ebpf');
  const { REGISTERS } = require('../linux/cgroups/device-program') as typeof import('../linux/cgroups/device-program');
  const program = decode(Buffer.from(raw, 'base64'));
  return [
    'The program, as the kernel runs it: r1 points to the device asked about (type, access, major, minor); r0 = 1 allows, 0 refuses:',
    ...disassemble(program, REGISTERS),
  ];
}
