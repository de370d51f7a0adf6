/**
 * The cgroup v2 device allow-list, without root: rules played as a v1 devices cgroup would (runc's
 * emulator), compiled into the eBPF program runc generates, and run on devices by a small
 * interpreter (ebpf-interpreter.ts) over the very bytes the kernel would receive.
 */
import t from 'tap';
import { compileDeviceProgram, emulateDeviceRules, REGISTERS, type DeviceRule } from '../../src/linux/cgroups/device-program';
import { asm, decode, disassemble, encode } from '../../src/linux/cgroups/ebpf';
import { DEFAULT_ALLOWED, applyDeviceProgram, deviceRule } from '../../src/linux/cgroups/devices';
import { KernelError, observe, type Step } from '../../src/linux/kernel';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { Narrator } from '../../src/explain/narrator';
import type { LinuxDeviceCgroup } from '../../src/oci/spec';
import { BLOCK, CHAR, MKNOD, READ, WRITE, runDeviceProgram, type Device } from './ebpf-interpreter';

/** The OCI rules, then nk-runtime's (runc's) defaults, as the v2 code compiles them. */
function programFor(rules: LinuxDeviceCgroup[], defaults = true): Buffer {
  const all = [...rules, ...(defaults ? DEFAULT_ALLOWED : [])];
  return encode(compileDeviceProgram(emulateDeviceRules(all.map((r, i) => deviceRule(r, `linux.resources.devices[${i}]`)))));
}

const dev = (type: number, major: number, minor: number, access: number): Device => ({ type, major, minor, access });
const verdicts = (bytes: Buffer, devices: Device[]) => devices.map((d) => runDeviceProgram(bytes, d));

t.test('instructions are 8 bytes: code, dst and src registers, a signed offset, a signed constant', async (t) => {
  t.equal(encode([asm.loadWord(2, 1, 4)]).toString('hex'), '6112040000000000', 'r2 = *(u32 *)(r1 + 4): dst in the low nibble, src in the high');
  t.equal(encode([asm.jneImm(4, 136, 2)]).toString('hex'), '5504020088000000');
  t.equal(encode([asm.jneReg(1, 3, 7)]).toString('hex'), '5d31070000000000');
  t.equal(encode([asm.mov32(0, -1)]).toString('hex'), 'b4000000ffffffff', 'imm is signed, little-endian');
  t.equal(encode([asm.exit()]).toString('hex'), '9500000000000000');
  const program = [asm.loadWord(5, 1, 8), asm.and32(2, 0xffff), asm.rsh32(3, 16), asm.mov32Reg(1, 3), asm.jneImm(2, 1, -3), asm.exit()];
  t.same(decode(encode(program)), program, 'decode reads back what encode wrote');
});

t.test('deny all, then runc\'s default devices: the exact program (as runc\'s devicefilter.go builds it)', async (t) => {
  const program = decode(programFor([{ allow: false, access: 'rwm' }]));
  const block = (at: number, major: number, minor: number | undefined) => [
    `${String(at).padStart(4)}: if r2 (type) != 2 goto ${at + (minor === undefined ? 4 : 5)}`,
    `${String(at + 1).padStart(4)}: if r4 (major) != ${major} goto ${at + (minor === undefined ? 4 : 5)}`,
    ...(minor === undefined ? [] : [`${String(at + 2).padStart(4)}: if r5 (minor) != ${minor} goto ${at + 5}`]),
    `${String(at + (minor === undefined ? 2 : 3)).padStart(4)}: r0 = 1`,
    `${String(at + (minor === undefined ? 3 : 4)).padStart(4)}: exit (return r0)`,
  ];
  t.same(disassemble(program, REGISTERS), [
    '   0: r2 (type) = *(u32 *)(r1 + 0)',
    '   1: r2 (type) &= 0xffff',
    '   2: r3 (access) = *(u32 *)(r1 + 0)',
    '   3: r3 (access) >>= 16',
    '   4: r4 (major) = *(u32 *)(r1 + 4)',
    '   5: r5 (minor) = *(u32 *)(r1 + 8)',
    // sorted by (major, minor, type), as runc's emulator lists them
    ...block(6, 1, 3),
    ...block(11, 1, 5),
    ...block(16, 1, 7),
    ...block(21, 1, 8),
    ...block(26, 1, 9),
    ...block(31, 5, 0),
    ...block(36, 5, 2),
    ...block(41, 136, undefined),
    '  45: r0 = 0',
    '  46: exit (return r0)',
  ]);
});

t.test('runc\'s own test cases give runc\'s programs', async (t) => {
  const lines = (rules: LinuxDeviceCgroup[]) => disassemble(decode(programFor(rules, false))).slice(6);
  t.same(lines([]), ['   6: r0 = 0', '   7: exit (return r0)'], 'no rule: a devices cgroup that denies everything');
  t.same(lines([{ allow: true, type: 'a', access: 'rwm' }]), ['   6: r0 = 1', '   7: exit (return r0)'], 'privileged: allow all');
  const exceptOne = ['   6: if r2 != 1 goto 11', '   7: if r4 != 8 goto 11', '   8: if r5 != 0 goto 11', '   9: r0 = 0', '  10: exit (return r0)', '  11: r0 = 1', '  12: exit (return r0)'];
  t.same(lines([{ allow: true, type: 'a', access: 'rwm' }, { allow: false, type: 'b', major: 8, minor: 0, access: 'rwm' }]), exceptOne, 'allow all but b 8:0');
  t.same(
    lines([{ allow: false, type: 'b', major: 8, minor: 1, access: 'rwm' }, { allow: true, type: 'a', access: 'rwm' }, { allow: false, type: 'b', major: 8, minor: 2, access: 'rwm' }]),
    exceptOne.map((l) => l.replace('r5 != 0', 'r5 != 2')),
    '"weird": a later "a" forgets the rules before it, so 8:1 is allowed and 8:2 is not',
  );
  t.same(lines([{ allow: true, type: 'c', access: 'm' }]), [
    '   6: if r2 != 2 goto 12',
    '   7: r1 = r3',
    '   8: r1 &= 0x1',
    '   9: if r1 != r3 goto 12',
    '  10: r0 = 1',
    '  11: exit (return r0)',
    '  12: r0 = 0',
    '  13: exit (return r0)',
  ], 'not every access: (asked & allowed) must equal asked; any major and minor: no comparison');
});

t.test('runc\'s default devices, run: what a container may open and create', async (t) => {
  const program = programFor([{ allow: false, access: 'rwm' }]);
  t.same(verdicts(program, [
    dev(CHAR, 1, 3, READ | WRITE), // /dev/null
    dev(CHAR, 1, 3, MKNOD),
    dev(CHAR, 1, 9, READ), // /dev/urandom
    dev(CHAR, 5, 2, READ | WRITE), // /dev/ptmx
    dev(CHAR, 136, 7, READ | WRITE), // /dev/pts/7
  ]), [1, 1, 1, 1, 1]);
  t.same(verdicts(program, [
    dev(CHAR, 1, 11, READ), // /dev/kmsg
    dev(CHAR, 1, 1, READ), // /dev/mem
    dev(BLOCK, 1, 3, READ), // a block device with /dev/null's numbers
    dev(BLOCK, 8, 0, READ | WRITE), // /dev/sda
    dev(CHAR, 137, 0, READ),
    dev(CHAR, 10, 200, READ | WRITE), // /dev/net/tun: not among nk-runtime's defaults
  ]), [0, 0, 0, 0, 0, 0]);
});

t.test('deny all and allow one device: only that one, only for the access given', async (t) => {
  const program = programFor([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }], false);
  t.same(verdicts(program, [
    dev(CHAR, 10, 200, READ),
    dev(CHAR, 10, 200, WRITE),
    dev(CHAR, 10, 200, READ | WRITE),
    dev(CHAR, 10, 200, MKNOD),
    dev(CHAR, 10, 200, READ | MKNOD),
    dev(CHAR, 10, 201, READ),
    dev(BLOCK, 10, 200, READ),
    dev(CHAR, 1, 3, READ),
  ]), [1, 1, 1, 0, 0, 0, 0, 0]);
});

t.test('allow all and deny one block device: every other device passes', async (t) => {
  const program = programFor([{ allow: true, access: 'rwm' }, { allow: false, type: 'b', major: 8, access: 'rw' }]);
  t.same(verdicts(program, [dev(BLOCK, 8, 0, READ), dev(BLOCK, 8, 17, WRITE), dev(BLOCK, 8, 0, MKNOD), dev(BLOCK, 9, 0, READ), dev(CHAR, 8, 0, READ), dev(CHAR, 1, 11, READ)]), [0, 0, 1, 1, 1, 1]);
});

t.test('the rules play out as in a v1 devices cgroup', async (t) => {
  const list = (rules: LinuxDeviceCgroup[]) => emulateDeviceRules(rules.map((r, i) => deviceRule(r, `f[${i}]`)), rules.map((_, i) => `f[${i}]`));
  t.same(list([{ allow: true, type: 'c', major: 1, minor: 3, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'w' }]), {
    defaultAllow: false,
    exceptions: [{ type: 'c', major: 1, minor: 3, access: READ | WRITE }],
  }, 'two allows of one device add up');
  t.same(list([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]).exceptions, [
    { type: 'c', major: 1, minor: 3, access: READ | MKNOD },
  ], 'a deny takes its access away');
  t.same(list([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }]).exceptions, [], 'all of it: the exception is gone');
  t.same(list([{ allow: true, type: 'c', major: 1, minor: 3 }, { allow: false, type: 'a', major: 1, minor: 3, access: 'r' }]), { defaultAllow: false, exceptions: [] }, '"a" is every device and every access, whatever its numbers say');
  t.same(list([{ allow: true }]), { defaultAllow: true, exceptions: [] }, 'type and access default to a and rwm');
  t.throws(() => list([{ allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'r' }]), {
    name: 'UserError',
    message: 'f[1]: "deny c 1:3 r" cannot take access away from the wider rule "c *:* rwm" before it',
  }, 'no hole in a wildcard rule: v1 would silently ignore it; runc refuses, and so do we');
  t.throws(() => deviceRule({ allow: true, type: 'c', major: 2 ** 31 }, 'f[0]'), { message: 'f[0].major: 2147483648 is not a device number (or -1 for any)' });
  t.throws(() => deviceRule({ allow: true, type: 'x' as never }, 'f[0]'), { message: 'f[0].type: "x" must be a, b or c' });
});

t.test('the program agrees with the allow-list it was compiled from, on many devices', async (t) => {
  // A rule list with a bit of everything; the list's own reading is the reference.
  const rules: DeviceRule[] = [
    { allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: -1, access: 'r' },
    { allow: true, type: 'c', major: -1, minor: 3, access: 'w' },
    { allow: true, type: 'b', major: 8, minor: 0, access: 'rm' },
    { allow: true, type: 'c', major: 4, minor: 1, access: 'rwm' },
  ];
  const list = emulateDeviceRules(rules);
  const bytes = encode(compileDeviceProgram(list));
  const TYPE = { b: BLOCK, c: CHAR };
  let checked = 0;
  for (const type of [BLOCK, CHAR]) {
    for (const major of [0, 1, 4, 8]) {
      for (const minor of [0, 1, 3]) {
        for (let access = 1; access <= 7; access++) {
          const inList = list.exceptions.some((e) => TYPE[e.type] === type && (e.major === -1 || e.major === major) && (e.minor === -1 || e.minor === minor) && (access & e.access) === access);
          t.equal(runDeviceProgram(bytes, dev(type, major, minor, access)), inList !== list.defaultAllow ? 1 : 0);
          checked++;
        }
      }
    }
  }
  t.equal(checked, 2 * 4 * 3 * 7);
});

t.test('applying: query, load, attach, close, all attributed to linux.resources.devices', async (t) => {
  const fake = new FakeKernel();
  const steps: Step[] = [];
  const k = observe(fake.ops, 'runtime', (s) => steps.push(s));
  applyDeviceProgram(k, [{ allow: false, access: 'rwm' }], '/sys/fs/cgroup/c1');
  t.same(fake.texts, [
    'open("/sys/fs/cgroup/c1", 0x10000, 00)',
    'bpf(BPF_PROG_QUERY, {target_fd: 10, attach_type: BPF_CGROUP_DEVICE})',
    'bpf(BPF_PROG_LOAD, {prog_type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: 47 instructions, license: "GPL", prog_name: "nk_devices"})',
    'bpf(BPF_PROG_ATTACH, {target_fd: 10, attach_bpf_fd: 11, attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI})',
    'close(11)',
    'close(10)',
  ]);
  t.same(steps.slice(0, 4).map((s) => s.cause), Array(4).fill('linux.resources.devices'));
  t.match(steps[0].note, /allow-list, to compile into a program: deny every device by default; allow c 1:3 rwm, c 1:5 rwm, .*, c 136:\* rwm\.$/);
  t.same(decode(Buffer.from(steps[2].raw!, 'base64')).length, 47, 'the step keeps the program, for -EE');
  applyDeviceProgram(k, [], '/sys/fs/cgroup/c1');
  applyDeviceProgram(k, undefined, '/sys/fs/cgroup/c1');
  t.equal(fake.calls.length, 6, 'no rules: no program (as on v1, where nothing is written)');

  const refused = new FakeKernel().failWith('bpfProgLoad', 'EPERM');
  t.throws(() => applyDeviceProgram(observe(refused.ops, 'runtime', () => {}), [{ allow: false }], '/c1'), {
    name: 'UserError',
    message: 'linux.resources.devices: loading the device program for /c1: bpf(2) failed: EPERM (Operation not permitted)',
    hint: /needs root/,
  });
  t.same(refused.texts.slice(-2), [
    'bpf(BPF_PROG_LOAD, {prog_type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: 47 instructions, license: "GPL", prog_name: "nk_devices"})',
    'close(10)',
  ], 'the cgroup fd is closed even so');
});

t.test('a program the verifier refuses: its log is the hint', async (t) => {
  const fake = new FakeKernel();
  const ops = { ...fake.ops, bpfProgLoad: () => {
    throw new KernelError('bpfProgLoad', 'EACCES', 'bpf(BPF_PROG_LOAD, ...)', '0: R1=ctx() R10=fp0\n0: (61) r2 = *(u32 *)(r1 +12)\ninvalid bpf_context access off=12 size=4');
  } };
  t.throws(() => applyDeviceProgram(observe(ops, 'runtime', () => {}), [{ allow: false }], '/c1'), {
    name: 'UserError',
    message: 'linux.resources.devices: loading the device program for /c1: bpf(2) failed: EACCES (Permission denied)',
    hint: 'the BPF verifier said:\n0: R1=ctx() R10=fp0\n0: (61) r2 = *(u32 *)(r1 +12)\ninvalid bpf_context access off=12 size=4',
  });
  t.same(fake.texts.slice(-1), ['close(10)'], 'the cgroup fd is closed');
});

t.test('-EE shows the device program, its registers named; -E does not', async (t) => {
  const raw = programFor([{ allow: false, access: 'rwm' }]).toString('base64');
  const step: Step = { role: 'runtime', pid: 1, call: 'bpfProgLoad', text: 'bpf(BPF_PROG_LOAD, ...)', result: 'fd 5', cause: 'linux.resources.devices', time: 0, ms: 0, raw };
  const narrate = (level: number) => {
    let out = '';
    new Narrator((text) => (out += text), false, level).step(step);
    return out;
  };
  t.match(narrate(1), /man 2 bpf/);
  t.notMatch(narrate(1), /r2 \(type\)/);
  t.match(narrate(2), /r1 points to the device asked about/);
  t.match(narrate(2), /  6: if r2 \(type\) != 2 goto 11\n/);
  t.match(narrate(2), / 46: exit \(return r0\)\n$/);
});
