/**
 * --dry-run without root: create's and the init's own steps walked against the fake kernel, in
 * the order a real create and start make them, and nothing made on the machine.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { dryRunCreate, dryRunExec } from '../../src/runtime/dry-run';
import { create } from '../../src/runtime/create';
import { makeContext } from '../../src/runtime/context';
import { defaultSpec } from '../../src/oci/default-spec';

/** A bundle in a temp dir: the default config, a rootfs holding one executable that the host has not. */
function tempBundle(t: any, change: (spec: any) => void = () => undefined): { dir: string; root: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-dry-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rootfs = path.join(dir, 'rootfs');
  for (const d of ['proc', 'dev', 'sys', 'etc', 'bin', 'tmp']) fs.mkdirSync(path.join(rootfs, d), { recursive: true });
  fs.writeFileSync(path.join(rootfs, 'bin', 'only-in-this-rootfs'), '#!/bin/sh\n', { mode: 0o755 });
  const spec: any = defaultSpec();
  spec.process.args = ['only-in-this-rootfs', 'hello'];
  spec.process.terminal = false;
  spec.process.env = ['PATH=/bin'];
  spec.hostname = 'dry';
  change(spec);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
  return { dir, root: path.join(dir, 'state') };
}

/** The narrated steps: role and call text, in order. */
function steps(narration: string): { role: string; text: string }[] {
  return [...narration.matchAll(/^ \[\d+\] (\w+)\s+pid \d+\s+(.*?) = /gm)].map((m) => ({ role: m[1], text: m[2] }));
}

async function dryCreate(t: any, bundle: { dir: string; root: string }, command: 'create' | 'run' = 'create') {
  let narration = '';
  const fake = new FakeKernel();
  const warnings: string[] = [];
  const code = await dryRunCreate({ root: bundle.root, explainLevel: 1, warn: (m) => warnings.push(m), write: (text) => (narration += text), kernel: fake }, command, 'demo', { bundle: bundle.dir });
  return { code, narration, fake, warnings };
}

t.test('create --dry-run: the runtime\'s and the init\'s calls, in the order a real create and start make them', async (t) => {
  const bundle = tempBundle(t);
  const { code, narration } = await dryCreate(t, bundle);
  t.equal(code, 0);
  t.match(narration, /^\nnk-runtime create demo --dry-run: nothing is changed; these are the calls it would make/, 'the heading says it is a dry run');
  const all = steps(narration);
  const at = (role: string, pattern: RegExp) => all.findIndex((s) => s.role === role && pattern.test(s.text));
  // Into the cgroup: on a v1 host the init moves itself (0 to each hierarchy's tasks), on v2 the
  // runtime moves it (its pid to cgroup.procs).
  const selfJoined = all.some((s) => s.role === 'init' && /^write\(".*nk-demo\/tasks", "0"\)$/.test(s.text));
  const joined = all.some((s) => s.role === 'runtime' && /^write\(".*nk-demo\/cgroup\.procs", "\d+"\)$/.test(s.text));
  t.ok(selfJoined !== joined, `into the cgroup once: by the init (${selfJoined}) or by the runtime (${joined})`);
  const order: [string, RegExp][] = [
    // the init first (its boot is the longest step), then the lock and the rest while it boots
    ['runtime', /^socketpair\(/],
    ['runtime', /^unshare\(CLONE_NEWPID\); posix_spawn\(/],
    ['runtime', /^flock\(\d+, LOCK_EX\)$/],
    ['runtime', /^mkfifo\(".*\/demo\/exec\.fifo", 0600\)$/],
    ['runtime', /^mkdir -p "\/sys\/fs\/cgroup\/.*nk-demo"/],
    ...(selfJoined ? [] : [['runtime', /^write\(".*nk-demo\/cgroup\.procs", "\d+"\)$/]] as [string, RegExp][]),
    ['init', /^prctl\(PR_SET_DUMPABLE, 0\)$/],
    ...(selfJoined ? [['init', /^write\(".*nk-demo\/tasks", "0"\)$/]] as [string, RegExp][] : []),
    ['init', /^unshare\(CLONE_NEWNS/],
    ['init', /^mount\(NULL, "\/", NULL, MS_REC\|MS_PRIVATE, NULL\)$/],
    ['init', /^mount\(".*\/rootfs", ".*\/rootfs", NULL, MS_BIND\|MS_REC, NULL\)$/],
    ['init', /^mount\("proc", "\/proc\/self\/fd\/\d+", "proc"/],
    ['init', /^mknod\(".*\/dev\/null"/],
    ['init', /^open\(".*\/demo\/exec\.fifo", /],
    ['init', /^pivot_root\("\.", "\."\)$/],
    ['init', /^umount2\("\.", MNT_DETACH\)$/],
    ['init', /^sethostname\("dry"\)$/],
    // start's part: start opens exec.fifo and waits on it; the init's steps come: the program's
    // settings (made before start came), its open of exec.fifo, execve
    ['runtime', /^open\(".*\/demo\/exec\.fifo", 0x80800, /],
    ['runtime', /^unlink\(".*\/demo\/exec\.fifo"\)$/],
    ['runtime', /^poll\(\[\{fd: \d+, events: POLLIN\}\], 1, 1000\)$/],
    ['runtime', /^fcntl\(\d+, F_SETFL, flags & ~O_NONBLOCK\)$/],
    ['init', /^setgid\(0\)$/],
    ['init', /^setuid\(0\)$/],
    ['init', /^close_range\(3, /],
    ['init', /^open\("\/proc\/self\/fd\/\d+", 0x1, /],
    ['init', /^execve\("\/bin\/only-in-this-rootfs", \["only-in-this-rootfs", "hello"\]/],
  ];
  let last = -1;
  for (const [role, pattern] of order) {
    const i = at(role, pattern);
    t.ok(i > last, `${role}: ${pattern.source} comes next (at ${i})`);
    last = i;
  }
  t.equal(all.filter((s) => s.text.startsWith('execve(')).length, 1, 'execve once, the last step');
  t.equal(all.filter((s) => s.role === 'init').pop()?.text.slice(0, 6), 'execve', 'the init\'s last step');
  t.match(all[all.length - 1], { role: 'runtime', text: /^close\(\d+\)$/ }, 'then start closes its end of exec.fifo');
  t.match(narration, /not written: .*\/demo\/state\.json/, 'says what it would write');
});

t.test('create --dry-run makes nothing: no state dir, no cgroup, nothing in the rootfs', async (t) => {
  const bundle = tempBundle(t);
  const before = fs.readdirSync(path.join(bundle.dir, 'rootfs', 'dev'));
  const { fake } = await dryCreate(t, bundle);
  t.notOk(fs.existsSync(bundle.root), 'no --root dir');
  const cgroupDirs = fake.calls.filter((c) => c.call === 'mkdirAll' && String(c.args[0]).startsWith('/sys/fs/cgroup/')).map((c) => String(c.args[0]));
  t.ok(cgroupDirs.length > 0, 'the cgroup dirs it would make are named');
  for (const dir of cgroupDirs) t.notOk(fs.existsSync(dir), `not made: ${dir}`);
  t.same(fs.readdirSync(path.join(bundle.dir, 'rootfs', 'dev')), before, 'no device node or symlink in the rootfs');
  t.notOk(fs.existsSync(path.join(bundle.dir, 'rootfs', 'dev', 'pts')), 'no mount point made');
});

t.test('run --dry-run: the same walk, and what run would do after it', async (t) => {
  const { code, narration } = await dryCreate(t, tempBundle(t), 'run');
  t.equal(code, 0);
  t.match(narration, /^\nnk-runtime run demo --dry-run/);
  t.ok(steps(narration).some((s) => s.text.startsWith('execve(')));
  t.match(narration, /run would now wait for the program/);
});

t.test('the program is looked for in the rootfs, not on the host: a missing one fails as a real create does', async (t) => {
  const bundle = tempBundle(t, (spec) => (spec.process.args = ['sh']));
  // The host has /bin/sh; this rootfs has not.
  await t.rejects(dryCreate(t, bundle), { message: 'process.args[0]: "sh" not found in the rootfs (searched PATH)' });
  t.notOk(fs.existsSync(bundle.root));
});

t.test('a config error reads exactly as a real create\'s', async (t) => {
  const bundle = tempBundle(t, (spec) => (spec.process.args = []));
  const real = await create(makeContext({ root: bundle.root, educational: false, kernel: new FakeKernel().ops }), 'demo', { bundle: bundle.dir }).then(
    () => undefined,
    (err) => err as Error,
  );
  t.ok(real, 'the real create refuses it');
  await t.rejects(dryCreate(t, bundle), { message: real!.message });
  t.notOk(fs.existsSync(path.join(bundle.root, 'demo')));
});

t.test('an ID that exists is refused, as create refuses it', async (t) => {
  const bundle = tempBundle(t);
  fs.mkdirSync(path.join(bundle.root, 'demo'), { recursive: true });
  await t.rejects(dryCreate(t, bundle), { message: 'container demo already exists' });
});

t.test('createRuntime hooks run in the runtime between the init\'s mounts and its pivot_root, as in a real create', async (t) => {
  const bundle = tempBundle(t, (spec) => (spec.hooks = { createRuntime: [{ path: '/bin/true' }], createContainer: [{ path: '/bin/true', args: ['/bin/true', 'cc'] }] }));
  const { narration } = await dryCreate(t, bundle);
  const all = steps(narration);
  const hooks = all.map((s, i) => ({ ...s, i })).filter((s) => s.text.startsWith('run /bin/true'));
  t.equal(hooks.length, 2);
  const mounts = all.findIndex((s) => s.role === 'init' && s.text.startsWith('mknod('));
  const pivot = all.findIndex((s) => s.text.startsWith('pivot_root('));
  t.equal(hooks[0].role, 'runtime', 'createRuntime: the runtime');
  t.equal(hooks[1].role, 'init', 'createContainer: the init');
  t.ok(mounts < hooks[0].i && hooks[0].i < hooks[1].i && hooks[1].i < pivot, 'mounts, createRuntime, createContainer, pivot_root');
});

t.test('exec --dry-run: a container that does not exist is a clear error', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-dry-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  await t.rejects(
    dryRunExec({ root, explainLevel: 1, warn: () => undefined, write: () => undefined }, 'nope', { args: ['ls'], env: [], detach: false, tty: false }),
    { message: 'container nope does not exist' },
  );
});

t.test('on a machine without /proc (macOS), stand-ins answer its reads, and the narration says so', async (t) => {
  const platform = Object.getOwnPropertyDescriptor(process, 'platform')!;
  Object.defineProperty(process, 'platform', { value: 'darwin' });
  t.teardown(() => Object.defineProperty(process, 'platform', platform));
  const { code, narration, fake } = await dryCreate(t, tempBundle(t));
  t.equal(code, 0);
  t.ok(fake.texts.includes('mkdir -p "/sys/fs/cgroup/nk-demo" (mode 0755)'), 'the cgroup of a cgroup v2 host');
  t.ok(steps(narration).some((s) => s.text.startsWith('execve(')), 'the walk reaches execve');
  t.match(narration, /This machine has no \/proc: stand-ins answered .* for \/proc\/self\/status, /);
});

t.test('what exists is seen through the init\'s mounts: a fresh tmpfs on /dev hides the rootfs\'s, a sysfs on /sys shows /sys', async (t) => {
  const bundle = tempBundle(t);
  const dev = path.join(bundle.dir, 'rootfs', 'dev');
  fs.mkdirSync(path.join(dev, 'pts'));
  fs.writeFileSync(path.join(dev, 'null'), '');
  fs.symlinkSync('/nowhere', path.join(dev, 'fd'));
  const { fake } = await dryCreate(t, bundle);
  const texts = fake.texts;
  t.ok(texts.includes(`mkdir -p "${dev}/pts" (mode 0755)`), 'the mount point under the new /dev is made, though the rootfs has one');
  t.ok(texts.some((x) => x.startsWith(`mknod("${dev}/null"`)), 'so is /dev/null');
  t.ok(texts.includes(`symlink("/proc/self/fd", "${dev}/fd")`), 'and /dev/fd');
  const sysCgroup = path.join(bundle.dir, 'rootfs', 'sys', 'fs', 'cgroup');
  if (fs.existsSync('/sys/fs/cgroup')) t.notOk(texts.includes(`mkdir -p "${sysCgroup}" (mode 0755)`), '/sys/fs/cgroup is there in a fresh sysfs: not made');
  t.ok(fs.existsSync(path.join(dev, 'null')) && fs.readlinkSync(path.join(dev, 'fd')) === '/nowhere', 'and the rootfs is as it was');
});

t.test('an error of start\'s part is what start would report', async (t) => {
  const bundle = tempBundle(t);
  const fake = new FakeKernel().failWith('setuid', 'EPERM');
  await t.rejects(
    dryRunCreate({ root: bundle.root, explainLevel: 1, warn: () => undefined, write: () => undefined, kernel: fake }, 'create', 'demo', { bundle: bundle.dir }),
    { message: /^the container's program did not start: setuid\(0\): EPERM/ },
  );
  t.notOk(fake.texts.some((x) => x.startsWith('execve(')), 'and no execve after it');
});

t.test('with a terminal, /dev/console is made in the fresh /dev and the pty bound onto it, as the init does', async (t) => {
  const sock = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nk-dry-sock-')), 'console.sock');
  t.teardown(() => fs.rmSync(path.dirname(sock), { recursive: true, force: true }));
  const bundle = tempBundle(t, (spec) => (spec.process.terminal = true));
  const fake = new FakeKernel();
  const code = await dryRunCreate({ root: bundle.root, explainLevel: 1, warn: () => undefined, write: () => undefined, kernel: fake }, 'create', 'demo', { bundle: bundle.dir, consoleSocket: sock });
  t.equal(code, 0);
  const texts = fake.texts;
  const at = (re: RegExp) => texts.findIndex((x) => re.test(x));
  t.ok(texts.includes(`socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0); connect("${sock}")`), 'the console socket is connected (pretend)');
  t.ok(at(/^pivot_root/) < at(/^open\("\/dev\/ptmx"/), 'the pty is made inside, after pivot_root');
  t.ok(at(/^open\("\/dev\/console", 0x41, 0600\)$/) > at(/^open\("\/dev\/ptmx"/), '/dev/console is made (O_CREAT|O_WRONLY): the fresh /dev has none, whatever this machine\'s has');
  t.ok(at(/^mount\("\/dev\/pts\/0", "\/dev\/console", NULL, MS_BIND, NULL\)$/) >= 0, 'and the slave bound onto it');
  t.notOk(fs.existsSync(sock), 'no socket was made');
});
