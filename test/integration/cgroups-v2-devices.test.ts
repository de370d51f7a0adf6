/**
 * The cgroup v2 device allow-list for real: a BPF_PROG_TYPE_CGROUP_DEVICE program, compiled and
 * attached by CgroupV2 through the real kernel layer, refuses a denied device to a process of the
 * cgroup. A device program works on any cgroup2 directory, whatever controllers it has, so a
 * hybrid host's empty cgroup2 (/sys/fs/cgroup/unified) is enough.
 *
 * Needs root and bpf(2). The test makes one cgroup of its own (nk-test-devices-<pid>), moves only
 * the shells it starts into it, and removes it, with the nodes it made, even when a test fails.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { CgroupV2 } from '../../src/linux/cgroups/v2';
import { asm } from '../../src/linux/cgroups/ebpf';
import { BPF_ATTACH_TYPE, BPF_PROG_TYPE } from '../../src/linux/constants';
import { observe, type Step } from '../../src/linux/kernel';
import { LinuxKernel } from '../../src/linux/linux-kernel';

/** Where a cgroup2 is mounted: /sys/fs/cgroup on a v2 host, /sys/fs/cgroup/unified on a hybrid one. */
function cgroup2Mount(): string | undefined {
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [before, after] = line.split(' - ');
    if (after?.startsWith('cgroup2 ')) return before.split(' ')[4];
  }
  return undefined;
}

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  if (!cgroup2Mount()) return 'no cgroup2 mounted on this host';
  if (!fs.existsSync('/dev/kmsg')) return 'no /dev/kmsg to be refused';
  try {
    // The smallest device program there is: "return 0". Loaded, then let go.
    const kernel = new LinuxKernel();
    kernel.close(kernel.bpfProgLoad(BPF_PROG_TYPE.CGROUP_DEVICE, [asm.mov32(0, 0), asm.exit()], 'GPL', 'nk_probe'));
  } catch (err) {
    return `this kernel refuses to load a device program: ${(err as Error).message}`;
  }
  return undefined;
}

const reason = whyNot();
if (reason) {
  t.plan(0, reason);
} else {
  run(cgroup2Mount()!);
}

function run(mountPoint: string): void {
  const steps: Step[] = [];
  const kernel = observe(new LinuxKernel(), 'runtime', (s) => steps.push(s));
  const dir = path.join(mountPoint, `nk-test-devices-${process.pid}`);
  const cgroup = new CgroupV2(kernel, { version: 2, dirs: { unified: dir }, created: [] }, { unified: mountPoint });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-test-devices-'));
  const shells: ChildProcess[] = [];

  t.teardown(async () => {
    for (const shell of shells) {
      if (shell.exitCode === null && shell.signalCode === null) {
        shell.kill('SIGKILL');
        await new Promise((resolve) => shell.once('exit', resolve));
      }
    }
    try {
      cgroup.destroy(); // only what create() recorded as made
    } catch (err) {
      console.error(`teardown: ${(err as Error).message}`);
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * A shell that waits for a line on stdin, then tries each device: opens it for reading, and
   * makes a node of it (mknod) in the temp dir. Inside `cgroup` when asked: it is moved there
   * before it is told to go. Its report, one line per try: "ok", or the error (EPERM's text).
   */
  async function tryDevices(inCgroup: boolean, label: string): Promise<string[]> {
    const dirForNodes = fs.mkdtempSync(path.join(tmp, `${label}-`));
    const script = [
      'read go',
      'for dev in null:1:3 zero:1:5 kmsg:1:11; do',
      '  name=${dev%%:*}; nums=${dev#*:}',
      // each prints "ok", or the end of its error message: the errno's text
      '  if err=$( (: < /dev/$name) 2>&1 ); then echo "open $name: ok"; else echo "open $name: ${err##*: }"; fi',
      '  if err=$(mknod "$NODES/$name" c ${nums%:*} ${nums#*:} 2>&1); then echo "mknod $name: ok"; else echo "mknod $name: ${err##*: }"; fi',
      'done',
    ].join('\n');
    const shell = spawn('/bin/sh', ['-c', script], { env: { PATH: '/usr/bin:/bin', NODES: dirForNodes }, stdio: ['pipe', 'pipe', 'inherit'] });
    shells.push(shell);
    let out = '';
    shell.stdout!.on('data', (d) => (out += d));
    const ended = new Promise((resolve) => shell.once('exit', resolve));
    if (inCgroup) cgroup.addProcess(shell.pid!);
    shell.stdin!.end('go\n');
    await ended;
    return out.trim().split('\n');
  }

  /** The ids of the device programs attached to our cgroup, asked of the kernel. */
  function attachedPrograms(): number[] {
    const real = new LinuxKernel();
    const fd = real.open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, 0);
    try {
      return real.bpfProgQuery(fd, BPF_ATTACH_TYPE.CGROUP_DEVICE);
    } finally {
      real.close(fd);
    }
  }

  t.test('outside the cgroup, every device opens: the control', async (t) => {
    t.same(await tryDevices(false, 'control'), ['open null: ok', 'mknod null: ok', 'open zero: ok', 'mknod zero: ok', 'open kmsg: ok', 'mknod kmsg: ok']);
  });

  t.test('deny all: the devices every container gets still work, /dev/kmsg is refused', async (t) => {
    cgroup.create();
    t.same(cgroup.placement.created, [dir]);
    steps.length = 0;
    cgroup.apply({ devices: [{ allow: false, access: 'rwm' }] });
    t.same(steps.map((s) => s.call), ['open', 'bpfProgQuery', 'bpfProgLoad', 'bpfProgAttach', 'close', 'close']);
    t.ok(steps.every((s) => !s.error && s.cause === 'linux.resources.devices'));
    t.equal(attachedPrograms().length, 1, 'one program attached to our cgroup');
    t.same(await tryDevices(true, 'deny'), ['open null: ok', 'mknod null: ok', 'open zero: ok', 'mknod zero: ok', 'open kmsg: Operation not permitted', 'mknod kmsg: Operation not permitted']);
  });

  t.test('update: a new program replaces the old one, and /dev/kmsg may be read (not made)', async (t) => {
    const before = attachedPrograms();
    cgroup.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }] });
    const after = attachedPrograms();
    t.equal(after.length, 1, 'still one program');
    t.not(after[0], before[0], 'another one');
    t.same(await tryDevices(true, 'update'), ['open null: ok', 'mknod null: ok', 'open zero: ok', 'mknod zero: ok', 'open kmsg: ok', 'mknod kmsg: Operation not permitted']);
  });

  t.test('the cgroup goes, and its program with it', async (t) => {
    for (const shell of shells) if (shell.exitCode === null && shell.signalCode === null) await new Promise((r) => shell.once('exit', r));
    cgroup.destroy();
    t.notOk(fs.existsSync(dir));
    t.same(cgroup.placement.created, []);
  });
}
