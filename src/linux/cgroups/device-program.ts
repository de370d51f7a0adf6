/**
 * The device allow-list on cgroup v2: a program, not a file. cgroup v2 has no devices.allow;
 * instead, before a process of the cgroup opens or creates a device node, the kernel runs the
 * BPF_PROG_TYPE_CGROUP_DEVICE programs attached to its cgroup (and to the cgroups above it) on a
 * struct bpf_cgroup_dev_ctx (linux/bpf.h):
 *
 *   offset 0  u32 access_type   low 16 bits: the device's type (BPF_DEVCG_DEV_BLOCK 1, CHAR 2),
 *                               high 16 bits: the access (BPF_DEVCG_ACC_MKNOD 1, READ 2, WRITE 4)
 *   offset 4  u32 major
 *   offset 8  u32 minor
 *
 * The program returns 1 (allow) or 0 (the call fails with EPERM).
 *
 * nk-runtime compiles the rules as runc does (libcontainer/cgroups/devices: devicefilter.go and
 * devices_emulator.go), so that a config means the same on v1 and v2:
 *   1. The rules are played, in order, on a model of a v1 devices cgroup that starts denying
 *      everything: "a" (all devices) clears the list and sets the default (allow all or deny
 *      all); any other rule adds an exception to the default, or takes one away.
 *   2. What is left is a default and a list of exceptions, all with the opposite verdict. Each
 *      exception becomes a block of instructions that returns the verdict when the device
 *      matches, and jumps over the rest of the block when it does not. The last block returns
 *      the default.
 */
import { UserError } from '../../errors';
import { asm, type EbpfInstruction } from './ebpf';

/** A rule with every field filled in: major and minor -1 for "any" (*). */
export interface DeviceRule {
  allow: boolean;
  type: 'a' | 'b' | 'c';
  major: number;
  minor: number;
  /** "r", "w", "m", in any combination. */
  access: string;
}

/** The struct bpf_cgroup_dev_ctx values (linux/bpf.h). */
export const DEV_TYPE = { b: 1, c: 2 } as const;
export const ACCESS = { m: 1, r: 2, w: 4 } as const;
const ALL_ACCESS = ACCESS.m | ACCESS.r | ACCESS.w;

/** One exception to the default: which devices, and which kinds of access. */
export interface DeviceException {
  type: 'b' | 'c';
  major: number;
  minor: number;
  /** ACCESS bits. */
  access: number;
}

/** What a list of rules leaves a v1 devices cgroup with. */
export interface DeviceAllowList {
  defaultAllow: boolean;
  /** Each with the verdict !defaultAllow, sorted by (major, minor, type) as runc writes them. */
  exceptions: DeviceException[];
}

const accessBits = (access: string) => [...access].reduce((bits, c) => bits | ACCESS[c as keyof typeof ACCESS], 0);
const accessText = (bits: number) => ['r', 'w', 'm'].filter((c) => bits & ACCESS[c as keyof typeof ACCESS]).join('');
const id = (n: number) => (n === -1 ? '*' : String(n));

/**
 * Play `rules` on a devices cgroup that denies everything, as the v1 kernel would
 * (Documentation/admin-guide/cgroup-v1/devices.rst) and as runc's emulator does. `fields` names
 * each rule's config field, for errors.
 */
export function emulateDeviceRules(rules: DeviceRule[], fields: string[] = []): DeviceAllowList {
  let defaultAllow = false;
  let exceptions = new Map<string, DeviceException>();
  const key = (e: { type: string; major: number; minor: number }) => `${e.type} ${e.major}:${e.minor}`;
  rules.forEach((rule, i) => {
    if (rule.type === 'a') {
      // "a" means every device and every access, whatever else the rule says.
      defaultAllow = rule.allow;
      exceptions = new Map();
      return;
    }
    const access = accessBits(rule.access);
    const match = { type: rule.type, major: rule.major, minor: rule.minor };
    // Allowing where everything is allowed removes a deny exception; denying where everything is
    // denied removes an allow exception. Otherwise the rule is an exception of its own.
    if (rule.allow !== defaultAllow) {
      const old = exceptions.get(key(match));
      exceptions.set(key(match), { ...match, access: (old?.access ?? 0) | access });
      return;
    }
    // The v1 kernel takes away only the exception of exactly these numbers, and silently ignores
    // the rest: "deny c 1:3" does not punch a hole into "allow c *:* rwm". runc refuses such a
    // rule rather than give a false sense of safety; so do we.
    for (const wider of [{ ...match, major: -1 }, { ...match, minor: -1 }, { ...match, major: -1, minor: -1 }]) {
      if (key(wider) === key(match)) continue;
      const held = exceptions.get(key(wider));
      if (held && held.access & access) {
        throw new UserError(
          `${fields[i] ?? 'linux.resources.devices'}: "${rule.allow ? 'allow' : 'deny'} ${rule.type} ${id(rule.major)}:${id(rule.minor)} ${rule.access}" ` +
            `cannot take access away from the wider rule "${held.type} ${id(held.major)}:${id(held.minor)} ${accessText(held.access)}" before it`,
          'a devices cgroup (v1, and runc\'s rules on v2) cannot punch a hole into a wildcard rule: list the devices one by one instead',
        );
      }
    }
    const old = exceptions.get(key(match));
    if (!old) return;
    const left = old.access & ~access;
    if (left === 0) exceptions.delete(key(match));
    else exceptions.set(key(match), { ...old, access: left });
  });
  const sorted = [...exceptions.values()].sort((a, b) => a.major - b.major || a.minor - b.minor || a.type.localeCompare(b.type));
  return { defaultAllow, exceptions: sorted };
}

/** What the program keeps in its registers, for the disassembly. */
export const REGISTERS: Record<number, string> = { 2: 'type', 3: 'access', 4: 'major', 5: 'minor' };

/**
 * The program for an allow-list: the instructions runc's devicefilter.go generates. R1 is the
 * address of the bpf_cgroup_dev_ctx; the first six instructions spread it over R2..R5.
 */
export function compileDeviceProgram(list: DeviceAllowList): EbpfInstruction[] {
  const program: EbpfInstruction[] = [
    asm.loadWord(2, 1, 0), // r2 = access_type
    asm.and32(2, 0xffff), //   its low half: the device type
    asm.loadWord(3, 1, 0), // r3 = access_type
    asm.rsh32(3, 16), //       its high half: the access asked for
    asm.loadWord(4, 1, 4), // r4 = major
    asm.loadWord(5, 1, 8), // r5 = minor
  ];
  const verdict = list.defaultAllow ? 0 : 1; // of every exception
  const NEXT = Number.NaN; // a jump to the next block: its distance is known once the block is
  for (const e of list.exceptions) {
    const block: EbpfInstruction[] = [asm.jneImm(2, DEV_TYPE[e.type], NEXT)];
    if (e.access !== ALL_ACCESS) {
      // Every access asked for must be among the rule's: (access & rule) == access. R1 (the ctx)
      // is not needed any more, so it holds the sum.
      block.push(asm.mov32Reg(1, 3), asm.and32(1, e.access), asm.jneReg(1, 3, NEXT));
    }
    if (e.major !== -1) block.push(asm.jneImm(4, e.major, NEXT));
    if (e.minor !== -1) block.push(asm.jneImm(5, e.minor, NEXT));
    block.push(asm.mov32(0, verdict), asm.exit());
    block.forEach((ins, i) => {
      if (Number.isNaN(ins.off)) ins.off = block.length - i - 1;
    });
    program.push(...block);
  }
  program.push(asm.mov32(0, list.defaultAllow ? 1 : 0), asm.exit());
  return program;
}

/** The allow-list in words, for the narration: "deny by default; allow c 1:3 rwm, c 136:* rwm". */
export function describeAllowList(list: DeviceAllowList): string {
  const verdict = list.defaultAllow ? 'deny' : 'allow';
  const rules = list.exceptions.map((e) => `${e.type} ${id(e.major)}:${id(e.minor)} ${accessText(e.access)}`);
  return `${list.defaultAllow ? 'allow' : 'deny'} every device by default${rules.length ? `; ${verdict} ${rules.join(', ')}` : ''}`;
}
