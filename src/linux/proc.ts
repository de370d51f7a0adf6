/**
 * Plain reads of /proc (and of the cgroup filesystem), with a stand-in where the machine has
 * none: on Linux a read is exactly fs.readFileSync. Elsewhere (macOS) the only code that gets
 * this far is a dry run (src/runtime/dry-run.ts), which walks the runtime's and the init's steps
 * without making them: there, `standIn` answers as a Linux host would, and the read is listed in
 * `standIns` for the narration to say so.
 */
import { files as fs } from './files';


/** The files a stand-in answered for, in order, once each. */
export const standIns: string[] = [];

export function noteStandIn(what: string): void {
  if (!standIns.includes(what)) standIns.push(what);
}

export function readProc(file: string, standIn: () => string): string {
  if (hasProcNow()) return fs.readFileSync(file, 'utf8');
  noteStandIn(file);
  return standIn();
}

/** Read at the call, not at load: a test can then play a machine without /proc. */
export function hasProcNow(): boolean {
  return process.platform === 'linux';
}

/** /proc/self/status as a Node process run by root on Linux shows it (man 5 proc): full capability sets, SIGPIPE and SIGXFSZ ignored. */
export const STATUS_STAND_IN = 'CapPrm:\t000001ffffffffff\nCapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\nSigIgn:\t0000000001001000\n';

/** A pure cgroup v2 host, the runtime in its root cgroup. */
export const SELF_CGROUP_STAND_IN = '0::/\n';
export const MOUNTINFO_STAND_IN = '30 1 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate\n';
