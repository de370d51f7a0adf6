/**
 * linux.seccomp in the init (or exec's helper): compiled to a BPF program early (src/linux/seccomp/
 * compile.ts), while the runtime's files can still be loaded, and installed with seccomp(2) at
 * the end, just before execve. The filter stays on the process through execve and on everything
 * it starts, and can never be removed.
 *
 * When: installing a filter needs either no_new_privs or CAP_SYS_ADMIN (man 2 seccomp). With
 * process.noNewPrivileges it is the very last step before execve, so that the profile only has
 * to allow execve itself. Without it, as runc does, it is installed before the capabilities are
 * dropped, and every step after it (setuid, capset, ...) must then be allowed by the profile.
 */
import type { Kernel } from '../linux/kernel';
import type { CompiledFilter } from '../linux/seccomp/compile';
import type { Seccomp } from '../oci/spec';

export interface PreparedSeccomp {
  filter: CompiledFilter;
  /** What the filter does, in a sentence, for the narration. */
  summary: string;
}

/** Compile the profile. Call it before pivot_root or setns: it loads the system call tables. */
export function prepareSeccomp(seccomp: Seccomp | undefined): PreparedSeccomp | undefined {
  if (!seccomp) return undefined;
  // Loaded only by containers that have a profile: the tables of system calls are large.
  const { compile } = require('../linux/seccomp/compile') as typeof import('../linux/seccomp/compile');
  const filter = compile(seccomp);
  const names = (seccomp.syscalls ?? []).reduce((n, rule) => n + rule.names.length, 0);
  const rules = seccomp.syscalls?.length ?? 0;
  const skipped = filter.unknownNames.length ? ` Names this machine does not have, skipped: ${filter.unknownNames.join(', ')}.` : '';
  const summary =
    `${filter.program.length} BPF instructions, from ${names} names in ${rules} ${rules === 1 ? 'rule' : 'rules'}; any other call: ${seccomp.defaultAction}.` +
    ` From here on the kernel runs this program on every system call this process makes.${skipped}`;
  return { filter, summary };
}

export function installSeccomp(k: Kernel, prepared: PreparedSeccomp): void {
  k.because('linux.seccomp', prepared.summary).seccomp(prepared.filter.program, prepared.filter.flags);
}
