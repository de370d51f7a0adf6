/**
 * process.capabilities, applied in the order runc applies them (man 7 capabilities):
 *
 *   1. before the user changes: drop from the bounding set everything the config does not list
 *      (PR_CAPBSET_DROP needs CAP_SETPCAP, which root still has), and ask the kernel to keep the
 *      permitted set across setuid (PR_SET_KEEPCAPS: else a switch away from uid 0 clears it);
 *   2. setgroups, setgid, setuid (program.ts);
 *   3. after them: capset the effective, permitted and inheritable sets exactly as listed, then
 *      the ambient set (cleared, then each raised: a capability must be permitted and
 *      inheritable to be raised).
 *
 * Inheritable is empty unless the config lists some: a program with file capabilities could
 * otherwise gain them through it (the class of runc's CVE-2022-29162).
 */
import { readProc } from '../linux/proc';
import { capabilityMask, capabilityNumber } from '../linux/capabilities';
import { PR, PR_CAP_AMBIENT } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Process } from '../oci/spec';

type Capabilities = NonNullable<Process['capabilities']>;

/** The highest capability this kernel knows: /proc/sys/kernel/cap_last_cap. */
function lastCapability(): number {
  return Number(readProc('/proc/sys/kernel/cap_last_cap', () => '40').trim());
}

/** Step 1: the bounding set, and keep-caps. */
export function beforeUserChange(k: Kernel, caps: Capabilities): void {
  const field = 'process.capabilities.bounding';
  const keep = new Set((caps.bounding ?? []).map((name, i) => capabilityNumber(name, `${field}[${i}]`)));
  for (let cap = 0; cap <= lastCapability(); cap++) {
    if (!keep.has(cap)) k.because(field, 'Not in the bounding set of the config: gone for good, for this process and all it starts.').prctl(PR.CAPBSET_DROP, cap);
  }
  k.because('process.capabilities', 'Keep the permitted set across the setuid that follows; the config\'s sets are then set exactly.').prctl(PR.SET_KEEPCAPS, 1);
}

/**
 * Step 3: effective, permitted, inheritable, then ambient. Only what we hold can be given: as the
 * runtime-spec asks, a capability this machine does not let us have is left out, not an error
 * (create has warned about it).
 */
export function afterUserChange(k: Kernel, caps: Capabilities): void {
  const f = 'process.capabilities';
  const held = k.because(f).capget();
  const set = (names: string[] | undefined, field: string) => capabilityMask(names, field) & held;
  k.because(f).capset(set(caps.effective, `${f}.effective`), set(caps.permitted, `${f}.permitted`), set(caps.inheritable, `${f}.inheritable`));
  k.because(`${f}.ambient`, 'Start from an empty ambient set.').prctl(PR.CAP_AMBIENT, PR_CAP_AMBIENT.CLEAR_ALL);
  (caps.ambient ?? []).forEach((name, i) => {
    const cap = capabilityNumber(name, `${f}.ambient[${i}]`);
    if (!((held >> BigInt(cap)) & 1n)) return;
    k.because(`${f}.ambient[${i}]`, 'Ambient capabilities pass through execve to the program.').prctl(PR.CAP_AMBIENT, PR_CAP_AMBIENT.RAISE, cap);
  });
}
