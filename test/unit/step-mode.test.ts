/**
 * --step without root: observe()'s `before` sees each call before it is made, the hints name
 * the real pid and paths, and the pause reads one answer per step (the end of input stops it).
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { observe, KERNEL_CALLS, type Step } from '../../src/linux/kernel';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { CLONE } from '../../src/linux/constants';
import { whatToLookAt, hostPath } from '../../src/explain/step-hints';
import { PROMPT, StepMode } from '../../src/explain/step-mode';

t.test('before() is called before the call, with its arguments, and a throw stops the call', async (t) => {
  const fake = new FakeKernel();
  const seen: string[] = [];
  const k = observe(fake.ops, 'init', (s) => seen.push(`done ${s.text}`), {
    before: (step, args) => {
      seen.push(`before ${step.text} ${JSON.stringify(args)} result=${step.result}`);
      if (step.call === 'sethostname') throw new Error('stop');
    },
  });
  k.because('linux.namespaces').unshare(CLONE.NEWNS);
  t.throws(() => k.sethostname('box'), /stop/);
  t.same(seen, [
    `before unshare(CLONE_NEWNS) [${CLONE.NEWNS}] result=undefined`,
    'done unshare(CLONE_NEWNS)',
    'before sethostname("box") ["box"] result=undefined',
  ]);
  t.same(fake.texts, ['unshare(CLONE_NEWNS)'], 'the stopped call was never made');
});

t.test('every kernel call has something to look at, with the host pid in it', async (t) => {
  const who = { pid: 4211, inContainer: true };
  // Arguments as they come from the init: strings and numbers.
  const args = ['/etc/hostname', '/etc/x', 0, 0, null];
  for (const call of KERNEL_CALLS) {
    const hints = whatToLookAt(call, args, who);
    t.ok(hints.length > 0, `${call}: ${hints.join('; ')}`);
  }
  t.same(whatToLookAt('unshare', [0], who), ['ls -l /proc/4211/ns']);
  t.same(whatToLookAt('mount', ['proc', '/proc', 'proc', 0, null], who), ['cat /proc/4211/mountinfo']);
  t.match(whatToLookAt('setuid', [1000], who)[0], /^grep -E '.*Uid.*Cap.*' \/proc\/4211\/status$/);
  t.same(
    whatToLookAt('writeFile', ['/sys/fs/cgroup/pids/nk-c1/pids.max', '64'], { pid: 4200, inContainer: false }),
    ['cat /sys/fs/cgroup/pids/nk-c1/pids.max'],
    'a cgroup file the runtime writes: read back as it is',
  );
  t.same(whatToLookAt('writeFile', ['/proc/sys/net/ipv4/ip_forward', '1'], who), ['nsenter -t 4211 -a cat /proc/sys/net/ipv4/ip_forward']);
});

t.test('a path of the container is reached from the host through /proc/PID', async (t) => {
  const init = { pid: 77, inContainer: true };
  t.equal(hostPath('/dev/null', init), '/proc/77/root/dev/null');
  t.equal(hostPath('/proc/self/fd/12', init), '/proc/77/fd/12');
  t.equal(hostPath('dev', init), '/proc/77/cwd/dev');
  t.equal(hostPath('/run/x', { pid: 5, inContainer: false }), '/run/x');
  t.equal(hostPath("/tmp/a b'c", { pid: 5, inContainer: false }), `'/tmp/a b'\\''c'`, 'quoted for the shell');
});

function answers(t: { teardown(fn: () => void): void }, text: string): number {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-step-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'in'), text);
  const fd = fs.openSync(path.join(dir, 'in'), 'r');
  t.teardown(() => fs.closeSync(fd));
  return fd;
}

const step = (call: Step['call'], text: string): Step => ({ role: 'init', pid: 1, call, text, time: 0, ms: 0, cause: 'linux.namespaces' });

t.test('a pause shows the step and the hints, and reads one line per step', async (t) => {
  let out = '';
  let n = 5;
  const mode = new StepMode(() => n, { write: (s) => (out += s), input: answers(t, '\n\n') });
  mode.pause(step('unshare', 'unshare(CLONE_NEWNS)'), [CLONE.NEWNS], 4211);
  t.match(out, /-- next \[5\]: init pid 1 \(host pid 4211\)  unshare\(CLONE_NEWNS\)   linux\.namespaces\n/);
  t.match(out, /look now, and again at the next pause:\n {8}ls -l \/proc\/4211\/ns\n/);
  t.ok(out.trimEnd().endsWith(PROMPT.trimEnd()), 'ends with the prompt');
  n = 6;
  out = '';
  mode.pause({ ...step('sethostname', 'sethostname("x")'), role: 'runtime', pid: 900 }, ['x'], 900);
  t.match(out, /-- next \[6\]: runtime pid 900  sethostname/);
  out = '';
  mode.pause(step('umask', 'umask(0)'), [0], 4211);
  t.match(out, /end of input: the rest runs without pausing/, 'the end of input: no more pauses, no hang');
  out = '';
  mode.pause(step('umask', 'umask(0)'), [0], 4211);
  t.equal(out, '', 'and none after it');
});

t.test('c runs the rest without pausing; q stops with an error', async (t) => {
  let out = '';
  const mode = new StepMode(() => 1, { write: (s) => (out += s), input: answers(t, 'c\n\n') });
  mode.pause(step('unshare', 'unshare(CLONE_NEWNS)'), [0], 1);
  out = '';
  mode.pause(step('unshare', 'unshare(CLONE_NEWNS)'), [0], 1);
  t.equal(out, '', 'no pause after c');
  const stopping = new StepMode(() => 9, { write: () => undefined, input: answers(t, 'q\n') });
  t.throws(() => stopping.pause(step('unshare', 'unshare(CLONE_NEWNS)'), [0], 1), /stopped before step \[9\], as asked \(--step\)/);
});
