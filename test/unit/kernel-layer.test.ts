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
  const k = observe(fake.ops, 'init', (s) => steps.push(s), { sites: true });
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

t.test('without `sites`, a step does not say where in the code it was made (a stack trace a call, saved)', async (t) => {
  const steps: Step[] = [];
  const k = observe(new FakeKernel().ops, 'init', (s) => steps.push(s));
  k.sethostname('box');
  t.equal(steps.length, 1);
  t.equal(steps[0].site, undefined);
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

t.test('poll on a fifo, for real: a reader opened O_NONBLOCK sees nothing until a writer comes, then its words, then its end', async (t) => {
  // What start's wait on exec.fifo rests on (src/runtime/start.ts connectToInit): before any
  // writer, a read would return 0 as at the end, but poll says nothing came; once a writer has
  // come and gone, poll reports it (POLLHUP) and a read returns 0 for real.
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { LinuxKernel } = await import('../../src/linux/linux-kernel');
  const { O_NONBLOCK, O_CLOEXEC, POLL } = await import('../../src/linux/constants');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-poll-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const k = new LinuxKernel();
  const fifo = path.join(dir, 'exec.fifo');
  k.mkfifo(fifo, 0o600);
  const reader = k.open(fifo, fs.constants.O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
  t.teardown(() => fs.closeSync(reader));
  t.equal(k.poll(reader, 0), 0, 'no writer yet: nothing to report');
  t.equal(fs.readSync(reader, Buffer.alloc(8)), 0, '...although a read returns 0, as at an end');
  const writer = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
  t.equal(k.poll(reader, 0), 0, 'a writer that has said nothing: still nothing');
  fs.writeSync(writer, 'step\n');
  t.ok(k.poll(reader, 1000) & POLL.IN, 'its words: POLLIN');
  fs.closeSync(writer);
  t.ok(k.poll(reader, 1000) & POLL.HUP, 'the writer gone: POLLHUP');
  k.setNonBlocking(reader, false);
  const buffer = Buffer.alloc(64);
  t.equal(buffer.toString('utf8', 0, fs.readSync(reader, buffer)), 'step\n', 'the words are read');
  t.equal(fs.readSync(reader, buffer), 0, 'then the end');
});
