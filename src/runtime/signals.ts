/**
 * Signals by name or number, as `nk-runtime kill demo TERM` takes them.
 *
 * The names and numbers come from Node (os.constants.signals), which has Linux's table.
 */
import { constants } from 'node:os';
import { UserError } from '../errors';

/** Linux's highest signal number (SIGRTMAX). */
const MAX_SIGNAL = 64;

/** The first real-time signal as the C library counts it (glibc keeps 32 and 33 for itself). */
const SIGRTMIN = 34;

const SIGNALS: Record<string, number> = constants.signals;

/** "KILL", "SIGKILL", "kill" or "9" -> 9. Anything else is a UserError. */
export function parseSignal(text: string): number {
  const word = text.trim();
  if (/^\d+$/.test(word)) {
    const number = Number(word);
    if (number >= 1 && number <= MAX_SIGNAL) return number;
  } else {
    const upper = word.toUpperCase();
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
    // Object.hasOwn, not `in`: "constructor" is not a signal.
    if (Object.hasOwn(SIGNALS, name)) return SIGNALS[name];
  }
  throw new UserError(
    `unknown signal ${JSON.stringify(text)}`,
    `give a name or a number from 1 to ${MAX_SIGNAL}, like TERM, SIGKILL, hup or 9 (\`kill -l\` lists them)`,
  );
}

/** 9 -> "SIGKILL". Real-time signals are "SIGRTMIN+n"; unknown numbers stay numbers. */
export function signalName(signal: number): string {
  // The table lists the usual name first when two share a number (SIGABRT before SIGIOT).
  const found = Object.entries(SIGNALS).find(([, number]) => number === signal);
  if (found) return found[0];
  if (signal >= SIGRTMIN && signal <= MAX_SIGNAL) return signal === SIGRTMIN ? 'SIGRTMIN' : `SIGRTMIN+${signal - SIGRTMIN}`;
  return String(signal);
}
