/** `features`: the OCI features document says what is supported, and only that. */
import t from 'tap';
import { features } from '../../src/runtime/features';
import { parseMountOptions } from '../../src/init/mount-options';

t.test('the features document', async (t) => {
  const f = features('9.9.9');
  t.equal(f.ociVersionMax, '1.2.0');
  t.same(f.linux.namespaces, ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'], 'no time namespace');
  t.same(f.hooks, [], 'hooks are not run yet');
  t.equal(f.linux.seccomp.enabled, true);
  t.ok(f.linux.seccomp.actions.includes('SCMP_ACT_ERRNO') && !f.linux.seccomp.actions.includes('SCMP_ACT_NOTIFY'), 'no seccomp agent');
  t.same(f.linux.seccomp.archs, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64']);
  t.ok(f.mountOptions.includes('ro') && f.mountOptions.includes('rbind') && f.mountOptions.includes('rprivate'));
  for (const option of f.mountOptions) {
    const parsed = parseMountOptions([option]);
    t.same(parsed.data, [], `${option} is a flag we apply, not data passed through`);
  }
});
