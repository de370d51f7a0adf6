/**
 * A `cgroup` entry of config.json `mounts`: the cgroup filesystem, seen from inside.
 *
 * On a cgroup v2 host that is one mount of cgroup2. On a v1 (or hybrid) host there is one
 * hierarchy per controller, so /sys/fs/cgroup is a tmpfs holding one cgroup mount per hierarchy,
 * as on the host. With a new cgroup namespace each shows the container's own cgroup as its root
 * (man 7 cgroup_namespaces).
 */
import { MOUNTINFO_STAND_IN, SELF_CGROUP_STAND_IN, readProc } from '../linux/proc';
import * as path from 'node:path';
import { MS } from '../linux/constants';
import type { Kernel } from '../linux/kernel';

interface Hierarchy {
  /** Name of the directory on the host, such as "memory" or "cpu,cpuacct". */
  name: string;
  fstype: 'cgroup' | 'cgroup2';
  /** The controllers, as mount options: "memory", "name=systemd". */
  options: string;
}

export function mountCgroupFs(k: Kernel, target: string, flags: number): void {
  const hierarchies = hostHierarchies();
  const unified = hierarchies.find((h) => h.fstype === 'cgroup2' && h.name === '');
  if (unified) {
    k.mount('cgroup', target, 'cgroup2', flags, null);
    return;
  }
  // v1: a tmpfs to hold the hierarchies, made read-only (if asked) once they are in place.
  k.mount('tmpfs', target, 'tmpfs', (flags & ~MS.RDONLY) | MS.NOSUID | MS.NODEV | MS.NOEXEC, 'mode=755');
  const own = ownCgroups();
  for (const h of hierarchies) {
    const dir = path.join(target, h.name);
    k.mkdirAll(dir, 0o755);
    try {
      k.mount('cgroup', dir, h.fstype, flags, h.fstype === 'cgroup' ? h.options : null);
    } catch (err) {
      // In a user namespace whose cgroup namespace is the host's (podman's on cgroup v1), the
      // mount needs CAP_SYS_ADMIN over the host (man 7 cgroup_namespaces). Bind our own cgroup
      // of the host's hierarchy instead, as runc always does on v1.
      const mine = own.get(h.fstype === 'cgroup2' ? '' : h.options);
      if ((err as { code?: string }).code !== 'EPERM' || mine === undefined) throw err;
      const source = path.join('/sys/fs/cgroup', h.name, mine);
      k.because('mounts (cgroup)', 'Not allowed to mount a cgroup hierarchy here: our own cgroup of the host\'s, bound instead...').mount(source, dir, null, MS.BIND, null);
      k.because('mounts (cgroup)', '...with the mount\'s flags (a bind mount takes them with a remount).').mount(null, dir, null, MS.REMOUNT | MS.BIND | flags, null);
    }
  }
  if (flags & MS.RDONLY) k.mount(null, target, null, MS.REMOUNT | MS.BIND | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, null);
}

/** The cgroup hierarchies mounted under /sys/fs/cgroup, read from /proc/self/mountinfo. */
function hostHierarchies(): Hierarchy[] {
  const found: Hierarchy[] = [];
  for (const line of readProc('/proc/self/mountinfo', () => MOUNTINFO_STAND_IN).split('\n')) {
    // man 5 proc: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
    const [before, after] = line.split(' - ');
    if (!after) continue;
    const mountPoint = before.split(' ')[4];
    const [fstype, , superOptions] = after.split(' ');
    if ((fstype !== 'cgroup' && fstype !== 'cgroup2') || !mountPoint.startsWith('/sys/fs/cgroup')) continue;
    const name = path.relative('/sys/fs/cgroup', mountPoint);
    const controllers = superOptions
      .split(',')
      .filter((o) => o !== 'rw' && o !== 'ro' && !o.startsWith('clone_children') && o !== 'nsdelegate' && o !== 'memory_recursiveprot');
    found.push({ name, fstype, options: controllers.join(',') });
  }
  return found;
}

/**
 * This process's cgroup in each hierarchy, from /proc/self/cgroup ("4:memory:/nk-box", "0::/"
 * for cgroup2), by the hierarchy's controllers as mountinfo names them (man 7 cgroups).
 */
function ownCgroups(): Map<string, string> {
  const own = new Map<string, string>();
  for (const line of readProc('/proc/self/cgroup', () => SELF_CGROUP_STAND_IN).split('\n')) {
    const match = /^\d+:([^:]*):(.*)$/.exec(line);
    if (match) own.set(match[1], match[2]);
  }
  return own;
}
