/** -E: colour only when asked (a terminal, and no NO_COLOR); the same columns either way. */
import t from 'tap';
import { Narrator } from '../../src/explain/narrator';
import type { Step } from '../../src/linux/kernel';

const STEP: Step = { role: 'init', pid: 1, call: 'mount', text: 'mount("proc", "/proc", "proc", 0, NULL)', error: 'EPERM', cause: 'mounts[0]', site: 'src/init/rootfs.ts mountOne()', time: 0, ms: 0 };

function narrate(colour: boolean): string {
  let out = '';
  new Narrator((text) => (out += text), colour).step(STEP);
  return out;
}

t.test('plain: no escape codes; colour: the call bold, the error red, the field cyan', async (t) => {
  const plain = narrate(false);
  t.notMatch(plain, /\x1b/);
  t.match(plain, /= -1 EPERM \(Operation not permitted\) +mounts\[0\]/);
  const coloured = narrate(true);
  t.match(coloured, '\x1b[1mmount("proc"');
  t.match(coloured, '\x1b[31m= -1 EPERM');
  t.match(coloured, '\x1b[36mmounts[0]\x1b[0m');
  t.equal(coloured.replace(/\x1b\[\d+m/g, ''), plain, 'without its codes, the coloured text is the plain one: same columns');
});

t.test('NO_COLOR turns colour off even on a terminal', async (t) => {
  const { colourWanted } = await import('../../src/explain/narrator');
  process.env.NO_COLOR = '1';
  t.equal(colourWanted(), false);
  delete process.env.NO_COLOR;
});

t.test('-EE adds the disassembly of a seccomp program; -E does not', async (t) => {
  const { compile, nativeArch } = await import('../../src/linux/seccomp/compile');
  const { encode } = await import('../../src/linux/seccomp/bpf');
  const filter = compile({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names: ['execve'], action: 'SCMP_ACT_ALLOW' }] }, nativeArch());
  const step: Step = { role: 'init', pid: 1, call: 'seccomp', text: 'seccomp(SECCOMP_SET_MODE_FILTER, 0, {9 BPF instructions})', result: '0', cause: 'linux.seccomp', time: 0, ms: 0, raw: encode(filter.program).toString('base64') };
  const narrate = (level: number) => {
    let out = '';
    new Narrator((text) => (out += text), false, level).step(step);
    return out;
  };
  t.notMatch(narrate(1), /goto/);
  const detailed = narrate(2);
  t.match(detailed, /A = arch/);
  t.match(detailed, /if A == \d+ \(execve\) goto \d+ else goto \d+/);
  t.match(detailed, /return ERRNO\(1\)/);
  t.equal(detailed.split('\n').filter((l) => /^\s+\d+: /.test(l)).length, filter.program.length, 'one line per instruction');
});

t.test('-EE shows each call\'s arguments as the kernel got them: flags in hex, modes in octal, data whole; -E and an observe() without keepArgs do not', async (t) => {
  const { observe } = await import('../../src/linux/kernel');
  const { FakeKernel } = await import('../../src/linux/fake-kernel');
  const { MS } = await import('../../src/linux/constants');
  const steps: Step[] = [];
  const k = observe(new FakeKernel().ops, 'init', (s) => steps.push(s), { keepArgs: true });
  const long = 'x'.repeat(100);
  k.because('mounts[1]').mount('tmpfs', '/dev', 'tmpfs', MS.NOSUID | MS.STRICTATIME, 'mode=755,size=65536k');
  k.because('linux.resources.memory.limit').writeFile('/sys/fs/cgroup/memory/nk-c/memory.limit_in_bytes', long);
  k.because('mounts[2]').mkdirAll('/dev/pts', 0o755);
  const narrate = (level: number) => {
    let out = '';
    const n = new Narrator((text) => (out += text), false, level);
    for (const s of steps) n.step(s);
    return out;
  };
  const detailed = narrate(2);
  t.match(detailed, `raw: mount("tmpfs", "/dev", "tmpfs", 0x${(MS.NOSUID | MS.STRICTATIME).toString(16)} (${MS.NOSUID | MS.STRICTATIME}), "mode=755,size=65536k")`);
  t.match(detailed, `raw: writeFile("/sys/fs/cgroup/memory/nk-c/memory.limit_in_bytes", "${long}"  (100 bytes))`, 'the whole value, which the call line cuts');
  t.notMatch(steps[1].text, long, 'the call line itself is shortened');
  t.match(detailed, 'raw: mkdirAll("/dev/pts", 0o755 (493))');
  t.notMatch(narrate(1), /raw:/, '-E: no raw lines');
  const plain: Step[] = [];
  observe(new FakeKernel().ops, 'init', (s) => plain.push(s)).mount('proc', '/proc', 'proc', 0, null);
  t.equal(plain[0].args, undefined, 'without keepArgs a step carries no arguments');
});
