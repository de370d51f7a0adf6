/**
 * The parts of a config that nk-runtime accepts but does not apply yet. Each is reported when a
 * container is created: a setting must never be ignored without a word, least of all one that
 * protects the host.
 */
import type { Spec } from '../oci/spec';

/**
 * Resource controls that src/linux/cgroups applies (or refuses, with the reason, where the host's
 * cgroup version has no such control); any other is reported. `true`: the whole group.
 * linux.resources.devices: v1's devices.allow/deny, v2's device program (cgroups/devices.ts).
 */
export const APPLIED_RESOURCES: Record<string, string[] | true> = {
  memory: ['limit', 'swap', 'reservation', 'swappiness', 'disableOOMKiller', 'kernel', 'kernelTCP', 'checkBeforeUpdate'],
  cpu: ['shares', 'quota', 'period', 'burst', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle'],
  pids: ['limit'],
  blockIO: ['weight', 'leafWeight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'],
  hugepageLimits: true,
  network: ['classID', 'priorities'],
  rdma: true,
  unified: true,
  devices: true,
};

/** Fields of `process` and of `linux` that are not applied yet. */
export const NOT_APPLIED_PROCESS = ['apparmorProfile', 'selinuxLabel', 'ioPriority', 'scheduler', 'execCPUAffinity'];
export const NOT_APPLIED_LINUX = ['mountLabel', 'intelRdt', 'timeOffsets'];
/** Fields of each of `mounts` that are not applied yet: idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP). */
export const NOT_APPLIED_MOUNT = ['uidMappings', 'gidMappings'];

export function notApplied(spec: Spec): string[] {
  const found: string[] = [];
  const p = spec.process as Record<string, unknown> | undefined;
  for (const key of NOT_APPLIED_PROCESS) {
    if (p?.[key] !== undefined) found.push(`process.${key}: not applied yet`);
  }
  (spec.mounts ?? []).forEach((m, i) => {
    for (const key of NOT_APPLIED_MOUNT) {
      if ((m as unknown as Record<string, unknown>)[key] !== undefined) found.push(`mounts[${i}].${key}: idmapped mounts are not applied yet (the mount is made without the mapping)`);
    }
  });
  const linux = spec.linux as Record<string, unknown> | undefined;
  for (const key of NOT_APPLIED_LINUX) {
    if (linux?.[key] !== undefined) found.push(`linux.${key}: not applied yet`);
  }
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
