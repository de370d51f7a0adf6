/**
 * eBPF, the kernel's second little machine (classic BPF, seccomp's, is the first: see
 * src/linux/seccomp/bpf.ts). A cgroup v2 device program is written for it: the kernel's
 * Documentation/bpf/standardization/instruction-set.rst describes it all, man 2 bpf loads it.
 *
 * What changed from classic BPF: eleven 64-bit registers instead of one accumulator. R1 holds
 * the program's input when it starts (here: the address of a struct bpf_cgroup_dev_ctx), R0 its
 * result when it exits; R10 is the stack. Each instruction is 8 bytes, like classic BPF's, laid
 * out as struct bpf_insn (linux/bpf.h):
 *
 *   byte 0     code    what to do: class (3 bits) | operation or size (5 bits)
 *   byte 1     regs    dst register (low 4 bits), src register (high 4 bits)
 *   bytes 2-3  off     a signed 16-bit offset: of a memory load, or of a jump (in instructions)
 *   bytes 4-7  imm     a signed 32-bit constant
 *
 * Jumps go forwards only here (the verifier allows loops, but this program needs none). This file
 * has the few instructions a device program uses, their encoding and a disassembler for -EE.
 */

/** One instruction, as struct bpf_insn. */
export interface EbpfInstruction {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// The codes used here: class | operation | source (K: the constant imm, X: the src register).
export const OP = {
  LDX_MEM_W: 0x61, // dst = *(u32 *)(src + off)
  ALU32_AND_K: 0x54, // dst = (u32)dst & imm
  ALU32_RSH_K: 0x74, // dst = (u32)dst >> imm
  ALU32_MOV_K: 0xb4, // dst = (u32)imm
  ALU32_MOV_X: 0xbc, // dst = (u32)src
  JMP_JNE_K: 0x55, // if dst != imm: skip off instructions
  JMP_JNE_X: 0x5d, // if dst != src: skip off instructions
  JMP_EXIT: 0x95, // return R0
} as const;

/** The assembler: one function per instruction, named as the kernel's filter.h macros are. */
export const asm = {
  loadWord: (dst: number, src: number, off: number): EbpfInstruction => ({ code: OP.LDX_MEM_W, dst, src, off, imm: 0 }),
  and32: (dst: number, imm: number): EbpfInstruction => ({ code: OP.ALU32_AND_K, dst, src: 0, off: 0, imm }),
  rsh32: (dst: number, imm: number): EbpfInstruction => ({ code: OP.ALU32_RSH_K, dst, src: 0, off: 0, imm }),
  mov32: (dst: number, imm: number): EbpfInstruction => ({ code: OP.ALU32_MOV_K, dst, src: 0, off: 0, imm }),
  mov32Reg: (dst: number, src: number): EbpfInstruction => ({ code: OP.ALU32_MOV_X, dst, src, off: 0, imm: 0 }),
  jneImm: (dst: number, imm: number, off: number): EbpfInstruction => ({ code: OP.JMP_JNE_K, dst, src: 0, off, imm }),
  jneReg: (dst: number, src: number, off: number): EbpfInstruction => ({ code: OP.JMP_JNE_X, dst, src, off, imm: 0 }),
  exit: (): EbpfInstruction => ({ code: OP.JMP_EXIT, dst: 0, src: 0, off: 0, imm: 0 }),
};

/** The struct bpf_insn array the kernel reads: 8 bytes an instruction, little-endian. */
export function encode(program: EbpfInstruction[]): Buffer {
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((ins, i) => {
    buffer.writeUInt8(ins.code, i * 8);
    buffer.writeUInt8((ins.dst & 0xf) | ((ins.src & 0xf) << 4), i * 8 + 1);
    buffer.writeInt16LE(ins.off, i * 8 + 2);
    buffer.writeInt32LE(ins.imm | 0, i * 8 + 4);
  });
  return buffer;
}

/** The instructions in a struct bpf_insn array (what `encode` made). */
export function decode(bytes: Buffer): EbpfInstruction[] {
  const program: EbpfInstruction[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += 8) {
    const regs = bytes[at + 1];
    program.push({ code: bytes[at], dst: regs & 0xf, src: regs >> 4, off: bytes.readInt16LE(at + 2), imm: bytes.readInt32LE(at + 4) });
  }
  return program;
}

/**
 * The program as a learner reads it, one line per instruction, in C-like words:
 *   `   6: if r2 != 2 goto 12`
 * `names` says what a register holds, where the program gave it a meaning (r2: "type").
 */
export function disassemble(program: EbpfInstruction[], names: Record<number, string> = {}): string[] {
  const reg = (n: number) => (names[n] ? `r${n} (${names[n]})` : `r${n}`);
  return program.map((ins, i) => {
    const at = String(i).padStart(4);
    const to = i + 1 + ins.off;
    switch (ins.code) {
      case OP.LDX_MEM_W:
        return `${at}: ${reg(ins.dst)} = *(u32 *)(r${ins.src} + ${ins.off})`;
      case OP.ALU32_AND_K:
        return `${at}: ${reg(ins.dst)} &= 0x${(ins.imm >>> 0).toString(16)}`;
      case OP.ALU32_RSH_K:
        return `${at}: ${reg(ins.dst)} >>= ${ins.imm}`;
      case OP.ALU32_MOV_K:
        return `${at}: r${ins.dst} = ${ins.imm}`;
      case OP.ALU32_MOV_X:
        return `${at}: r${ins.dst} = ${reg(ins.src)}`;
      case OP.JMP_JNE_K:
        return `${at}: if ${reg(ins.dst)} != ${ins.imm} goto ${to}`;
      case OP.JMP_JNE_X:
        return `${at}: if r${ins.dst} != ${reg(ins.src)} goto ${to}`;
      case OP.JMP_EXIT:
        return `${at}: exit (return r0)`;
      default:
        return `${at}: (code 0x${ins.code.toString(16)}, dst r${ins.dst}, src r${ins.src}, off ${ins.off}, imm ${ins.imm})`;
    }
  });
}
