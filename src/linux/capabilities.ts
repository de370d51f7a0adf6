/**
 * Linux capabilities: root's powers, split into about forty, each granted or not. man 7
 * capabilities. A process has five sets of them:
 *
 *   bounding     the most it can ever have again: a capability dropped here is gone for good
 *   permitted    what it may use (and add to effective)
 *   effective    what the kernel checks right now
 *   inheritable  what may pass through execve to a program that asks for it (file capabilities)
 *   ambient      what passes through execve to any program, even without file capabilities
 *
 * In the kernel's interfaces each set is a 64-bit mask: bit N is capability N.
 */
import { UserError } from '../errors';

/** The capabilities by number, as <linux/capability.h> numbers them. */
export const CAPABILITIES = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** "CAP_KILL" -> 5; an unknown name is an error naming the config field. */
export function capabilityNumber(name: string, field: string): number {
  const n = (CAPABILITIES as readonly string[]).indexOf(name);
  if (n < 0) throw new UserError(`config.json: ${field}: unknown capability ${JSON.stringify(name)}`, 'see man 7 capabilities for the names (CAP_CHOWN, CAP_NET_BIND_SERVICE, ...)');
  return n;
}

/** A set as a mask: bit N for capability N. */
export function capabilityMask(names: string[] | undefined, field: string): bigint {
  let mask = 0n;
  (names ?? []).forEach((name, i) => (mask |= 1n << BigInt(capabilityNumber(name, `${field}[${i}]`))));
  return mask;
}

/** A large mask, short: "all 41 but CAP_SYS_RESOURCE"; a small one by its names. */
export function capabilitySummary(mask: bigint): string {
  const held = CAPABILITIES.filter((_, n) => (mask >> BigInt(n)) & 1n);
  if (held.length <= CAPABILITIES.length / 2) return capabilityNames(mask);
  const missing = CAPABILITIES.filter((_, n) => !((mask >> BigInt(n)) & 1n));
  return missing.length === 0 ? `all ${CAPABILITIES.length}` : `all ${CAPABILITIES.length} but ${missing.join('|')}`;
}

/** A mask as names, for the narration: "CAP_KILL|CAP_NET_BIND_SERVICE", or "0". */
export function capabilityNames(mask: bigint): string {
  const names = CAPABILITIES.filter((_, n) => (mask >> BigInt(n)) & 1n);
  const beyond = mask >> BigInt(CAPABILITIES.length);
  if (beyond) names.push(`0x${(beyond << BigInt(CAPABILITIES.length)).toString(16)}` as never);
  return names.length > 0 ? names.join('|') : '0';
}

/**
 * A capability set of this process, from /proc/self/status (man 5 proc): "CapBnd", "CapPrm", ...
 * A runtime can only hand on what it has: in a restricted environment (a container, a sandbox)
 * its bounding set may lack some.
 */
export function ownCapabilities(set: 'CapBnd' | 'CapPrm'): bigint {
  const { readProc, STATUS_STAND_IN } = require('./proc') as typeof import('./proc');
  const line = readProc('/proc/self/status', () => STATUS_STAND_IN).split('\n').find((l: string) => l.startsWith(`${set}:`));
  return BigInt(`0x${line?.split(/\s+/)[1] ?? '0'}`);
}

/**
 * The capabilities a config asks for that this runtime does not have itself (its bounding set):
 * they cannot be granted, and are left out with a warning (runtime-spec config.md, "capabilities").
 */
export function ungrantable(caps: Partial<Record<'bounding' | 'effective' | 'permitted' | 'inheritable' | 'ambient', string[]>> | undefined): string[] {
  if (!caps) return [];
  const have = ownCapabilities('CapBnd');
  const asked = new Set([caps.bounding, caps.effective, caps.permitted, caps.inheritable, caps.ambient].flatMap((names) => names ?? []));
  return [...asked].filter((name) => {
    const n = CAPABILITIES.indexOf(name as (typeof CAPABILITIES)[number]);
    return n >= 0 && !((have >> BigInt(n)) & 1n);
  });
}
