/** Durations on the command line, as Go writes them (runc's --interval): "500ms", "10s", "2m", "1h30m". */
import { UserError } from '../errors';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in `text`; a plain number is seconds. */
export function parseDuration(option: string, text: string): number {
  const value = String(text).trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value) * 1000;
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== value) {
    throw new UserError(`${option} ${text}: not a duration`, 'write it as 500ms, 10s, 2m or 1h30m');
  }
  return parts.reduce((ms, [, n, unit]) => ms + Number(n) * UNIT_MS[unit], 0);
}
