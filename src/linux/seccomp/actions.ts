/**
 * The words of linux.seccomp (runtime-spec config-linux.md, "Seccomp") and what each means to the
 * kernel. Kept apart from the compiler so that checking a config does not load the system call
 * tables.
 */
import { RET } from './bpf';
import { SECCOMP_FILTER_FLAG } from '../constants';

/** The actions, and the verdict each becomes. SCMP_ACT_NOTIFY (a seccomp agent) is not supported. */
export const ACTIONS: Record<string, number> = {
  SCMP_ACT_KILL: RET.KILL_THREAD,
  SCMP_ACT_KILL_THREAD: RET.KILL_THREAD,
  SCMP_ACT_KILL_PROCESS: RET.KILL_PROCESS,
  SCMP_ACT_TRAP: RET.TRAP,
  SCMP_ACT_ERRNO: RET.ERRNO,
  SCMP_ACT_TRACE: RET.TRACE,
  SCMP_ACT_LOG: RET.LOG,
  SCMP_ACT_ALLOW: RET.ALLOW,
};

/** The flags of seccomp(2) a config may ask for, by their names in the spec. */
export const FILTER_FLAGS: Record<string, number> = Object.fromEntries(
  Object.entries(SECCOMP_FILTER_FLAG).map(([name, bit]) => [`SECCOMP_FILTER_FLAG_${name}`, bit]),
);

/** The comparisons an argument condition may make. */
export const COMPARISONS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'];
