/**
 * How a command ends: its error printed for a person, in one line (plus a hint), and, with
 * --log, written to the log file the way containerd and podman read it.
 */
import { files as fs } from '../linux/files';
import { UserError, failedCallOf } from '../errors';
import { KernelError } from '../linux/kernel';
import { writeErr } from '../output';

export interface GlobalOptions {
  root: string;
  educational: number;
  /** --step: pause before each kernel step (implies -E). */
  step?: boolean;
  debug: boolean;
  log?: string;
  logFormat: string;
  /** --systemd-cgroup (containerd's SystemdCgroup, podman's systemd cgroup manager). */
  systemdCgroup?: boolean;
}

/** Run one command; on failure print `nk-runtime: <what>: <message>` and set exit code 1. */
export async function runCommand(what: string, options: GlobalOptions, body: () => Promise<number | void> | number | void): Promise<void> {
  try {
    const code = await body();
    process.exitCode = typeof code === 'number' ? code : 0;
  } catch (err) {
    reportError(what, options, err);
    process.exitCode = 1;
  }
}

export function reportError(what: string, options: GlobalOptions, err: unknown): void {
  let message = err instanceof Error ? err.message : String(err);
  let hint = (err as { hint?: string })?.hint;
  const known = err instanceof UserError || err instanceof KernelError;
  // A failed kernel call (ours or the init's) gets its likeliest cause and what to do. Loaded
  // only now: start-up pays nothing for it.
  if (failedCallOf(err) || (err as { missingController?: unknown })?.missingController) {
    const explained = (require('../explain/diagnose') as typeof import('../explain/diagnose')).explain(err);
    if (explained) ({ message, hint } = explained);
  }
  // `what` holds the container id as typed: show its control characters as escapes, to keep one line.
  const shownWhat = what.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));
  const line = `${shownWhat}: ${known ? message : `internal error: ${message}`}`;
  writeErr(`nk-runtime: ${line}\n`);
  if (hint) writeErr(`  hint: ${hint}\n`);
  if (options.debug && err instanceof Error && err.stack) writeErr(`${err.stack}\n`);
  else if (!known) writeErr('  (run with --debug for the stack trace; this is a bug in nk-runtime, please report it)\n');
  if (options.log) writeLog(options, 'error', line);
}

/**
 * A warning: to the --log file when there is one (under containerd or podman our stderr is the
 * container's), to stderr otherwise.
 */
export function warn(options: GlobalOptions, message: string): void {
  if (options.log) writeLog(options, 'warning', message);
  else writeErr(`nk-runtime: warning: ${message}\n`);
}

/** containerd shows the `msg` of the last `"level":"error"` line of the --log file. */
function writeLog(options: GlobalOptions, level: 'error' | 'warning', msg: string): void {
  const time = new Date().toISOString();
  const line = options.logFormat === 'json' ? JSON.stringify({ level, msg, time }) : `time="${time}" level=${level} msg=${JSON.stringify(msg)}`;
  try {
    fs.appendFileSync(options.log!, line + '\n');
  } catch {
    // the error itself is already on stderr
  }
}

/** `dryRun`: the command takes --dry-run (create, run, exec), and the hint says so. */
export function requireRoot(dryRun = false): void {
  if (process.getuid?.() !== 0) {
    throw new UserError(
      'must be run as root',
      `containers are made of namespaces, mounts and cgroups, which need root (CAP_SYS_ADMIN); try sudo${dryRun ? ', or --dry-run to see every call it would make, without root' : ''}`,
    );
  }
}
