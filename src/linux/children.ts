/**
 * Knowing when a child we started has ended. The kernel sends us SIGCHLD when one of our children
 * exits (man 7 signal); waitpid(pid, WNOHANG) then collects its exit status and removes it from
 * the process table (man 2 waitpid). Until someone does, an ended child stays a zombie.
 *
 * Node's and Bun's child_process do this for the processes they start; ours are started by
 * posix_spawn (linux-kernel.ts says why), so we do it ourselves, for those pids only: a
 * waitpid(-1) would steal the status of children that are not ours to collect.
 */
import type { Child, ChildExit } from './kernel';

/**
 * waitpid(pid, &status, WNOHANG): the raw status once the child has ended; 'running' while it
 * runs; 'gone' when it is no child of ours any more (ECHILD: someone else collected it).
 */
export type Reap = (pid: number) => number | 'running' | 'gone';

interface Watched {
  reap: Reap;
  done: (exit: ChildExit) => void;
  referenced: boolean;
  collected: boolean;
}

const watched = new Map<number, Watched>();
/** A timer that keeps the event loop, and so the process, alive while a referenced child runs. */
let keepAlive: NodeJS.Timeout | undefined;

export function watchChild(pid: number, reap: Reap): Child {
  let done!: (exit: ChildExit) => void;
  const exited = new Promise<ChildExit>((resolve) => (done = resolve));
  const entry: Watched = { reap, done, referenced: true, collected: false };
  if (watched.size === 0) process.on('SIGCHLD', collect);
  watched.set(pid, entry);
  updateKeepAlive();
  // In case it ended before we listened.
  setImmediate(collect);
  return {
    pid,
    exited,
    get hasExited() {
      return entry.collected;
    },
    ref() {
      entry.referenced = true;
      updateKeepAlive();
    },
    unref() {
      entry.referenced = false;
      updateKeepAlive();
    },
  };
}

/** On SIGCHLD: which of ours have ended? Signals of a kind do not queue: one may stand for several. */
function collect(): void {
  for (const [pid, entry] of watched) {
    const status = entry.reap(pid);
    if (status === 'running') continue;
    watched.delete(pid);
    entry.collected = true;
    entry.done(status === 'gone' ? { code: null, signal: null } : decodeStatus(status));
  }
  if (watched.size === 0) process.off('SIGCHLD', collect);
  updateKeepAlive();
}

function updateKeepAlive(): void {
  const wanted = [...watched.values()].some((entry) => entry.referenced);
  // Each second it also looks: a safety net, should a SIGCHLD go unseen.
  if (wanted && !keepAlive) keepAlive = setInterval(collect, 1000);
  if (!wanted && keepAlive) {
    clearInterval(keepAlive);
    keepAlive = undefined;
  }
}

/**
 * The status word waitpid fills in (man 2 waitpid, WIFEXITED and friends): the low 7 bits are
 * the signal that killed the process, 0 if it exited; then the exit code, in the next 8.
 */
export function decodeStatus(status: number): ChildExit {
  const signal = status & 0x7f;
  if (signal === 0) return { code: (status >> 8) & 0xff, signal: null };
  // The signal's name from node:os, loaded only now: most children exit, and it costs every start.
  const name = Object.entries((require('node:os') as typeof import('node:os')).constants.signals).find(([, n]) => n === signal)?.[0] ?? `signal ${signal}`;
  return { code: null, signal: name };
}
