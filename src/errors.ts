/**
 * Errors meant for people.
 *
 * Every failure the user can cause or fix is a UserError: the CLI prints it as one line
 * (`nk-runtime: create demo: config.json: process.args: must be ...`), with an optional hint,
 * and never with a stack trace unless --debug is given.
 */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** Prefix an error with what we were doing, keeping its hint: "mounting mounts[2]: ..." */
export function withContext(context: string, err: unknown): UserError {
  if (err instanceof UserError) return new UserError(`${context}: ${err.message}`, err.hint);
  const message = err instanceof Error ? err.message : String(err);
  const wrapped = new UserError(`${context}: ${message}`, (err as { hint?: string })?.hint);
  if (err instanceof Error) wrapped.stack = err.stack;
  return wrapped;
}

/** The message of anything thrown, for places that must report and carry on. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
