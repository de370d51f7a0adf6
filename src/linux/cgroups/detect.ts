/**
 * Which cgroup version this host uses, and where each hierarchy is mounted.
 *
 * Two files answer it (both plain reads, nothing is changed):
 *   /proc/self/mountinfo  every mount; cgroup filesystems have fstype "cgroup" (v1) or "cgroup2"
 *                         (man 5 proc, "/proc/pid/mountinfo")
 *   /proc/self/cgroup     which cgroup this process is in, one line per hierarchy:
 *                         "4:memory:/process_api/34b6..." (v1) or "0::/user.slice/..." (v2)
 *                         (man 7 cgroups, "/proc/[pid]/cgroup")
 */
import * as path from 'node:path';
import { UserError } from '../../errors';

/** The v1 controllers nk-runtime places containers in (whichever of them the host has). */
export const V1_CONTROLLERS = ['cpu', 'cpuacct', 'cpuset', 'memory', 'pids', 'devices', 'freezer', 'blkio', 'hugetlb', 'net_cls', 'net_prio', 'rdma'];

/** One hierarchy as this process sees it. */
export interface Hierarchy {
  /** Where it is mounted: "/sys/fs/cgroup/memory". */
  mountPoint: string;
  /** Which cgroup of the hierarchy appears at the mount point (mountinfo's 4th field): "/". */
  mountRoot: string;
  /** The cgroup this process is in, as /proc/self/cgroup names it: "/process_api/34b6...". */
  ownPath: string;
}

export type Layout =
  | { version: 2; unified: Hierarchy }
  /** controller -> hierarchy; co-mounted controllers (cpu,cpuacct) share one Hierarchy. */
  | { version: 1; controllers: Record<string, Hierarchy> };

export interface Mount {
  mountRoot: string;
  mountPoint: string;
  fstype: string;
  /** The filesystem's own options; for cgroup v1 they name the controllers: "rw,cpu,cpuacct". */
  superOptions: string[];
}

/**
 * Parse /proc/self/mountinfo. A line is
 *   36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue
 * with a variable number of optional fields before the "-".
 */
export function parseMountinfo(text: string): Mount[] {
  const mounts: Mount[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const dash = fields.indexOf('-');
    if (dash < 6) continue;
    mounts.push({
      mountRoot: unescapeOctal(fields[3]),
      mountPoint: unescapeOctal(fields[4]),
      fstype: fields[dash + 1],
      superOptions: (fields[dash + 3] ?? '').split(','),
    });
  }
  return mounts;
}

/** mountinfo writes a space in a path as "\040" (and tab, newline, backslash likewise). */
function unescapeOctal(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parse /proc/self/cgroup into controller list -> path. v2's line has an empty list. */
export function parseSelfCgroup(text: string): { controllers: string[]; path: string }[] {
  const lines: { controllers: string[]; path: string }[] = [];
  for (const line of text.split('\n')) {
    // "hierarchy-ID:controller-list:path"; the path itself may contain ':'.
    const match = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!match) continue;
    lines.push({ controllers: match[2] ? match[2].split(',') : [], path: match[3] });
  }
  return lines;
}

/**
 * Decide v1 or v2 and find the hierarchies.
 *
 * v2 only when `root` itself is a cgroup2 mount (a "pure v2" host). A hybrid host (v1
 * controllers, plus a cgroup2 at <root>/unified that holds no controllers, used by systemd only
 * to track processes) is treated as v1: the limits live in the v1 hierarchies.
 */
export function detectLayout(root: string, mountinfo: string, selfCgroup: string): Layout {
  const mounts = parseMountinfo(mountinfo);
  const own = parseSelfCgroup(selfCgroup);

  // A mount point can be mounted over; the last line for it is the one on top.
  const atRoot = mounts.filter((m) => m.mountPoint === root).pop();
  if (atRoot?.fstype === 'cgroup2') {
    const line = own.find((l) => l.controllers.length === 0);
    if (!line) throw new UserError(`cgroup: /proc/self/cgroup has no cgroup v2 line ("0::/...")`);
    return { version: 2, unified: { mountPoint: root, mountRoot: atRoot.mountRoot, ownPath: line.path } };
  }

  const controllers: Record<string, Hierarchy> = {};
  for (const mount of mounts) {
    if (mount.fstype !== 'cgroup' || !isUnder(mount.mountPoint, root)) continue;
    // "rw,cpu,cpuacct": the controllers are the options that name one (the first mount wins).
    const names = mount.superOptions.filter((o) => V1_CONTROLLERS.includes(o) && !controllers[o]);
    if (names.length === 0) continue;
    const line = own.find((l) => names.some((n) => l.controllers.includes(n)));
    if (!line) throw new UserError(`cgroup: /proc/self/cgroup has no line for the ${names.join(',')} hierarchy`);
    const hierarchy = { mountPoint: mount.mountPoint, mountRoot: mount.mountRoot, ownPath: line.path };
    for (const name of names) controllers[name] = hierarchy;
  }
  if (Object.keys(controllers).length === 0) {
    throw new UserError(`cgroup: no cgroup filesystem is mounted at or under ${root}`, 'see man 7 cgroups');
  }
  return { version: 1, controllers };
}

/** Whether `p` is `dir` or inside it. */
export function isUnder(p: string, dir: string): boolean {
  const rel = path.posix.relative(dir, p);
  return rel === '' || (rel !== '..' && !rel.startsWith('../') && !path.posix.isAbsolute(rel));
}
