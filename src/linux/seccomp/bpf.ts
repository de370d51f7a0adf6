/**
 * Classic BPF, the little machine a seccomp filter is written for (man 2 seccomp, and the
 * kernel's Documentation/networking/filter.rst): an accumulator A, a program of 8-byte
 * instructions `{ code, jt, jf, k }`, and, as input, the `seccomp_data` of one system call:
 *
 *   offset  0  nr                   the system call's number
 *   offset  4  arch                 AUDIT_ARCH_*: which calling convention (x86_64, i386, ...)
 *   offset  8  instruction_pointer
 *   offset 16  args[6]              six 64-bit arguments, each as two 32-bit words (low word first)
 *
 * The program may only jump forwards, so it always ends; its `ret` value is the verdict. This file
 * has the instructions seccomp filters need, a disassembler (for -E) and an interpreter (to check
 * a compiled filter without the kernel, in tests and for the curious).
 */

/** One instruction, as struct sock_filter (linux/filter.h). */
export interface Instruction {
  code: number;
  jt: number;
  jf: number;
  k: number;
}

// The instruction codes used here: class | size | mode (or class | operation | source).
export const BPF = {
  LD_W_ABS: 0x20, // A = 32-bit word at offset k of seccomp_data
  ALU_AND_K: 0x54, // A &= k
  JMP_JA: 0x05, // jump k forwards, always
  JMP_JEQ_K: 0x15, // A == k ? jump jt : jump jf
  JMP_JGT_K: 0x25, // A >  k (unsigned) ? ...
  JMP_JGE_K: 0x35, // A >= k (unsigned) ? ...
  RET_K: 0x06, // return k
} as const;

/** Where the fields of struct seccomp_data are. */
export const DATA = {
  nr: 0,
  arch: 4,
  argLow: (i: number) => 16 + 8 * i,
  argHigh: (i: number) => 20 + 8 * i,
} as const;

/** The verdicts a filter returns (the top 16 bits; the low 16 carry data such as an errno). */
export const RET = {
  KILL_PROCESS: 0x80000000,
  KILL_THREAD: 0x00000000,
  TRAP: 0x00030000,
  ERRNO: 0x00050000,
  USER_NOTIF: 0x7fc00000,
  TRACE: 0x7ff00000,
  LOG: 0x7ffc0000,
  ALLOW: 0x7fff0000,
} as const;

/** The 8-byte struct sock_filter array the kernel reads. */
export function encode(program: Instruction[]): Buffer {
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    buffer.writeUInt16LE(ins.code, i * 8);
    buffer.writeUInt8(ins.jt, i * 8 + 2);
    buffer.writeUInt8(ins.jf, i * 8 + 3);
    buffer.writeUInt32LE(ins.k >>> 0, i * 8 + 4);
  });
  return buffer;
}

/** The instructions in a struct sock_filter array (what `encode` made). */
export function decode(bytes: Buffer): Instruction[] {
  const program: Instruction[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) {
    program.push({ code: bytes.readUInt16LE(at), jt: bytes[at + 2], jf: bytes[at + 3], k: bytes.readUInt32LE(at + 4) });
  }
  return program;
}

/** A verdict in words: "ERRNO(1)", "ALLOW", "KILL_PROCESS". */
export function describeVerdict(value: number): string {
  const action = (value & 0xffff0000) >>> 0;
  const data = value & 0xffff;
  const name = Object.entries(RET).find(([, v]) => v === action)?.[0] ?? `0x${action.toString(16)}`;
  return action === RET.ERRNO || action === RET.TRACE ? `${name}(${data})` : name;
}

function field(offset: number): string {
  if (offset === DATA.nr) return 'nr';
  if (offset === DATA.arch) return 'arch';
  const arg = Math.floor((offset - 16) / 8);
  return offset % 8 === 0 ? `args[${arg}] low` : `args[${arg}] high`;
}

/** The AUDIT_ARCH_* values a filter compares `arch` with (linux/audit.h). */
const ARCH_NAMES: Record<number, string> = { 0xc000003e: 'AUDIT_ARCH_X86_64', 0xc00000b7: 'AUDIT_ARCH_AARCH64', 0x40000003: 'AUDIT_ARCH_I386', 0x40000028: 'AUDIT_ARCH_ARM' };

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;

/**
 * The program as a learner reads it, one line per instruction:
 *   `  12: if nr == 59 (execve) goto 13 else goto 14`
 * `callName` turns a number compared with nr into its name.
 */
export function disassemble(program: Instruction[], callName: (nr: number) => string | undefined = () => undefined): string[] {
  let loaded = '';
  return program.map((ins, i) => {
    const at = String(i).padStart(4);
    const to = (offset: number) => i + 1 + offset;
    switch (ins.code) {
      case BPF.LD_W_ABS:
        loaded = field(ins.k);
        return `${at}: A = ${loaded}`;
      case BPF.ALU_AND_K:
        return `${at}: A &= ${hex(ins.k)}`;
      case BPF.JMP_JA:
        return `${at}: goto ${to(ins.k)}`;
      case BPF.JMP_JEQ_K:
      case BPF.JMP_JGT_K:
      case BPF.JMP_JGE_K: {
        const op = ins.code === BPF.JMP_JEQ_K ? '==' : ins.code === BPF.JMP_JGT_K ? '>' : '>=';
        const name = loaded === 'nr' ? (ins.code === BPF.JMP_JEQ_K ? callName(ins.k) : ins.k === 0x40000000 ? 'the x32 ABI' : undefined) : loaded === 'arch' ? ARCH_NAMES[ins.k] : undefined;
        const value = loaded === 'nr' ? String(ins.k) : hex(ins.k);
        return `${at}: if A ${op} ${value}${name ? ` (${name})` : ''} goto ${to(ins.jt)} else goto ${to(ins.jf)}`;
      }
      case BPF.RET_K:
        return `${at}: return ${describeVerdict(ins.k)}`;
      default:
        return `${at}: (code ${hex(ins.code)}, jt ${ins.jt}, jf ${ins.jf}, k ${hex(ins.k)})`;
    }
  });
}

/** One system call as the filter sees it. Arguments are unsigned 64-bit values. */
export interface SyscallData {
  nr: number;
  arch: number;
  args?: bigint[];
}

/** Run the filter on one call, as the kernel would: the verdict (a RET value | data). */
export function runFilter(program: Instruction[], call: SyscallData): number {
  const word = (offset: number): number => {
    if (offset === DATA.nr) return call.nr >>> 0;
    if (offset === DATA.arch) return call.arch >>> 0;
    const arg = call.args?.[Math.floor((offset - 16) / 8)] ?? 0n;
    return Number(offset % 8 === 0 ? arg & 0xffffffffn : (arg >> 32n) & 0xffffffffn);
  };
  let a = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const ins = program[pc];
    switch (ins.code) {
      case BPF.LD_W_ABS:
        a = word(ins.k);
        break;
      case BPF.ALU_AND_K:
        a = (a & ins.k) >>> 0;
        break;
      case BPF.JMP_JA:
        pc += ins.k;
        break;
      case BPF.JMP_JEQ_K:
        pc += a === ins.k >>> 0 ? ins.jt : ins.jf;
        break;
      case BPF.JMP_JGT_K:
        pc += a > ins.k >>> 0 ? ins.jt : ins.jf;
        break;
      case BPF.JMP_JGE_K:
        pc += a >= ins.k >>> 0 ? ins.jt : ins.jf;
        break;
      case BPF.RET_K:
        return ins.k >>> 0;
      default:
        throw new Error(`unknown BPF instruction ${hex(ins.code)} at ${pc}`);
    }
  }
  throw new Error('the filter ran off its end without returning');
}
