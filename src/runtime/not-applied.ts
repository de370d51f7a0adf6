/**
 * The parts of a config that nk-runtime accepts but does not apply yet. Each is reported when a
 * container is created: a setting must never be ignored without a word, least of all one that
 * protects the host.
 */
import type { Spec } from '../oci/spec';

/**
 * Resource controls that src/linux/cgroups applies (or refuses, with the reason, where the host's
 * cgroup version has no such control); any other is reported. `true`: the whole group.
 * linux.resources.devices is applied on cgroup v1; create warns on v2 (no BPF program yet).
 */
const APPLIED_RESOURCES: Record<string, string[] | true> = {
  memory: ['limit', 'swap', 'reservation', 'swappiness', 'disableOOMKiller', 'kernel', 'kernelTCP'],
  cpu: ['shares', 'quota', 'period', 'burst', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle'],
  pids: ['limit'],
  blockIO: ['weight', 'leafWeight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'],
  hugepageLimits: true,
  network: ['classID', 'priorities'],
  rdma: true,
  unified: true,
  devices: true,
};

export function notApplied(spec: Spec): string[] {
  const found: string[] = [];
  const p = spec.process as Record<string, unknown> | undefined;
  for (const key of ['apparmorProfile', 'selinuxLabel', 'ioPriority', 'scheduler', 'execCPUAffinity']) {
    if (p?.[key] !== undefined) found.push(`process.${key}: not applied yet`);
  }
  const linux = spec.linux as Record<string, unknown> | undefined;
  for (const key of ['mountLabel', 'intelRdt', 'timeOffsets']) {
    if (linux?.[key] !== undefined) found.push(`linux.${key}: not applied yet`);
  }
  // Idmapped mounts (mount_setattr(2) MOUNT_ATTR_IDMAP): the bind is made, without the mapping.
  (spec.mounts ?? []).forEach((m, i) => {
    for (const key of ['uidMappings', 'gidMappings'] as const) {
      if (m[key]?.length) found.push(`mounts[${i}].${key}: idmapped mounts are not applied yet (the mount is made without the mapping)`);
    }
  });
  const resources = (linux?.resources ?? {}) as Record<string, unknown>;
  for (const [group, value] of Object.entries(resources)) {
    const applied = APPLIED_RESOURCES[group];
    if (!applied) {
      found.push(`linux.resources.${group}: not applied yet`);
      continue;
    }
    if (applied === true) continue;
    for (const key of Object.keys((value ?? {}) as object)) {
      if (!applied.includes(key)) found.push(`linux.resources.${group}.${key}: not applied yet`);
    }
  }
  return found.map((message) => `config.json: ${message}`);
}
