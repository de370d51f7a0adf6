/**
 * The init's rootfs steps, walked against the fake kernel, without root: which calls, in which
 * order, for the sample config. And the path resolution that keeps mounts inside the rootfs.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { observe } from '../../src/linux/kernel';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { prepareRootfs, pivotToRootfs, finishRootfs } from '../../src/init/rootfs';
import { resolveInRoot } from '../../src/init/paths';
import { findProgram } from '../../src/init/program';
import { defaultSpec } from '../../src/oci/default-spec';
import { tempRootfs } from './temp-rootfs';

t.test('the rootfs steps of the default config, in order', async (t) => {
  const rootfs = tempRootfs(t);
  const spec = defaultSpec();
  const fake = new FakeKernel();
  const k = observe(fake.ops, 'init', () => undefined);
  // hostMountNs 0 is never a real namespace inode, so the guard lets the walk go on.
  prepareRootfs(k, spec, { type: 'bootstrap', stateDir: '/state', bundle: '/bundle', rootfs, hostMountNs: 0 });
  pivotToRootfs(k, rootfs);
  const texts = fake.texts;
  const at = (pattern: RegExp) => texts.findIndex((x) => pattern.test(x));
  const order = [
    /^mount\(NULL, "\/", NULL, MS_REC\|MS_PRIVATE, NULL\)$/,
    new RegExp(`^mount\\("${rootfs}", "${rootfs}", NULL, MS_BIND\\|MS_REC, NULL\\)$`),
    // Each destination opened below the rootfs, then mounted on through its fd (CVE-2021-30465).
    /^openat2\(\d+, "proc", \{flags: O_PATH\|O_CLOEXEC, resolve: RESOLVE_NO_MAGICLINKS\|RESOLVE_IN_ROOT\}\)$/,
    /^mount\("proc", "\/proc\/self\/fd\/\d+", "proc", 0, NULL\)$/,
    /^openat2\(\d+, "dev", /,
    /^mount\("tmpfs", "\/proc\/self\/fd\/\d+", "tmpfs", MS_NOSUID\|MS_STRICTATIME, "mode=755,size=65536k"\)$/,
    /^mknod\(".*\/dev\/null", S_IFCHR\|0666, makedev\(1, 3\)\)$/,
    /^symlink\("\/proc\/self\/fd", ".*\/dev\/fd"\)$/,
    /^symlink\("pts\/ptmx", ".*\/dev\/ptmx"\)$/,
    new RegExp(`^chdir\\("${rootfs}"\\)$`),
    /^pivot_root\("\.", "\."\)$/,
    /^umount2\("\.", MNT_DETACH\)$/,
    /^chdir\("\/"\)$/,
  ];
  let last = -1;
  for (const pattern of order) {
    const i = at(pattern);
    t.ok(i > last, `${pattern.source} comes next (at ${i})`);
    last = i;
  }
  t.equal(texts.filter((x) => x.startsWith('mknod(')).length, 6, 'the six default devices');
});

t.test('a read-only root is remounted read-only after the masked and read-only paths', async (t) => {
  const fake = new FakeKernel();
  const k = observe(fake.ops, 'init', () => undefined);
  const spec = defaultSpec();
  spec.linux!.maskedPaths = ['/definitely/not/here'];
  spec.linux!.readonlyPaths = [];
  finishRootfs(k, spec);
  t.same(fake.texts, ['mount(NULL, "/", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND, NULL)'], 'a missing masked path is skipped');
});

t.test('the guard refuses to touch mounts in the host\'s mount namespace', async (t) => {
  const fake = new FakeKernel();
  const k = observe(fake.ops, 'init', () => undefined);
  const ownNs = fs.statSync('/proc/self/ns/mnt').ino;
  t.throws(
    () => prepareRootfs(k, defaultSpec(), { type: 'bootstrap', stateDir: '/s', bundle: '/b', rootfs: '/r', hostMountNs: ownNs }),
    /still in the host's mount namespace/,
  );
  t.same(fake.calls, [], 'and made no call at all');
});

t.test('mount destinations stay inside the rootfs, whatever its symlinks say', async (t) => {
  const root = tempRootfs(t);
  fs.symlinkSync('/', path.join(root, 'toroot'));
  fs.symlinkSync('../../../../etc', path.join(root, 'up'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'etc', 'pw'));
  t.equal(resolveInRoot(root, '/proc'), path.join(root, 'proc'));
  t.equal(resolveInRoot(root, '/toroot/etc'), path.join(root, 'etc'), 'a link to / is the rootfs');
  t.equal(resolveInRoot(root, '/up/x'), path.join(root, 'etc', 'x'), '.. stops at the rootfs');
  t.equal(resolveInRoot(root, '/../../proc'), path.join(root, 'proc'));
  t.equal(resolveInRoot(root, '/etc/pw'), path.join(root, 'etc', 'passwd'), 'absolute links restart at the rootfs');
  fs.symlinkSync('loop', path.join(root, 'loop'));
  t.throws(() => resolveInRoot(root, '/loop/x'), /too many levels of symbolic links/);
});

t.test('process.args[0] is found through PATH, and a missing or non-executable one is a clear error', async (t) => {
  const spec = defaultSpec();
  spec.process.env = ['PATH=/nonexistent:/bin'];
  spec.process.args = ['sh'];
  t.equal(findProgram(spec), '/bin/sh');
  spec.process.args = ['no-such-program-here'];
  t.throws(() => findProgram(spec), { message: 'process.args[0]: "no-such-program-here" not found in the rootfs (searched PATH)' });
  spec.process.args = ['/etc/passwd'];
  t.throws(() => findProgram(spec), { message: 'process.args[0]: /etc/passwd is not executable in the rootfs' });
});

t.test('capabilities: bounding drops before the user change, keep-caps, then capset and ambient after setuid', async (t) => {
  const { execProgram } = await import('../../src/init/program');
  const { FakeKernel } = await import('../../src/linux/fake-kernel');
  const { observe } = await import('../../src/linux/kernel');
  const fake = new FakeKernel();
  const k = observe(fake.ops, 'init', () => undefined);
  const spec = {
    process: {
      args: ['/bin/true'],
      cwd: '/',
      user: { uid: 1000, gid: 1000 },
      oomScoreAdj: -100,
      capabilities: { bounding: ['CAP_NET_RAW', 'CAP_KILL'], effective: ['CAP_KILL'], permitted: ['CAP_KILL', 'CAP_NET_RAW'], ambient: ['CAP_NET_RAW'] },
    },
  } as any;
  t.throws(() => execProgram(k, spec, '/bin/true'), /fake execve/);
  const texts = fake.texts;
  const at = (re: RegExp) => texts.findIndex((x) => re.test(x));
  const drops = texts.filter((x) => x.startsWith('prctl(PR_CAPBSET_DROP'));
  t.notOk(drops.some((x) => /CAP_NET_RAW|CAP_KILL\)/.test(x)), 'the listed capabilities stay in the bounding set');
  t.ok(drops.some((x) => x === 'prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN)'), 'CAP_SYS_ADMIN is dropped');
  t.ok(at(/oom_score_adj/) < at(/PR_CAPBSET_DROP/), 'oom_score_adj while root still has CAP_SYS_RESOURCE');
  t.ok(at(/PR_CAPBSET_DROP/) < at(/PR_SET_KEEPCAPS, 1/) && at(/PR_SET_KEEPCAPS, 1/) < at(/^setuid\(1000\)/), 'bounding, then keep-caps, before setuid');
  t.ok(at(/^setuid\(1000\)/) < at(/^capset/), 'capset after setuid');
  t.ok(texts.includes('capset({effective: CAP_KILL, permitted: CAP_KILL|CAP_NET_RAW, inheritable: 0})'), 'exactly the sets; inheritable empty when not asked');
  t.ok(at(/PR_CAP_AMBIENT_CLEAR_ALL/) < at(/PR_CAP_AMBIENT_RAISE, CAP_NET_RAW/), 'ambient cleared, then raised');
  t.ok(at(/PR_CAP_AMBIENT_RAISE/) < at(/^execve/), 'all before execve');
});
