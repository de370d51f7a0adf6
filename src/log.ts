/**
 * Developer logging, for people working on nk-runtime itself: `DEBUG=nk:* nk-runtime ...` prints
 * what the runtime decides and receives (messages from the init, state writes), on stderr. It is
 * not the learner's narration (-E), which shows kernel calls. Without DEBUG in the environment the
 * `debug` library is not even loaded: every command would pay for it at start-up.
 */
type Log = (format: string, ...args: unknown[]) => void;

function logger(namespace: string): Log {
  if (!process.env.DEBUG) return () => undefined;
  return (require('debug') as typeof import('debug'))(namespace);
}

export const log = {
  runtime: logger('nk:runtime'),
  state: logger('nk:state'),
  init: logger('nk:init'),
};

/**
 * Time marks, for measuring where a command's time goes (docs/performance.md):
 * `NK_TIMING=1 nk-runtime ...` prints `nk-timing <pid> <ms since the process began> <what>` on
 * stderr at each mark of the hot path (the init's marks too: its stderr is the container's).
 * `NK_TIMING=wall` prints the wall clock instead (ms within the current 100 s), so that marks of
 * different processes (create, the init, start) can be put on one time line. Off, a mark is one
 * call to an empty function.
 */
export const mark: (what: string) => void =
  process.env.NK_TIMING || process.env.NK_CRASH_AT
    ? (what) => {
        if (process.env.NK_TIMING) {
          const now = process.env.NK_TIMING === 'wall' ? (performance.timeOrigin + performance.now()) % 100_000 : performance.now();
          (require('./linux/files') as typeof import('./linux/files')).files.writeSync(2, `nk-timing ${process.pid} ${now.toFixed(1)} ${what}\n`);
        }
        // For the reliability tests only: `NK_CRASH_AT="create: init booted"` makes this process
        // die at that mark, as if killed (test/integration/reliability.test.ts). The init is PID 1
        // of its namespace, which ignores even SIGKILL from inside (man 7 pid_namespaces): it
        // ends at once instead, without a word, as a crash would.
        if (process.env.NK_CRASH_AT === what) {
          if (process.pid === 1) (process as unknown as { reallyExit(code: number): never }).reallyExit(137);
          process.kill(process.pid, 'SIGKILL');
        }
      }
    : () => undefined;

if (process.env.NK_TIMING) process.once('exit', () => mark('exit'));
