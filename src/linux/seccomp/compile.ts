/**
 * linux.seccomp, compiled to a classic BPF program the kernel runs on every system call of the
 * container (man 2 seccomp). runc and crun hand this job to libseccomp, a C library; here it is a
 * page of TypeScript, so a learner can read what the filter does:
 *
 *   1. check the architecture: a call made through another calling convention (a 32-bit program,
 *      the x32 ABI) has other numbers, and would slip past rules written for ours: it is killed;
 *   2. for each rule, in the config's order: if the call's number is one of the rule's names (and
 *      its arguments meet the rule's conditions), return the rule's action. The first match wins;
 *   3. otherwise, return defaultAction.
 *
 * Only this machine's architecture is compiled (x86_64 or aarch64): `architectures` may list
 * others, but nk-runtime has no tables for them, so their calls are killed (as libseccomp does for
 * an architecture the filter does not name). Names this machine's table does not know are skipped,
 * as runc does: a profile written for newer kernels still loads.
 */
import type { Seccomp, SeccompArg } from '../../oci/spec';
import { BPF, DATA, RET, type Instruction } from './bpf';
import { AARCH64, X86_64 } from './syscall-table';
import { ACTIONS, FILTER_FLAGS } from './actions';

/** AUDIT_ARCH_* (linux/audit.h): what seccomp_data.arch holds for each calling convention. */
const AUDIT_ARCH = { x64: 0xc000003e, arm64: 0xc00000b7 } as const;
/** On x86_64, numbers with this bit set are the x32 ABI's (same arch value, other meanings). */
const X32_SYSCALL_BIT = 0x40000000;

/** The architecture a filter is compiled for, with its system call table. */
export interface Arch {
  name: 'x64' | 'arm64';
  audit: number;
  table: Record<string, number>;
}

export function nativeArch(arch: string = process.arch): Arch {
  if (arch === 'x64') return { name: 'x64', audit: AUDIT_ARCH.x64, table: X86_64 };
  if (arch === 'arm64') return { name: 'arm64', audit: AUDIT_ARCH.arm64, table: AARCH64 };
  throw new Error(`seccomp: nk-runtime has system call tables for x86_64 and aarch64, not ${arch}`);
}

const EPERM = 1;

/** The verdict for an action, with its errno (ERRNO) or message (TRACE) in the low 16 bits. */
export function verdict(action: string, errnoRet: number | undefined): number {
  const base = ACTIONS[action];
  if (base === undefined) throw new Error(`seccomp: unknown action ${action}`);
  if (base === RET.ERRNO || base === RET.TRACE) return (base | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
  return base;
}

export interface CompiledFilter {
  program: Instruction[];
  /** The flags word for seccomp(2). */
  flags: number;
  /** Names in the config that this machine's table does not know (skipped). */
  unknownNames: string[];
}

// A program under construction: jumps name labels, resolved to offsets at the end.
type Target = string | number; // a label, or 0 for "the next instruction"
interface Pending {
  code: number;
  k: number;
  jt: Target;
  jf: Target;
}

class Assembler {
  readonly out: (Pending | { label: string })[] = [];
  private labels = 0;

  label(): string {
    return `L${this.labels++}`;
  }
  place(label: string): void {
    this.out.push({ label });
  }
  load(offset: number): void {
    this.emit(BPF.LD_W_ABS, offset);
  }
  and(mask: number): void {
    this.emit(BPF.ALU_AND_K, mask);
  }
  jump(code: number, k: number, jt: Target, jf: Target): void {
    this.out.push({ code, k: k >>> 0, jt, jf });
  }
  ret(value: number): void {
    this.emit(BPF.RET_K, value);
  }
  private emit(code: number, k: number): void {
    this.out.push({ code, k: k >>> 0, jt: 0, jf: 0 });
  }

  /** Turn labels into forward offsets (at most 255 instructions away: the jt/jf fields are 8 bits). */
  finish(): Instruction[] {
    const where = new Map<string, number>();
    const instructions: Pending[] = [];
    for (const item of this.out) {
      if ('label' in item) where.set(item.label, instructions.length);
      else instructions.push(item);
    }
    return instructions.map((ins, i) => {
      const offset = (target: Target) => {
        if (typeof target === 'number') return target;
        const distance = where.get(target)! - (i + 1);
        if (distance < 0 || distance > 255) throw new Error(`seccomp: a jump of ${distance} instructions does not fit`);
        return distance;
      };
      return { code: ins.code, jt: offset(ins.jt), jf: offset(ins.jf), k: ins.k };
    });
  }
}

/** Split a 64-bit value into its high and low 32-bit words. */
function words(value: number | bigint): [number, number] {
  const v = BigInt.asUintN(64, BigInt(value));
  return [Number(v >> 32n), Number(v & 0xffffffffn)];
}

/**
 * Code that falls through when argument condition `arg` holds and jumps to `fail` when not.
 * A 64-bit comparison is made of two 32-bit ones: the high words decide, unless they are equal.
 */
function condition(asm: Assembler, arg: SeccompArg, fail: string): void {
  const [hi, lo] = words(arg.value);
  const ok = asm.label();
  asm.load(DATA.argHigh(arg.index));
  switch (arg.op) {
    case 'SCMP_CMP_EQ':
      asm.jump(BPF.JMP_JEQ_K, hi, 0, fail);
      asm.load(DATA.argLow(arg.index));
      asm.jump(BPF.JMP_JEQ_K, lo, 0, fail);
      break;
    case 'SCMP_CMP_NE':
      asm.jump(BPF.JMP_JEQ_K, hi, 0, ok);
      asm.load(DATA.argLow(arg.index));
      asm.jump(BPF.JMP_JEQ_K, lo, fail, ok);
      break;
    case 'SCMP_CMP_MASKED_EQ': {
      // value is the mask, valueTwo what the masked argument must equal.
      const [dataHi, dataLo] = words(arg.valueTwo ?? 0);
      asm.and(hi);
      asm.jump(BPF.JMP_JEQ_K, dataHi, 0, fail);
      asm.load(DATA.argLow(arg.index));
      asm.and(lo);
      asm.jump(BPF.JMP_JEQ_K, dataLo, 0, fail);
      break;
    }
    case 'SCMP_CMP_GT':
    case 'SCMP_CMP_GE':
      asm.jump(BPF.JMP_JGT_K, hi, ok, 0);
      asm.jump(BPF.JMP_JEQ_K, hi, 0, fail);
      asm.load(DATA.argLow(arg.index));
      asm.jump(arg.op === 'SCMP_CMP_GT' ? BPF.JMP_JGT_K : BPF.JMP_JGE_K, lo, ok, fail);
      break;
    case 'SCMP_CMP_LT': // not >=
    case 'SCMP_CMP_LE': // not >
      asm.jump(BPF.JMP_JGT_K, hi, fail, 0);
      asm.jump(BPF.JMP_JEQ_K, hi, 0, ok);
      asm.load(DATA.argLow(arg.index));
      asm.jump(arg.op === 'SCMP_CMP_LT' ? BPF.JMP_JGE_K : BPF.JMP_JGT_K, lo, fail, ok);
      break;
    default:
      throw new Error(`seccomp: unknown comparison ${arg.op}`);
  }
  asm.place(ok);
}

/**
 * The conditions of one rule, as the groups that must hold together. As runc: all conditions of a
 * rule hold together, except that several conditions on the same argument are alternatives (a
 * rule each): `personality(0)` or `personality(8)`.
 */
function conditionGroups(args: SeccompArg[] | undefined): SeccompArg[][] {
  if (!args?.length) return [[]];
  const indexes = args.map((a) => a.index);
  return new Set(indexes).size === indexes.length ? [args] : args.map((a) => [a]);
}

export function compile(seccomp: Seccomp, arch: Arch = nativeArch()): CompiledFilter {
  const asm = new Assembler();
  const defaultVerdict = verdict(seccomp.defaultAction, seccomp.defaultErrnoRet);
  const unknownNames: string[] = [];

  // 1. The architecture, and on x86_64 the x32 ABI.
  const archOk = asm.label();
  asm.load(DATA.arch);
  asm.jump(BPF.JMP_JEQ_K, arch.audit, archOk, 0);
  asm.ret(RET.KILL_PROCESS);
  asm.place(archOk);
  asm.load(DATA.nr);
  if (arch.name === 'x64') {
    const native = asm.label();
    asm.jump(BPF.JMP_JGE_K, X32_SYSCALL_BIT, 0, native);
    asm.ret(RET.KILL_PROCESS);
    asm.place(native);
  }

  // 2. The rules. A holds nr, except after a rule with conditions (which loads arguments).
  let holdsNr = true;
  for (const rule of seccomp.syscalls ?? []) {
    const ruleVerdict = verdict(rule.action, rule.errnoRet);
    // A rule that does what the default does changes nothing (runc skips these too).
    if (ruleVerdict === defaultVerdict) continue;
    for (const name of rule.names) {
      const nr = arch.table[name];
      if (nr === undefined) {
        if (!unknownNames.includes(name)) unknownNames.push(name);
        continue;
      }
      for (const group of conditionGroups(rule.args)) {
        const next = asm.label();
        if (!holdsNr) asm.load(DATA.nr);
        asm.jump(BPF.JMP_JEQ_K, nr, 0, next);
        for (const arg of group) condition(asm, arg, next);
        asm.ret(ruleVerdict);
        asm.place(next);
        holdsNr = group.length === 0;
      }
    }
  }

  // 3. No rule matched.
  asm.ret(defaultVerdict);

  const program = asm.finish();
  // BPF_MAXINSNS (linux/bpf_common.h): the kernel refuses longer programs with EINVAL.
  if (program.length > 4096) throw new Error(`seccomp: the filter has ${program.length} instructions; the kernel takes at most 4096`);
  const flags = (seccomp.flags ?? []).reduce((all, flag) => all | (FILTER_FLAGS[flag] ?? 0), 0);
  return { program, flags, unknownNames };
}

/** The name of call number `nr` in a table (for the disassembly). */
export function syscallName(arch: Arch): (nr: number) => string | undefined {
  const names = new Map(Object.entries(arch.table).map(([name, nr]) => [nr, name]));
  return (nr) => names.get(nr);
}
