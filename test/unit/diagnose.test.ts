/**
 * Diagnosis of failed steps (src/explain/diagnose.ts), without root: each failure is provoked in
 * the code that really makes the call, with the fake kernel told to fail it, and the error that
 * comes out is explained for hosts of different kinds (the facts are given, not read).
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { observe } from '../../src/linux/kernel';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { CLONE } from '../../src/linux/constants';
import { enterNamespaces } from '../../src/init/namespaces';
import { prepareRootfs, pivotToRootfs } from '../../src/init/rootfs';
import { execProgram, findProgram } from '../../src/init/program';
import { cgroupFromPlacement } from '../../src/linux/cgroups';
import { defaultSpec } from '../../src/oci/default-spec';
import { UserError, failedCallOf, withContext } from '../../src/errors';
import { InitConnection } from '../../src/runtime/init-connection';
import { explain, hostFacts, diagnose, type HostFacts } from '../../src/explain/diagnose';
import { tempRootfs } from './temp-rootfs';

/** A root shell on a plain host: full capabilities, no container, hybrid cgroups. */
const HOST: HostFacts = { uid: 0, sysAdmin: true, userNamespace: false, cgroups: 'hybrid', threads: 7, rootIsRamfs: false };
const on = (more: Partial<HostFacts>): HostFacts => ({ ...HOST, ...more });

/** What `fn` throws. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const kernel = (fake: FakeKernel) => observe(fake.ops, 'init', () => undefined);

t.test('EPERM from unshare: not root, no CAP_SYS_ADMIN, a user namespace, a nested container', async (t) => {
  const err = thrown(() => enterNamespaces(kernel(new FakeKernel().failWith('unshare', 'EPERM')), defaultSpec()));
  t.match(failedCallOf(err), { call: 'unshare', code: 'EPERM' }, 'the error carries its failed call');
  const cases: [Partial<HostFacts>, RegExp, RegExp][] = [
    [{ uid: 65534 }, /runs as uid 65534, not root/, /run it as root/],
    [{ sysAdmin: false }, /root but without CAP_SYS_ADMIN/, /--privileged/],
    [{ userNamespace: true }, /root only inside a user namespace/, /on the host/],
    [{ container: '/.dockerenv' }, /inside a container \(\/\.dockerenv\) whose seccomp profile or AppArmor/, /seccomp=unconfined/],
    [{}, /a security module .* refused unshare/, /dmesg/],
  ];
  for (const [facts, cause, action] of cases) {
    const e = explain(err, on(facts))!;
    t.match(e.message, /^unshare\(CLONE_NEW\S+\): EPERM \(Operation not permitted\); most likely: /, 'the call, then the cause');
    t.match(e.message, cause, JSON.stringify(facts));
    t.match(e.hint, action);
    t.notMatch(e.message + e.hint, /\n/, 'one line each');
  }
});

t.test('EPERM from mount: the same, and on a full root a locked flag or a security module', async (t) => {
  const rootfs = tempRootfs(t, 'nk-diagnose-');
  const err = thrown(() => prepareRootfs(kernel(new FakeKernel().failWith('mount', 'EPERM')), defaultSpec(), { type: 'bootstrap', stateDir: '/state', bundle: '/b', rootfs, hostMountNs: 0 }));
  t.equal(failedCallOf(err)?.call, 'mount');
  t.match(explain(err, on({ uid: 1000 }))!.message, /uid 1000, not root, and mount needs CAP_SYS_ADMIN/);
  t.match(explain(err, HOST)!.message, /locked on the source mount/);
});

t.test('EINVAL from pivot_root: not a mount point or shared propagation; the initramfs wants --no-pivot', async (t) => {
  const err = thrown(() => pivotToRootfs(kernel(new FakeKernel().failWith('pivotRoot', 'EINVAL')), '/rootfs'));
  const plain = explain(err, HOST)!;
  t.match(plain.message, /^pivot_root\("\.", "\."\): EINVAL .*; most likely: the new root is not a mount point, .*shared propagation/);
  t.match(plain.hint, /bind-mounts root\.path onto itself/);
  const ramfs = explain(err, on({ rootIsRamfs: true }))!;
  t.match(ramfs.message, /the host's \/ is the initramfs/);
  t.match(ramfs.hint, /--no-pivot/);
});

t.test('EINVAL from unshare(CLONE_NEWUSER): a multi-threaded process', async (t) => {
  const err = thrown(() => kernel(new FakeKernel().failWith('unshare', 'EINVAL')).unshare(CLONE.NEWUSER));
  const e = explain(err, on({ threads: 11 }))!;
  t.match(e.message, /^unshare\(CLONE_NEWUSER\): EINVAL \(Invalid argument\); most likely: this process has 11 threads, and the kernel refuses unshare\(CLONE_NEWUSER\) in a multi-threaded process/);
  t.match(e.hint, /single-threaded helper/);
  // Another namespace type refused with EINVAL: the kernel lacks it.
  const other = thrown(() => kernel(new FakeKernel().failWith('unshare', 'EINVAL')).unshare(CLONE.NEWTIME));
  t.match(explain(other, HOST)!.message, /built without one of these namespace types/);
});

t.test('EPERM and EINVAL from setrlimit (an rlimit of process.rlimits at start): the field, the hard limit and fs.nr_open', async (t) => {
  const spec = defaultSpec();
  spec.process!.rlimits = [{ type: 'RLIMIT_NOFILE', hard: 1048577, soft: 1048577 }];
  const err = thrown(() => execProgram(kernel(new FakeKernel().failWith('setrlimit', 'EPERM')), spec, '/bin/sh'));
  const e = explain(err, HOST)!;
  t.match(e.message, /^process\.rlimits\[0\] \(RLIMIT_NOFILE\): setrlimit\(RLIMIT_NOFILE, .*\): EPERM \(Operation not permitted\); most likely: a hard limit above the one the runtime has can be set only with CAP_SYS_RESOURCE, and RLIMIT_NOFILE never above the kernel's fs\.nr_open/);
  t.match(e.hint, /lower the hard value in process\.rlimits/);
  const bad = thrown(() => execProgram(kernel(new FakeKernel().failWith('setrlimit', 'EINVAL')), spec, '/bin/sh'));
  t.match(explain(bad, HOST)!.message, /most likely: the soft limit is above the hard one/);
});

t.test('EBUSY on removing a cgroup: processes still in it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-diagnose-cg-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), '4242\n');
  const fake = new FakeKernel().failWith('rmdir', 'EBUSY');
  const cgroup = cgroupFromPlacement(observe(fake.ops, 'runtime', () => undefined), { version: 2, dirs: { unified: dir }, created: [dir] });
  const err = thrown(() => cgroup.destroy());
  t.match(err, { name: 'CgroupError', code: 'EBUSY' });
  const e = explain(err, HOST)!;
  t.match(e.message, new RegExp(`^cgroup: removing ${dir} \\(processes still in it: 4242\\): EBUSY .*; most likely: processes are still in the cgroup`));
  t.match(e.hint, /delete --force/);
  // Carried through withContext, as create's undo does.
  t.match(explain(withContext('create failed, and removing its cgroup failed too', err), HOST)!.message, /most likely: processes are still/);
});

t.test('ENOENT for the program: missing in the rootfs, or its interpreter is', async (t) => {
  const rootfs = tempRootfs(t, 'nk-diagnose-');
  const missing = thrown(() => findProgram({ process: { ...defaultSpec().process!, args: [path.join(rootfs, 'bin/nothing')] } }));
  t.match(missing, { name: 'UserError', message: /process\.args\[0\]: .*bin\/nothing" not found in the rootfs/, hint: /check process\.args/ });
  t.equal(explain(missing, HOST), undefined, 'already says what is wrong: no diagnosis added');
  const err = thrown(() => execProgram(kernel(new FakeKernel().failWith('execve', 'ENOENT')), defaultSpec(), '/bin/script'));
  const e = explain(err, HOST)!;
  t.match(e.message, /^execve\("\/bin\/script", .*ENOENT .*; most likely: the program is there, but the interpreter its "#!" line names, or the dynamic loader/);
  t.match(e.hint, /readelf -l/);
});

t.test('cgroups: a v1 controller not mounted, v2 files whose controller is off, a read-only cgroupfs', async (t) => {
  const fake = new FakeKernel();
  const v1 = cgroupFromPlacement(observe(fake.ops, 'runtime', () => undefined), { version: 1, dirs: { memory: '/sys/fs/cgroup/memory/nk-x' }, created: [] });
  const missing = thrown(() => v1.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] }));
  t.match(missing, { message: /^linux\.resources\.hugepageLimits\S*: this host has no cgroup v1 hugetlb hierarchy mounted$/ });
  const hybrid = explain(missing, HOST)!;
  t.match(hybrid.message, /most likely: no hugetlb hierarchy is mounted under \/sys\/fs\/cgroup.*hybrid host holds no controllers/);
  t.match(hybrid.hint, /mount -t cgroup -o hugetlb cgroup \/sys\/fs\/cgroup\/hugetlb\), or leave linux\.resources\.hugepageLimits/);
  t.notMatch(explain(missing, on({ cgroups: 'v1' }))!.message, /hybrid/);
  // cgroup v2 (or v1) unified files on a hybrid host: refused by version, with the reason.
  t.throws(() => v1.apply({ unified: { 'memory.high': '1M' } }), { message: /this host uses cgroup v1, and unified holds cgroup v2 files/ });

  const enoent = { call: 'writeFile', code: 'ENOENT', text: 'write("/sys/fs/cgroup/nk-x/memory.max", "1048576")' };
  t.match(diagnose(enoent, on({ cgroups: 'v2' }))!.cause, /not enabled for the cgroup: the parent's cgroup\.subtree_control/);
  t.match(diagnose(enoent, on({ cgroups: 'v1' }))!.cause, /controller has no such file/);
  const rofs = { call: 'mkdirAll', code: 'EROFS', text: 'mkdir("/sys/fs/cgroup/memory/nk-x", 0755)' };
  t.match(diagnose(rofs, on({ container: 'container=docker' }))!.cause, /inside a container \(container=docker\) that mounts the cgroup filesystem read-only/);
  const internal = { call: 'writeFile', code: 'EBUSY', text: 'write("/sys/fs/cgroup/a/cgroup.subtree_control", "+memory")' };
  t.match(diagnose(internal, on({ cgroups: 'v2' }))!.cause, /no internal processes/);
});

t.test("the init's error reaches create with its failed call, and is diagnosed there", async (t) => {
  // What init/main.ts sends after a failed step, as the runtime reads it from the sync socket.
  const fromInit = thrown(() => pivotToRootfs(kernel(new FakeKernel().failWith('pivotRoot', 'EINVAL')), '/rootfs')) as Error;
  const line = JSON.stringify({ type: 'error', message: fromInit.message, failed: failedCallOf(fromInit) }) + '\n';
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'nk-diagnose-sync-')), 'sync');
  t.teardown(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }));
  fs.writeFileSync(file, line);
  const fd = fs.openSync(file, 'r');
  const child = { pid: 1, exited: new Promise<never>(() => undefined), hasExited: false, ref() {}, unref() {} };
  const connection = new InitConnection(child, fd, () => undefined);
  const err = await connection.expect('ready').then(() => undefined, (e: unknown) => e);
  fs.closeSync(fd);
  t.type(err, UserError);
  t.match(failedCallOf(err), { call: 'pivotRoot', code: 'EINVAL' });
  t.match(explain(err, HOST)!.message, /^pivot_root\("\.", "\."\): EINVAL \(Invalid argument\); most likely: the new root is not a mount point/);
});

t.test('errors without a failed call get no diagnosis; the facts are read from this process', async (t) => {
  t.equal(explain(new UserError('config.json: process: is required'), HOST), undefined);
  t.equal(explain(new Error('anything'), HOST), undefined);
  const facts = hostFacts();
  t.equal(facts.uid, process.getuid!());
  t.ok(facts.threads >= 1, 'threads counted');
  t.ok(['v1', 'v2', 'hybrid', 'none'].includes(facts.cgroups));
});
