/**
 * `nk-runtime features`: what this runtime supports, in the shape of the runtime-spec's
 * features.md (containerd asks for it to learn what it may put in a config).
 */
import { CAPABILITIES } from '../linux/capabilities';
import { KNOWN_MOUNT_OPTIONS } from '../init/mount-options';

export function features(version: string) {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: [],
    mountOptions: KNOWN_MOUNT_OPTIONS,
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'uts'],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.nk-runtime.version': version },
  };
}
