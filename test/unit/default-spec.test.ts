import t from 'tap';
import { defaultSpec } from '../../src/oci/default-spec';
import { validateSpec } from '../../src/oci/validate';
import { parseMountOptions } from '../../src/init/mount-options';
import { MS } from '../../src/linux/constants';

t.test('the default config passes validation, also after a trip through JSON', async (t) => {
  t.doesNotThrow(() => validateSpec(defaultSpec()));
  const written = JSON.stringify(defaultSpec(), null, 2);
  t.same(validateSpec(JSON.parse(written)), defaultSpec());
});

t.test('it runs sh as root in /, like runc spec', async (t) => {
  const spec = defaultSpec();
  t.same(spec.process.args, ['sh']);
  t.same(spec.process.user, { uid: 0, gid: 0 });
  t.equal(spec.process.cwd, '/');
  t.equal(spec.process.terminal, false, 'the default program shares the runtime\'s stdio');
  t.equal(spec.process.noNewPrivileges, true);
  t.ok(spec.process.env?.some((e) => e.startsWith('PATH=')));
  t.ok(spec.process.env?.some((e) => e.startsWith('TERM=')));
  t.same(spec.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }]);
  t.same(spec.root, { path: 'rootfs', readonly: true });
  t.equal(spec.hostname, 'nk-runtime');
  t.same(spec.process.capabilities, {
    bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
    permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
  }, "runc's default capabilities, no inheritable, no ambient");
  t.equal(spec.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO', 'an allow-list of system calls (test/unit/seccomp.test.ts)');
});

t.test('it asks for new namespaces of every kind but user and time', async (t) => {
  const types = (defaultSpec().linux?.namespaces ?? []).map((n) => n.type).sort();
  t.same(types, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts']);
});

t.test('it mounts the usual filesystems, /sys and /sys/fs/cgroup read-only', async (t) => {
  const mounts = defaultSpec().mounts ?? [];
  t.same(mounts.map((m) => m.destination), ['/proc', '/dev', '/dev/pts', '/dev/shm', '/dev/mqueue', '/sys', '/sys/fs/cgroup']);
  for (const destination of ['/sys', '/sys/fs/cgroup']) {
    const mount = mounts.find((m) => m.destination === destination);
    t.ok(parseMountOptions(mount?.options).flags & MS.RDONLY, `${destination} is read-only`);
  }
});

t.test('it hides and protects kernel files, like runc', async (t) => {
  const linux = defaultSpec().linux;
  t.ok(linux?.maskedPaths?.includes('/proc/kcore'));
  t.ok(linux?.maskedPaths?.includes('/sys/firmware'));
  t.same(linux?.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
});

t.test('each call gives a fresh object', async (t) => {
  const first = defaultSpec();
  first.process.args = ['changed'];
  t.same(defaultSpec().process.args, ['sh']);
});
