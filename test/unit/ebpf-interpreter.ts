/**
 * A tiny eBPF interpreter, for tests only: it runs a device program's bytes (as the kernel
 * receives them, struct bpf_insn) on one device, with the semantics of the kernel's
 * Documentation/bpf/standardization/instruction-set.rst: 64-bit registers, 32-bit ALU results
 * zero-extended, 64-bit jumps comparing with the sign-extended constant. It knows only the
 * instructions a device program uses, and refuses anything else, so a wrong encoding fails here.
 */
export const BLOCK = 1;
export const CHAR = 2;
export const MKNOD = 1;
export const READ = 2;
export const WRITE = 4;

export interface Device {
  type: number;
  access: number;
  major: number;
  minor: number;
}

const U64 = (1n << 64n) - 1n;
const u32 = (v: bigint) => v & 0xffffffffn;

/** Run the program on `device`: what it returns in r0 (1 allow, 0 deny). */
export function runDeviceProgram(bytes: Buffer, device: Device): number {
  // struct bpf_cgroup_dev_ctx { u32 access_type; u32 major; u32 minor; }
  const ctx = Buffer.alloc(12);
  ctx.writeUInt32LE(((device.access << 16) | device.type) >>> 0, 0);
  ctx.writeUInt32LE(device.major >>> 0, 4);
  ctx.writeUInt32LE(device.minor >>> 0, 8);
  const regs: bigint[] = new Array(11).fill(0n);
  let r1IsCtx = true; // r1 points to ctx until the program writes it
  const count = bytes.length / 8;
  for (let pc = 0, steps = 0; pc < count; pc++, steps++) {
    if (steps > 10000) throw new Error('the program does not end');
    const at = pc * 8;
    const code = bytes[at];
    const dst = bytes[at + 1] & 0xf;
    const src = bytes[at + 1] >> 4;
    const off = bytes.readInt16LE(at + 2);
    const imm = BigInt(bytes.readInt32LE(at + 4));
    const set = (reg: number, value: bigint) => {
      if (reg === 1) r1IsCtx = false;
      regs[reg] = value & U64;
    };
    switch (code) {
      case 0x61: // LDX | MEM | W
        if (src !== 1 || !r1IsCtx) throw new Error(`pc ${pc}: a load from r${src}, which is not the context`);
        if (off < 0 || off > 8 || off % 4 !== 0) throw new Error(`pc ${pc}: a load at offset ${off}, outside bpf_cgroup_dev_ctx`);
        set(dst, BigInt(ctx.readUInt32LE(off)));
        break;
      case 0x54: // ALU | AND | K
        set(dst, u32(regs[dst] & u32(imm)));
        break;
      case 0x74: // ALU | RSH | K
        set(dst, u32(regs[dst]) >> imm);
        break;
      case 0xb4: // ALU | MOV | K
        set(dst, u32(imm));
        break;
      case 0xbc: // ALU | MOV | X
        set(dst, u32(regs[src]));
        break;
      case 0x55: // JMP | JNE | K
        if (regs[dst] !== (imm & U64)) pc += off;
        break;
      case 0x5d: // JMP | JNE | X
        if (regs[dst] !== regs[src]) pc += off;
        break;
      case 0x95: // JMP | EXIT
        return Number(regs[0]);
      default:
        throw new Error(`pc ${pc}: instruction 0x${code.toString(16)} is not one a device program uses`);
    }
  }
  throw new Error('the program ran off its end');
}
