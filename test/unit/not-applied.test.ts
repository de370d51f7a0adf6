/** Settings nk-runtime does not apply yet are named, never ignored without a word. */
import t from 'tap';
import { notApplied } from '../../src/runtime/not-applied';
import { defaultSpec } from '../../src/oci/default-spec';

t.test('the default config applies fully', async (t) => {
  t.same(notApplied(defaultSpec()), []);
});

t.test('unapplied resources are each reported; capabilities, seccomp, oomScoreAdj and hooks are applied, not reported', async (t) => {
  const spec = defaultSpec() as any;
  spec.process.capabilities = { bounding: ['CAP_KILL'] };
  spec.linux.seccomp = { defaultAction: 'SCMP_ACT_ERRNO' };
  spec.linux.resources = { memory: { limit: 1000, swappiness: 10, useHierarchy: true }, cpu: { shares: 10, cpus: '0' }, blockIO: { weight: 10 }, pids: { limit: 5 }, devices: [], unified: {}, rdma: {}, misc: {} };
  spec.hooks = { poststart: [{ path: '/bin/true' }] };
  spec.process.oomScoreAdj = 100;
  t.same(notApplied(spec), [
    'config.json: linux.resources.memory.useHierarchy: not applied yet',
    'config.json: linux.resources.misc: not applied yet',
  ]);
});

t.test('an idmapped mount is named: the mount is made without its mapping', async (t) => {
  const spec = defaultSpec();
  const map = [{ containerID: 0, hostID: 100000, size: 1000 }];
  spec.mounts!.push({ destination: '/data', type: 'bind', source: '/srv/data', options: ['rbind'], uidMappings: map, gidMappings: map });
  const i = spec.mounts!.length - 1;
  t.same(notApplied(spec), [
    `config.json: mounts[${i}].uidMappings: idmapped mounts are not applied yet (the mount is made without the mapping)`,
    `config.json: mounts[${i}].gidMappings: idmapped mounts are not applied yet (the mount is made without the mapping)`,
  ]);
});
