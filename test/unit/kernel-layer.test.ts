/** The kernel layer: observe() turns calls into Steps; the fake records; every call is explained. */
import t from 'tap';
import { observe, KERNEL_CALLS, KernelError, type Step } from '../../src/linux/kernel';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { CATALOG } from '../../src/explain/catalog';
import { Narrator } from '../../src/explain/narrator';
import { CLONE } from '../../src/linux/constants';

t.test('every call of the kernel layer has an explanation and a man page', async (t) => {
  for (const call of KERNEL_CALLS) {
    t.ok(CATALOG[call]?.why.length > 20, `${call} has an explanation`);
    const man = CATALOG[call].man;
    t.match(typeof man === 'function' ? man('') : man, /^man \d /, `${call} names a man page`);
  }
});

t.test('observe() reports each call with its cause, result and the function that made it', async (t) => {
  const fake = new FakeKernel();
  const steps: Step[] = [];
  const k = observe(fake.ops, 'init', (s) => steps.push(s));
  function enterTheNamespaces() {
    k.because('linux.namespaces', 'a note').unshare(CLONE.NEWNS | CLONE.NEWUTS);
  }
  enterTheNamespaces();
  k.sethostname('box');
  t.same(fake.texts, ['unshare(CLONE_NEWNS|CLONE_NEWUTS)', 'sethostname("box")']);
  t.equal(steps.length, 2);
  t.match(steps[0], { role: 'init', pid: process.pid, call: 'unshare', result: '0', cause: 'linux.namespaces', note: 'a note' });
  t.match(steps[0].site, /test\/unit\/kernel-layer\.test\.ts enterTheNamespaces\(\)$/);
  t.equal(steps[1].cause, undefined, 'a cause applies only to calls made through because()');
});

t.test('a failing call becomes a step with its errno, and a KernelError that names the call', async (t) => {
  const fake = new FakeKernel().failWith('mount', 'EPERM');
  const steps: Step[] = [];
  const k = observe(fake.ops, 'runtime', (s) => steps.push(s));
  t.throws(() => k.mount('proc', '/proc', 'proc', 0, null), new KernelError('mount', 'EPERM', 'mount("proc", "/proc", "proc", 0, NULL)'));
  t.equal(steps[0].error, 'EPERM');
  t.equal(steps[0].result, undefined);
  try {
    k.mount('proc', '/proc', 'proc', 0, null);
  } catch (err) {
    t.equal((err as Error).message, 'mount("proc", "/proc", "proc", 0, NULL): EPERM (Operation not permitted)');
  }
});

t.test('the narrator prints the step, the why, the man page and the code site', async (t) => {
  let out = '';
  const narrator = new Narrator((text) => (out += text));
  narrator.step({ role: 'init', pid: 1, call: 'pivotRoot', text: 'pivot_root(".", ".")', result: '0', cause: 'root.path', site: 'src/init/rootfs.ts pivotToRootfs()', time: 0, ms: 0.1 });
  t.match(out, /^ \[1\] init    pid 1 +pivot_root\("\.", "\."\) = 0 +root\.path\n/);
  t.match(out, 'Makes the container rootfs the root');
  t.match(out, 'man 2 pivot_root · src/init/rootfs.ts pivotToRootfs()');
  out = '';
  narrator.step({ role: 'runtime', pid: 7, call: 'unshare', text: 'unshare(CLONE_NEWPID)', error: 'EPERM', time: 0, ms: 0 });
  t.match(out, /^ \[2\] runtime pid 7 +unshare\(CLONE_NEWPID\) = -1 EPERM \(Operation not permitted\)/);
  t.match(out, 'man 2 unshare, man 7 pid_namespaces');
});
