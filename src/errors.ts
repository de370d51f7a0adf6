/**
 * Errors meant for people.
 *
 * Every failure the user can cause or fix is a UserError: the CLI prints it as one line
 * (`nk-runtime: create demo: config.json: process.args: must be ...`), with an optional hint,
 * and never with a stack trace unless --debug is given.
 */
export class UserError extends Error {
  /**
   * @param failed the kernel call behind this error, when one failed: src/explain/diagnose.ts
   *   reads it to say what most likely caused the failure, and what to do.
   */
  constructor(message: string, readonly hint?: string, readonly failed?: FailedCall) {
    super(message);
    this.name = 'UserError';
  }
}

/** A kernel call that failed, as a diagnosis needs it: the call, its errno name, its text. */
export interface FailedCall {
  call: string;
  code: string;
  /** The call with its arguments: `unshare(CLONE_NEWNS|CLONE_NEWUTS)`. */
  text: string;
  /** The call was on a cgroup's directory or file. */
  cgroup?: boolean;
}

/**
 * The failed kernel call behind `err`: a KernelError itself (src/linux/kernel.ts, recognised by
 * name to keep this file free of imports), or an error that carries one.
 */
export function failedCallOf(err: unknown): FailedCall | undefined {
  const e = err as { name?: string; failed?: FailedCall; call?: string; code?: string; text?: string } | undefined;
  if (e?.failed) return e.failed;
  if (e?.name === 'KernelError' && e.call && e.code) return { call: e.call, code: e.code, text: e.text ?? e.call };
  return undefined;
}

/** Prefix an error with what we were doing, keeping its hint: "mounting mounts[2]: ..." */
export function withContext(context: string, err: unknown): UserError {
  if (err instanceof UserError) return new UserError(`${context}: ${err.message}`, err.hint, err.failed);
  const message = err instanceof Error ? err.message : String(err);
  const wrapped = new UserError(`${context}: ${message}`, (err as { hint?: string })?.hint, failedCallOf(err));
  if (err instanceof Error) wrapped.stack = err.stack;
  return wrapped;
}

/** The message of anything thrown, for places that must report and carry on. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
