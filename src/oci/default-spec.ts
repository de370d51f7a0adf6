/**
 * The config.json that `nk-runtime spec` writes: a small, safe starting point.
 *
 * It is modelled on what `runc spec` writes (runc's libcontainer/specconv/example.go), so a
 * bundle made for one runtime reads the same in the other. The differences are commented.
 */
import { defaultSeccomp } from './default-seccomp';
import type { ValidatedSpec } from './spec';

/** The version of the OCI runtime specification nk-runtime follows. */
export const OCI_VERSION = '1.2.0';

/** A fresh default config: `sh` as root in new namespaces, with the usual filesystems mounted. */
export function defaultSpec(): ValidatedSpec {
  return {
    ociVersion: OCI_VERSION,
    process: {
      // runc says true here. Here the default program gets the runtime's own stdin, stdout and
      // stderr, so that its output can be piped and read; set true for a terminal (`run` shows
      // it, or --console-socket sends it to containerd or podman).
      terminal: false,
      user: { uid: 0, gid: 0 },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'],
      cwd: '/',
      // Of root's powers, only these three, as runc's default: everything else (mounting,
      // loading modules, changing the clock, ...) is dropped for good. No inheritable, no ambient.
      capabilities: {
        bounding: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        effective: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
        permitted: ['CAP_AUDIT_WRITE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE'],
      },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024 }],
      // execve can never grant more privileges (setuid binaries, file capabilities).
      noNewPrivileges: true,
    },
    // Relative to the bundle directory; read-only, so the container cannot change its image.
    root: { path: 'rootfs', readonly: true },
    hostname: 'nk-runtime',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      {
        destination: '/dev/pts',
        type: 'devpts',
        source: 'devpts',
        options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'],
      },
      { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
    ],
    linux: {
      // runc adds the cgroup namespace only on a pure cgroup v2 host; nk-runtime always asks for it.
      namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'ipc' }, { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' }],
      // Kernel files that leak information about the host, hidden from the container.
      maskedPaths: [
        '/proc/acpi',
        '/proc/asound',
        '/proc/kcore',
        '/proc/keys',
        '/proc/latency_stats',
        '/proc/timer_list',
        '/proc/timer_stats',
        '/proc/sched_debug',
        '/sys/firmware',
        '/proc/scsi',
        // Not in runc's example, but masked by Docker and Kubernetes: power readings can leak
        // secrets (the "Platypus" attack, CVE-2020-8694).
        '/sys/devices/virtual/powercap',
      ],
      // Kernel settings the container may read but not change.
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      // Not in runc's example (Docker, containerd and podman add theirs): an allow-list of system
      // calls in the manner of Docker's default profile; anything else fails with EPERM.
      seccomp: defaultSeccomp(),
    },
  };
}
