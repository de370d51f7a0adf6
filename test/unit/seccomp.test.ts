/**
 * The seccomp compiler, checked by running its programs in the BPF interpreter (src/linux/seccomp/
 * bpf.ts) on made-up system calls: verdicts, the architecture check, argument comparisons against
 * BigInt arithmetic, and the encoding the kernel reads.
 */
import t from 'tap';
import { RET, disassemble, encode, runFilter, describeVerdict } from '../../src/linux/seccomp/bpf';
import { compile, nativeArch, syscallName, type Arch } from '../../src/linux/seccomp/compile';
import { X86_64, AARCH64 } from '../../src/linux/seccomp/syscall-table';
import { defaultSeccomp } from '../../src/oci/default-seccomp';
import type { SeccompArg } from '../../src/oci/spec';

const x64: Arch = nativeArch('x64');
const arm64: Arch = nativeArch('arm64');
const call = (arch: Arch, name: string, args: bigint[] = []) => ({ nr: arch.table[name], arch: arch.audit, args });

t.test('the tables: known numbers for both architectures', async (t) => {
  t.equal(X86_64.read, 0);
  t.equal(X86_64.execve, 59);
  t.equal(X86_64.openat, 257);
  t.equal(AARCH64.openat, 56);
  t.equal(AARCH64.execve, 221);
  t.equal(AARCH64.open, undefined, 'aarch64 has no open(2), only openat');
  t.equal(X86_64.clone3, 435);
  t.equal(AARCH64.clone3, 435, 'from 424 on, every architecture shares the numbers');
});

t.test('default action, a rule, errnoRet, first match wins', async (t) => {
  const { program } = compile(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      defaultErrnoRet: 38,
      syscalls: [
        { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
        { names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
        { names: ['uname'], action: 'SCMP_ACT_KILL_PROCESS' },
        { names: ['read'], action: 'SCMP_ACT_KILL' },
      ],
    },
    x64,
  );
  t.equal(runFilter(program, call(x64, 'read')), RET.ALLOW);
  t.equal(runFilter(program, call(x64, 'write')), RET.ALLOW);
  t.equal(runFilter(program, call(x64, 'mkdir')), RET.ERRNO | 13);
  t.equal(runFilter(program, call(x64, 'uname')), RET.KILL_PROCESS);
  t.equal(runFilter(program, call(x64, 'getpid')), RET.ERRNO | 38, 'the default, with defaultErrnoRet');
  t.equal(describeVerdict(runFilter(program, call(x64, 'mkdir'))), 'ERRNO(13)');
});

t.test('ERRNO without errnoRet is EPERM; rules equal to the default are left out', async (t) => {
  const a = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ERRNO' }] }, x64);
  t.equal(runFilter(a.program, call(x64, 'mount')), RET.ERRNO | 1);
  const b = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mount'], action: 'SCMP_ACT_ALLOW' }] }, x64);
  const c = compile({ defaultAction: 'SCMP_ACT_ALLOW' }, x64);
  t.same(b.program, c.program, 'an ALLOW rule under an ALLOW default adds nothing');
});

t.test('another architecture, and the x32 ABI, are killed', async (t) => {
  const { program } = compile({ defaultAction: 'SCMP_ACT_ALLOW' }, x64);
  t.equal(runFilter(program, { nr: 3, arch: 0x40000003 }), RET.KILL_PROCESS, 'i386');
  t.equal(runFilter(program, { nr: 0x40000000 | 1, arch: x64.audit }), RET.KILL_PROCESS, 'x32 write');
  t.equal(runFilter(program, { nr: 1, arch: x64.audit }), RET.ALLOW);
  const arm = compile({ defaultAction: 'SCMP_ACT_ALLOW' }, arm64);
  t.equal(runFilter(arm.program, { nr: 1, arch: x64.audit }), RET.KILL_PROCESS, 'x86_64 call to an aarch64 filter');
  t.equal(runFilter(arm.program, call(arm64, 'openat')), RET.ALLOW);
});

t.test('unknown names are skipped and reported', async (t) => {
  const { program, unknownNames } = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['read', 'no_such_call', 'open'], action: 'SCMP_ACT_ALLOW' }] }, arm64);
  t.same(unknownNames, ['no_such_call', 'open']);
  t.equal(runFilter(program, call(arm64, 'read')), RET.ALLOW);
});

t.test('flags', async (t) => {
  t.equal(compile({ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG', 'SECCOMP_FILTER_FLAG_SPEC_ALLOW'] }, x64).flags, 6);
});

// Every comparison, on values chosen to hit the edges of the two 32-bit halves.
const EDGES = [0n, 1n, 2n, 0xffffffffn, 0x100000000n, 0x100000001n, 0x1ffffffffn, 0xfffffffffffffffen, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffff00000000n];
const OPS: Record<string, (a: bigint, v: bigint, two: bigint) => boolean> = {
  SCMP_CMP_EQ: (a, v) => a === v,
  SCMP_CMP_NE: (a, v) => a !== v,
  SCMP_CMP_LT: (a, v) => a < v,
  SCMP_CMP_LE: (a, v) => a <= v,
  SCMP_CMP_GT: (a, v) => a > v,
  SCMP_CMP_GE: (a, v) => a >= v,
  SCMP_CMP_MASKED_EQ: (a, v, two) => (a & v) === two,
};

t.test('argument comparisons agree with 64-bit arithmetic', async (t) => {
  let checked = 0;
  for (const [op, truth] of Object.entries(OPS)) {
    for (const value of EDGES) {
      const valueTwo = value & 0xff00000000ffn;
      const arg: SeccompArg = { index: 2, value: value as unknown as number, valueTwo: valueTwo as unknown as number, op };
      const { program } = compile({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['ioctl'], action: 'SCMP_ACT_ERRNO', args: [arg] }] }, x64);
      for (const actual of EDGES) {
        const args = [0n, 0n, actual];
        const denied = runFilter(program, call(x64, 'ioctl', args)) !== RET.ALLOW;
        if (denied !== truth(actual, value, valueTwo)) t.fail(`${op} ${value} with ${actual}: filter says ${denied}`);
        checked++;
      }
    }
  }
  t.equal(checked, 7 * EDGES.length * EDGES.length, `${checked} comparisons checked`);
});

t.test('conditions: all must hold; several on one argument are alternatives (as runc)', async (t) => {
  const both = compile(
    {
      defaultAction: 'SCMP_ACT_ALLOW',
      syscalls: [{ names: ['socket'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }, { index: 2, value: 9, op: 'SCMP_CMP_EQ' }] }],
    },
    x64,
  ).program;
  t.equal(runFilter(both, call(x64, 'socket', [16n, 3n, 9n])), RET.ERRNO | 1);
  t.equal(runFilter(both, call(x64, 'socket', [16n, 3n, 0n])), RET.ALLOW);
  const either = compile(
    {
      defaultAction: 'SCMP_ACT_ERRNO',
      syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }, { index: 0, value: 8, op: 'SCMP_CMP_EQ' }] }],
    },
    x64,
  ).program;
  t.equal(runFilter(either, call(x64, 'personality', [0n])), RET.ALLOW);
  t.equal(runFilter(either, call(x64, 'personality', [8n])), RET.ALLOW);
  t.equal(runFilter(either, call(x64, 'personality', [9n])), RET.ERRNO | 1);
  t.equal(runFilter(either, call(x64, 'getpid')), RET.ERRNO | 1, 'after a rule with conditions, nr is loaded again');
});

t.test('encoding: struct sock_filter, 8 bytes each, little-endian', async (t) => {
  const bytes = encode([{ code: 0x15, jt: 1, jf: 2, k: 0xc000003e }]);
  t.same([...bytes], [0x15, 0, 1, 2, 0x3e, 0, 0, 0xc0]);
});

t.test('disassembly names the calls', async (t) => {
  const { program } = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ALLOW' }] }, x64);
  const text = disassemble(program, syscallName(x64)).join('\n');
  t.match(text, /A = arch/);
  t.match(text, /if A == 59 \(execve\) goto \d+ else goto \d+/);
  t.match(text, /return ALLOW/);
  t.match(text, /return ERRNO\(1\)/);
});

t.test("spec's default profile: what a program needs is allowed, what escapes is not", async (t) => {
  for (const arch of [x64, arm64]) {
    const { program, unknownNames } = compile(defaultSeccomp(), arch);
    t.ok(program.length < 4096, `${arch.name}: ${program.length} instructions`);
    t.notOk(unknownNames.includes('execve'));
    for (const name of ['read', 'write', 'openat', 'execve', 'exit_group', 'mmap', 'futex', 'clone', 'wait4', 'getpid']) {
      t.equal(runFilter(program, call(arch, name)), RET.ALLOW, `${arch.name}: ${name} allowed`);
    }
    for (const name of ['mount', 'umount2', 'unshare', 'setns', 'pivot_root', 'init_module', 'kexec_load', 'bpf', 'ptrace', 'reboot', 'swapon', 'open_by_handle_at']) {
      if (arch.table[name] === undefined) continue;
      t.equal(runFilter(program, call(arch, name)), RET.ERRNO | 1, `${arch.name}: ${name} refused (EPERM)`);
    }
    t.equal(runFilter(program, call(arch, 'clone3')), RET.ERRNO | 38, `${arch.name}: clone3 says ENOSYS, so libc falls back to clone`);
    t.equal(runFilter(program, call(arch, 'clone', [0x11n])), RET.ALLOW, `${arch.name}: clone of a process allowed`);
    t.equal(runFilter(program, call(arch, 'clone', [0x10000000n])), RET.ERRNO | 1, `${arch.name}: clone into a new user namespace refused`);
    t.equal(runFilter(program, call(arch, 'personality', [0n])), RET.ALLOW);
    t.equal(runFilter(program, call(arch, 'personality', [0x0400000n])), RET.ERRNO | 1, `${arch.name}: personality(READ_IMPLIES_EXEC) refused`);
  }
});
