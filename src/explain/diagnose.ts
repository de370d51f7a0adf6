/**
 * When a step fails: what most likely caused it, and what to do.
 *
 * A failed kernel call says only "EPERM" or "EINVAL"; the kernel does not say which of its checks
 * refused. This module reads the call, its errno and a few facts about where nk-runtime runs (who
 * it runs as, its capabilities, whether it is inside a container, the cgroup version) and names
 * the likeliest cause, with what to do: the message gets "; most likely: <cause>", the hint says
 * what to do. It is loaded only when a command fails (src/cli/report.ts), so start-up pays
 * nothing for it.
 *
 * Errors from the init arrive in the runtime with their failed call (init/main.ts sends it):
 * the diagnosis is made here, from the runtime's side, with the facts of the runtime's process.
 * The init is its child, with the same user and capabilities.
 */
import * as fs from 'node:fs';
import { failedCallOf, type FailedCall } from '../errors';

/** What a diagnosis needs to know about where nk-runtime runs. */
export interface HostFacts {
  uid: number;
  /** CAP_SYS_ADMIN is in our effective set (/proc/self/status CapEff, bit 21). */
  sysAdmin: boolean;
  /** We are in a user namespace that does not map every ID (rootless, or a nested container). */
  userNamespace: boolean;
  /** A sign of running inside a container ("/.dockerenv", "container=podman"), if there is one. */
  container?: string;
  /** The cgroup layout: v2 only, v1 only, v1 controllers plus an empty cgroup2 (hybrid). */
  cgroups: 'v1' | 'v2' | 'hybrid' | 'none';
  /** Threads of this process (/proc/self/status Threads). */
  threads: number;
  /** `/` is the initramfs (rootfs or ramfs), which pivot_root cannot leave. */
  rootIsRamfs: boolean;
}

export interface Diagnosis {
  /** What most likely caused it, to follow "most likely: ". */
  cause: string;
  /** What to do: the hint. */
  action: string;
}

/** The error as the user sees it: a one-line message and a hint. */
export interface Explained {
  message: string;
  hint?: string;
}

/**
 * The user's message for `err` with its diagnosis, or undefined when there is none (the error
 * is then printed as it is). `facts` are read from this process when not given.
 */
export function explain(err: unknown, facts: HostFacts = hostFacts()): Explained | undefined {
  const message = err instanceof Error ? err.message : String(err);
  const missing = (err as { missingController?: { controller: string; field: string } })?.missingController;
  const failed = failedCallOf(err);
  const found = missing ? diagnoseMissingController(missing.controller, missing.field, facts) : failed ? diagnose(failed, facts) : undefined;
  if (!found) return undefined;
  return { message: `${message}; most likely: ${found.cause}`, hint: found.action };
}

/** Namespaces, mounts and the root switch: the calls that need CAP_SYS_ADMIN. */
const NEEDS_SYS_ADMIN = new Set(['unshare', 'setns', 'mount', 'umount2', 'pivotRoot', 'sethostname', 'setdomainname', 'chroot']);

/** The likeliest cause of a failed kernel call, and what to do; undefined when we have no idea. */
export function diagnose(failed: FailedCall, facts: HostFacts): Diagnosis | undefined {
  const { call, code, text } = failed;
  const cgroupFile = failed.cgroup || text.includes('/sys/fs/cgroup/');
  if (code === 'EPERM' && NEEDS_SYS_ADMIN.has(call)) return notPermitted(call, facts);
  if (call === 'unshare' && code === 'EINVAL') {
    if (text.includes('CLONE_NEWUSER')) {
      return {
        cause: `this process has ${facts.threads} threads, and the kernel refuses unshare(CLONE_NEWUSER) in a multi-threaded process (man 2 unshare); Node.js and Bun always run several`,
        action: 'make the user namespace before any thread starts: from a single-threaded helper (as runc\'s C nsexec does), or in a child made with clone(CLONE_NEWUSER)',
      };
    }
    return {
      cause: 'this kernel was built without one of these namespace types (CONFIG_<TYPE>_NS)',
      action: 'ls /proc/self/ns shows the types this kernel has: remove the others from linux.namespaces',
    };
  }
  if (call === 'unshare' && (code === 'ENOSPC' || code === 'EUSERS')) {
    return {
      cause: 'the limit on namespaces of this type is reached (/proc/sys/user/max_*_namespaces; 0 turns the type off)',
      action: 'raise it with sysctl user.max_<type>_namespaces=N, or end containers that are no longer used',
    };
  }
  if (call === 'pivotRoot' && code === 'EINVAL') {
    if (facts.rootIsRamfs) {
      return {
        cause: 'the host\'s / is the initramfs (rootfs), and pivot_root cannot move away from it (man 2 pivot_root)',
        action: 'pass --no-pivot (a chroot after MS_MOVE: weaker, see docs), or boot the host from a real root filesystem',
      };
    }
    return {
      cause: 'the new root is not a mount point, is on the same mount as the old one, or hangs from a mount with shared propagation (man 2 pivot_root, "EINVAL")',
      action: 'nk-runtime bind-mounts root.path onto itself and makes every mount private first; check that root.path is a plain directory (not /, not a mount of a ramdisk), or pass --no-pivot on a ramdisk root',
    };
  }
  if (call === 'setrlimit' && code === 'EPERM') {
    const nrOpen = readNumber('/proc/sys/fs/nr_open');
    return {
      cause: `a hard limit above the one the runtime has can be set only with CAP_SYS_RESOURCE, and RLIMIT_NOFILE never above the kernel's fs.nr_open${nrOpen ? ` (${nrOpen} here)` : ''} (man 2 setrlimit)`,
      action: `lower the hard value in process.rlimits${nrOpen ? ` (RLIMIT_NOFILE at most ${nrOpen}: cat /proc/sys/fs/nr_open)` : ''}; with podman, --ulimit nofile=1024:1024 sets it`,
    };
  }
  if (call === 'setrlimit' && code === 'EINVAL') {
    return { cause: 'the soft limit is above the hard one (man 2 setrlimit)', action: 'make soft at most hard in process.rlimits' };
  }
  if (call === 'rmdir' && cgroupFile && (code === 'EBUSY' || code === 'ENOTEMPTY')) {
    return {
      cause: 'processes are still in the cgroup: one moved there from outside the container, or one still dying (a cgroup is removed only once it is empty, man 7 cgroups)',
      action: 'see them in its cgroup.procs; end them and delete again, or `nk-runtime delete --force`, which kills every process in the container\'s cgroup',
    };
  }
  if (call === 'writeFile' && cgroupFile && code === 'EBUSY' && /cgroup\.(procs|subtree_control)/.test(text)) {
    return {
      cause: 'cgroup v2\'s "no internal processes" rule: a cgroup cannot both hold processes and enable controllers for its children (cgroup-v2.rst)',
      action: 'give linux.cgroupsPath a parent that holds no processes itself (a new slice), as containerd and podman do',
    };
  }
  if (call === 'writeFile' && cgroupFile && code === 'ENOENT') {
    if (facts.cgroups === 'v2') {
      return {
        cause: 'this file\'s controller is not enabled for the cgroup: the parent\'s cgroup.subtree_control does not list it (cgroup-v2.rst, "Enabling and Disabling")',
        action: 'enable it in each parent (echo +<controller> > <parent>/cgroup.subtree_control), or leave the field out',
      };
    }
    return {
      cause: `this host's cgroup v1 controller has no such file: a feature its kernel lacks or was booted without (memory.memsw needs swapaccount=1)`,
      action: 'leave the field out, or enable the feature in the kernel',
    };
  }
  if ((call === 'mkdirAll' || call === 'writeFile') && cgroupFile && (code === 'EROFS' || code === 'EACCES')) {
    return {
      cause: facts.container ? `inside a container (${facts.container}) that mounts the cgroup filesystem read-only` : 'the cgroup filesystem is read-only here, or this part of it is not delegated to us',
      action: 'run nk-runtime where /sys/fs/cgroup is writable: on the host, or in a privileged container with its own cgroup namespace',
    };
  }
  if (call === 'execve') return programFailed(code);
  return undefined;
}

/** EPERM from a call that needs CAP_SYS_ADMIN: who we are says why. */
function notPermitted(call: string, facts: HostFacts): Diagnosis {
  if (facts.uid !== 0) {
    return {
      cause: `nk-runtime runs as uid ${facts.uid}, not root, and ${call} needs CAP_SYS_ADMIN`,
      action: 'run it as root (sudo); rootless containers (a user namespace first) are not supported yet',
    };
  }
  if (facts.userNamespace) {
    return {
      cause: 'nk-runtime is root only inside a user namespace (a rootless or nested container), where the kernel refuses what would change the mounts and namespaces it inherited',
      action: 'run nk-runtime on the host, or in a privileged container',
    };
  }
  if (!facts.sysAdmin) {
    return {
      cause: 'nk-runtime runs as root but without CAP_SYS_ADMIN: whoever started it dropped it (a container, setpriv or capsh, a systemd unit\'s CapabilityBoundingSet)',
      action: 'start it with CAP_SYS_ADMIN: from a full root shell on the host, or in a container run with --privileged',
    };
  }
  if (facts.container) {
    return {
      cause: `nk-runtime runs inside a container (${facts.container}) whose seccomp profile or AppArmor/SELinux policy refuses ${call}`,
      action: 'start the outer container with --privileged (or --security-opt seccomp=unconfined --security-opt apparmor=unconfined)',
    };
  }
  if (call === 'mount') {
    return {
      cause: 'a security module (AppArmor, SELinux) refused the mount, or it would lift a flag (ro, nosuid, nodev, noexec) that is locked on the source mount',
      action: 'look in `dmesg` and the audit log; for a bind mount, keep the source\'s ro/nosuid/nodev/noexec in mounts[].options',
    };
  }
  return { cause: `a security module (seccomp, AppArmor, SELinux) refused ${call}`, action: 'look in `dmesg` and the audit log for the denial' };
}

/** execve failed during create or start: the program was found, but could not be run. */
function programFailed(code: string): Diagnosis | undefined {
  if (code === 'ENOENT') {
    return {
      cause: 'the program is there, but the interpreter its "#!" line names, or the dynamic loader of an ELF program (such as /lib64/ld-linux-x86-64.so.2), is missing in the rootfs',
      action: 'read the first line of the script (or `readelf -l` the binary for its interpreter) and add that file to the rootfs, or use a static build',
    };
  }
  if (code === 'EACCES') {
    return {
      cause: 'the program is on a mount with noexec, or a directory on its path is not searchable by process.user',
      action: 'drop noexec from that mount\'s options, or check the permissions of each directory on the path',
    };
  }
  if (code === 'ENOEXEC') {
    return {
      cause: 'the file is not a program this machine can run: built for another architecture, or a script without a "#!" line',
      action: 'check it with `file`; use a build for this machine, or add a "#!" line',
    };
  }
  return undefined;
}

/** A setting needs a cgroup v1 controller this host has not mounted. */
export function diagnoseMissingController(controller: string, field: string, facts: HostFacts): Diagnosis {
  const hybrid = facts.cgroups === 'hybrid'
    ? ' (the cgroup2 at /sys/fs/cgroup/unified of this hybrid host holds no controllers, so it cannot stand in)'
    : '';
  return {
    cause: `no ${controller} hierarchy is mounted under /sys/fs/cgroup: the kernel lacks that controller, or the host did not mount it${hybrid}`,
    action: `mount it (mkdir /sys/fs/cgroup/${controller}; mount -t cgroup -o ${controller} cgroup /sys/fs/cgroup/${controller}), or leave ${field} out`,
  };
}

/** The facts of this process and host, read from /proc (plain reads; nothing is changed). */
export function hostFacts(): HostFacts {
  const status = readOr('/proc/self/status', '');
  const field = (name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status)?.[1];
  const capEff = BigInt(`0x${field('CapEff') ?? '0'}`);
  const uidMap = readOr('/proc/self/uid_map', '').trim().split(/\s+/);
  const mountinfo = readOr('/proc/self/mountinfo', '');
  const fstypeAt = (point: string) => {
    const line = mountinfo.split('\n').filter((l) => l.split(' ')[4] === point).pop();
    return line?.split(' - ')[1]?.split(' ')[0];
  };
  const cgroupRoot = fstypeAt('/sys/fs/cgroup');
  const hasV1 = / - cgroup /.test(mountinfo);
  return {
    uid: process.getuid?.() ?? -1,
    sysAdmin: ((capEff >> 21n) & 1n) === 1n,
    // The initial user namespace maps all of 0..2^32-2: "0 0 4294967295".
    userNamespace: uidMap.length >= 3 && !(uidMap[0] === '0' && uidMap[1] === '0' && uidMap[2] === '4294967295'),
    container: containerSign(),
    cgroups: cgroupRoot === 'cgroup2' ? 'v2' : hasV1 ? (fstypeAt('/sys/fs/cgroup/unified') === 'cgroup2' ? 'hybrid' : 'v1') : 'none',
    threads: Number(field('Threads') ?? 1),
    rootIsRamfs: ['rootfs', 'ramfs'].includes(fstypeAt('/') ?? ''),
  };
}

/** The usual marks a container runtime leaves: Docker's /.dockerenv, podman's /run/.containerenv, systemd's $container. */
function containerSign(): string | undefined {
  if (fs.existsSync('/.dockerenv')) return '/.dockerenv';
  if (fs.existsSync('/run/.containerenv')) return '/run/.containerenv';
  const env = readOr('/proc/1/environ', '').split('\0').find((e) => e.startsWith('container='));
  return env ?? (process.env.container ? `container=${process.env.container}` : undefined);
}

function readOr(file: string, fallback: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

/** A number from a /proc file, or undefined where it cannot be read (not Linux, a dry run elsewhere). */
function readNumber(file: string): number | undefined {
  try {
    const n = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}
