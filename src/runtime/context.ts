/**
 * What every command of the runtime works with: the kernel (observed, so each call is a Step),
 * the state store, and, with -E, the narrator that prints the steps as they happen.
 */
import { observe, type Kernel, type KernelOps, type Step } from '../linux/kernel';
import { LinuxKernel } from '../linux/linux-kernel';
import type { Narrator } from '../explain/narrator';
import { StateStore } from './state-store';
import { writeErr } from '../output';

export interface RuntimeContext {
  kernel: Kernel;
  store: StateStore;
  /** Present with -E. */
  narrator?: Narrator;
  /** Hand a step (ours, or one the init reported) to whoever shows it. */
  onStep(step: Step): void;
  /** Tell the user something they should know that is not an error. */
  warn(message: string): void;
}

export interface ContextOptions {
  root: string;
  educational: boolean;
  /** The kernel to use: the real one unless a test passes a fake. */
  kernel?: KernelOps;
  /** Where warnings go; stderr by default. */
  warn?: (message: string) => void;
}

export function makeContext(options: ContextOptions): RuntimeContext {
  // The narration's texts are loaded only for -E.
  const narrator = options.educational ? new (require('../explain/narrator') as typeof import('../explain/narrator')).Narrator() : undefined;
  const onStep = (step: Step) => narrator?.step(step);
  return {
    kernel: observe(options.kernel ?? new LinuxKernel(), 'runtime', onStep),
    store: new StateStore(options.root),
    narrator,
    onStep,
    warn: options.warn ?? ((message) => writeErr(`nk-runtime: warning: ${message}\n`)),
  };
}
