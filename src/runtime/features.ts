/**
 * `nk-runtime features`: what this runtime supports, in the shape of the runtime-spec's
 * features.md (containerd asks for it to learn what it may put in a config).
 */
import { CAPABILITIES } from '../linux/capabilities';
import { KNOWN_MOUNT_OPTIONS } from '../init/mount-options';
import { ACTIONS, COMPARISONS, FILTER_FLAGS } from '../linux/seccomp/actions';

export function features(version: string) {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: [],
    mountOptions: KNOWN_MOUNT_OPTIONS,
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: [...CAPABILITIES],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false, rdma: true },
      seccomp: {
        enabled: true,
        actions: Object.keys(ACTIONS),
        operators: COMPARISONS,
        archs: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_AARCH64'],
        knownFlags: Object.keys(FILTER_FLAGS),
        supportedFlags: Object.keys(FILTER_FLAGS),
      },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.nk-runtime.version': version },
  };
}
