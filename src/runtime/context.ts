/**
 * What every command of the runtime works with: the kernel (observed, so each call is a Step),
 * the state store, and, with -E, the narrator that prints the steps as they happen.
 */
import { observe, type Child, type Kernel, type KernelOps, type Step } from '../linux/kernel';
import type { InitConnection } from './init-connection';
import { LinuxKernel } from '../linux/linux-kernel';
import type { Narrator } from '../explain/narrator';
import type { StepMode } from '../explain/step-mode';
import { StateStore } from './state-store';
import { writeErr } from '../output';
import { files as fs } from '../linux/files';

/** One append per command: the trace costs a JSON.stringify and a write, not one per step. */
function saveTrace(dir: string, command: string, steps: Step[]): void {
  // The command's line carries the time this process began, so the timeline reads in order.
  const head = { type: 'command', command, pid: process.pid, time: Math.round(performance.timeOrigin) };
  const lines = [head, ...steps.map((step) => ({ type: 'step', ...step }))].map((l) => JSON.stringify(l)).join('\n') + '\n';
  try {
    fs.appendFileSync(`${dir}/trace.jsonl`, lines, { mode: 0o600 });
  } catch {
    // the container is gone (delete), or its dir cannot be written: the trace is a help, not a duty
  }
  // NK_TRACE_FILE: a copy that outlives the container (delete's steps, run's whole life), for
  // scripts/gen-diagrams.sh, which draws docs/commands.md's diagrams from real traces.
  const copy = process.env.NK_TRACE_FILE;
  if (copy) fs.appendFileSync(copy, lines, { mode: 0o600 });
}

/** The runtime's end of a helper's sync socket: what create and exec use of InitConnection. */
export type HelperConnection = Pick<InitConnection, 'expect' | 'execed' | 'send' | 'letGo' | 'release'>;

export interface RuntimeContext {
  kernel: Kernel;
  /** --dry-run: the kernel records and changes nothing, and so does the store (dry-run.ts). */
  dryRun?: boolean;
  /**
   * Talk to a helper we spawned (the init, an exec helper; `what` names it in errors) over its
   * sync socket, whose other end is its fd 3. A dry run answers in this process instead.
   */
  connect(child: Child, socket: number, what?: string): HelperConnection;
  store: StateStore;
  /** Present with -E (and with --step, which implies it). */
  narrator?: Narrator;
  /** -EE: steps keep their arguments as passed (ours, and the init's: it is told in its bootstrap). */
  rawDetail: boolean;
  /**
   * Steps name the code that made them (Step.site), ours and the init's: only when they will be
   * seen, with -E (or --step) or NK_TRACE_FILE (scripts/gen-diagrams.sh), for they cost time.
   */
  sites: boolean;
  /**
   * Present with --step: pauses before each kernel step. Ours pause through the kernel; an init's
   * or exec helper's reach it as "before" messages (init-connection.ts, start.ts).
   */
  stepMode?: StepMode;
  /** Hand a step (ours, or one the init reported) to whoever shows it. */
  onStep(step: Step): void;
  /** Tell the user something they should know that is not an error. */
  warn(message: string): void;
  /**
   * Append this command's steps (since the last save) to the container's trace.jsonl: one line
   * for the command, one per step. `nk-runtime trace ID` shows them. A missing dir is no error.
   */
  saveTrace(dir: string, command: string): void;
}

export interface ContextOptions {
  root: string;
  educational: boolean;
  /** How many E's: 2 (-EE) adds raw detail to the narration. */
  explainLevel?: number;
  /** --step: pause before each kernel step (it implies `educational`). */
  step?: boolean;
  /** The kernel to use: the real one unless a test passes a fake. */
  kernel?: KernelOps;
  /** Where the narration goes (without colour); stderr by default. */
  write?: (text: string) => void;
  /** Where warnings go; stderr by default. */
  warn?: (message: string) => void;
}

export function makeContext(options: ContextOptions): RuntimeContext {
  // The narration's texts are loaded only for -E.
  const narrator = options.educational || options.step
    ? new (require('../explain/narrator') as typeof import('../explain/narrator')).Narrator(options.write, options.write ? false : undefined, options.explainLevel)
    : undefined;
  const stepMode = options.step && narrator
    ? new (require('../explain/step-mode') as typeof import('../explain/step-mode')).StepMode(() => narrator.stepsNarrated + 1)
    : undefined;
  const rawDetail = narrator !== undefined && (options.explainLevel ?? 1) >= 2;
  const sites = narrator !== undefined || Boolean(process.env.NK_TRACE_FILE);
  const steps: Step[] = [];
  const onStep = (step: Step) => {
    steps.push(step);
    narrator?.step(step);
  };
  return {
    saveTrace: (dir, command) => saveTrace(dir, command, steps.splice(0)),
    kernel: observe(options.kernel ?? new LinuxKernel(), 'runtime', onStep, {
      before: stepMode && ((step, args) => stepMode.pause(step, args, process.pid)),
      keepArgs: rawDetail,
      sites,
    }),
    store: new StateStore(options.root),
    narrator,
    rawDetail,
    sites,
    stepMode,
    onStep,
    connect: (child, socket, what) => new (require('./init-connection') as typeof import('./init-connection')).InitConnection(
      child, socket, onStep, what, stepMode && ((step, args, pid) => stepMode.pause(step, args, pid)),
    ),
    warn: options.warn ?? ((message) => writeErr(`nk-runtime: warning: ${message}\n`)),
  };
}
