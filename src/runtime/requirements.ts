/**
 * What nk-runtime needs from a config beyond its schema, checked before anything is made, so
 * that an unsupported config fails with a reason and leaves nothing behind.
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError } from '../errors';
import type { IDMapping, Spec } from '../oci/spec';

export function checkSupported(spec: Spec): void {
  const namespaces = spec.linux?.namespaces ?? [];
  const has = (type: string) => namespaces.some((n) => n.type === type);
  const isNew = (type: string) => namespaces.some((n) => n.type === type && !n.path);

  if (!spec.process) throw new UserError('config.json: process: is required to create a container');
  checkUserNamespace(spec);
  if (has('time')) throw new UserError('config.json: linux.namespaces: time namespaces are not supported yet', 'remove the "time" entry');
  if (!isNew('mount')) {
    throw new UserError(
      'config.json: linux.namespaces: a new mount namespace is required',
      'nk-runtime builds the rootfs with mount and pivot_root, which would change the host if done in its mount namespace; add {"type": "mount"}',
    );
  }
  if (spec.hostname !== undefined && !isNew('uts')) {
    throw new UserError('config.json: hostname: setting a hostname needs a new UTS namespace', 'add {"type": "uts"} to linux.namespaces, or remove hostname');
  }
  // After pivot_root the init reaches exec.fifo through /proc/self/fd/N, as runc's init does (the
  // state dir is out of sight by then). Without a proc at /proc that open would fail after create
  // has gone, and `start` could only say that the init has exited.
  if (!(spec.mounts ?? []).some((m) => m.type === 'proc' && path.posix.normalize(m.destination) === '/proc')) {
    throw new UserError(
      'config.json: mounts: the container needs a proc filesystem mounted at /proc',
      'after pivot_root the init reaches exec.fifo through /proc/self/fd, as runc\'s does; add {"destination": "/proc", "type": "proc", "source": "proc"}',
    );
  }
}

/**
 * A user namespace: new (an existing one by path is not supported at create), with maps that
 * the kernel will take and that give the container a root (nk-userns becomes uid and gid 0
 * inside before the init starts, as runc's nsexec does). man 7 user_namespaces
 */
function checkUserNamespace(spec: Spec): void {
  const linux = spec.linux ?? {};
  const index = (linux.namespaces ?? []).findIndex((n) => n.type === 'user');
  const maps = { uidMappings: linux.uidMappings ?? [], gidMappings: linux.gidMappings ?? [] };
  if (index < 0) {
    for (const [field, list] of Object.entries(maps)) {
      if (list.length) throw new UserError(`config.json: linux.${field}: mappings are for a user namespace, and linux.namespaces has none`, 'add {"type": "user"} to linux.namespaces, or remove the mappings');
    }
    return;
  }
  if (linux.namespaces![index].path) {
    throw new UserError(`config.json: linux.namespaces[${index}]: joining an existing user namespace is not supported`, 'leave out "path": nk-runtime makes a new user namespace with linux.uidMappings and linux.gidMappings');
  }
  for (const [field, list] of Object.entries(maps)) checkIdMap(`linux.${field}`, list);
  // proc belongs to a PID namespace, sysfs to a network namespace: mounting either takes
  // CAP_SYS_ADMIN over the user namespace that owns that namespace (man 7 user_namespaces).
  for (const [fstype, ns, name] of [['proc', 'pid', 'PID'], ['sysfs', 'network', 'network']]) {
    const at = (spec.mounts ?? []).findIndex((m) => m.type === fstype);
    if (at >= 0 && !(linux.namespaces ?? []).some((n) => n.type === ns)) {
      throw new UserError(
        `config.json: mounts[${at}]: ${fstype} cannot be mounted in a user namespace that shares the host's ${name} namespace`,
        `the host's ${name} namespace belongs to the host's user namespace: add {"type": "${ns}"} to linux.namespaces${fstype === 'sysfs' ? ', or bind-mount /sys instead' : ''}`,
      );
    }
  }
  const user = spec.process?.user;
  if (user && !isMapped(maps.uidMappings, user.uid)) throw new UserError(`config.json: process.user.uid: ${user.uid} is not mapped by linux.uidMappings`, 'the program can only run as a uid the user namespace has');
  for (const gid of [user?.gid ?? 0, ...(user?.additionalGids ?? [])]) {
    if (!isMapped(maps.gidMappings, gid)) throw new UserError(`config.json: process.user: gid ${gid} is not mapped by linux.gidMappings`, 'the program can only have groups the user namespace has');
  }
}

/** What the kernel takes in a uid_map or gid_map, and a root (ID 0) inside. */
export function checkIdMap(field: string, mappings: IDMapping[]): void {
  if (mappings.length === 0) throw new UserError(`config.json: ${field}: a user namespace needs at least one mapping`, 'for example {"containerID": 0, "hostID": 100000, "size": 65536}');
  // The kernel's limit since Linux 4.15 (man 7 user_namespaces).
  if (mappings.length > 340) throw new UserError(`config.json: ${field}: ${mappings.length} mappings; the kernel takes at most 340`);
  mappings.forEach((m, i) => {
    if (m.size === 0) throw new UserError(`config.json: ${field}[${i}].size: must be at least 1`);
    for (const key of ['containerID', 'hostID'] as const) {
      if (m[key] + m.size > 2 ** 32 - 1) throw new UserError(`config.json: ${field}[${i}]: ${key} + size goes past 4294967295`);
    }
    mappings.slice(0, i).forEach((other, j) => {
      for (const key of ['containerID', 'hostID'] as const) {
        if (m[key] < other[key] + other.size && other[key] < m[key] + m.size) {
          throw new UserError(`config.json: ${field}[${i}]: its ${key} range overlaps ${field}[${j}]'s`, 'the kernel refuses overlapping ranges (EINVAL)');
        }
      }
    });
  });
  if (!isMapped(mappings, 0)) throw new UserError(`config.json: ${field}: ID 0 is not mapped`, 'nk-runtime becomes root of the user namespace before it sets the container up: map containerID 0');
}

function isMapped(mappings: IDMapping[], id: number): boolean {
  return mappings.some((m) => id >= m.containerID && id < m.containerID + m.size);
}

/**
 * With a user namespace the init is, on the host, an ordinary user (the hostID of container
 * root): it must be able to walk to the rootfs, or its first mount fails with a bare EACCES.
 * Each directory from / down to the rootfs needs search permission for it (man 7
 * path_resolution); its capabilities count for nothing there.
 */
export function checkRootfsReachable(spec: Spec, rootfs: string): void {
  const linux = spec.linux ?? {};
  if (!(linux.namespaces ?? []).some((n) => n.type === 'user')) return;
  const { uid, gid } = containerRootOnHost(spec);
  for (let dir = rootfs; ; dir = path.dirname(dir)) {
    const st = fs.statSync(dir);
    const bit = st.uid === uid ? 0o100 : st.gid === gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) {
      throw new UserError(
        `config.json: root.path: ${rootfs} is out of reach of the container's root, host uid ${uid}: ${dir} is mode 0${(st.mode & 0o777).toString(8)}`,
        'in a user namespace root is an ordinary user of the host: make each directory above the rootfs searchable by it (chmod o+x), or put the bundle elsewhere',
      );
    }
    if (path.dirname(dir) === dir) return;
  }
}

/** The host uid and gid of the container's root (checkUserNamespace made sure ID 0 is mapped). */
export function containerRootOnHost(spec: Spec): { uid: number; gid: number } {
  const host = (mappings: IDMapping[]) => mappings.find((m) => m.containerID === 0)!.hostID;
  return { uid: host(spec.linux!.uidMappings!), gid: host(spec.linux!.gidMappings!) };
}

/**
 * The host uid and gid of the program's user (process.user): through the mappings in a user
 * namespace of the container's own, as they are without one. An id the mappings leave out (the
 * init's setuid will refuse it) counts as the container's root.
 */
export function programUserOnHost(spec: Spec): { uid: number; gid: number } {
  const user = spec.process!.user;
  if (!(spec.linux?.namespaces ?? []).some((n) => n.type === 'user' && !n.path)) return { uid: user.uid, gid: user.gid };
  const root = containerRootOnHost(spec);
  const host = (mappings: IDMapping[], id: number) => {
    const range = mappings.find((m) => id >= m.containerID && id < m.containerID + m.size);
    return range && range.hostID + (id - range.containerID);
  };
  return { uid: host(spec.linux!.uidMappings!, user.uid) ?? root.uid, gid: host(spec.linux!.gidMappings!, user.gid) ?? root.gid };
}
