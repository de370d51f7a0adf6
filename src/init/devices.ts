/**
 * The device nodes every container gets, whatever its config says (runtime-spec: "Default
 * Devices"), and the /dev symlinks programs expect.
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { MS, S_IFBLK, S_IFCHR, S_IFIFO } from '../linux/constants';
import { resolveInRoot } from './paths';
import type { Kernel } from '../linux/kernel';
import type { Spec } from '../oci/spec';
import { OWN_VIEW, type PathView } from './view';

const DEFAULT_DEVICES = [
  { name: 'null', major: 1, minor: 3 },
  { name: 'zero', major: 1, minor: 5 },
  { name: 'full', major: 1, minor: 7 },
  { name: 'random', major: 1, minor: 8 },
  { name: 'urandom', major: 1, minor: 9 },
  { name: 'tty', major: 5, minor: 0 },
];

export function createDefaultDevices(k: Kernel, rootfs: string, devIsTmpfs: boolean, view: PathView = OWN_VIEW): void {
  const dev = path.join(rootfs, 'dev');
  if (!view.exists(dev)) k.mkdirAll(dev, 0o755);
  for (const d of DEFAULT_DEVICES) {
    const node = path.join(dev, d.name);
    // Without a tmpfs on /dev the nodes would be made in the bundle's rootfs on disk; when one is
    // already there (from an earlier run), it is the same device, so keep it.
    if (!devIsTmpfs && view.exists(node)) continue;
    try {
      k.because(
        'default devices',
        `/dev/${d.name} is a character device (${d.major}, ${d.minor}); every container gets it (runtime-spec "Default Devices").`,
      ).mknod(node, S_IFCHR | 0o666, d.major, d.minor);
    } catch (err) {
      // In a user namespace: no CAP_MKNOD over the host's devices (man 7 user_namespaces).
      if ((err as { code?: string }).code !== 'EPERM') throw err;
      bindHostNode(k, 'default devices', node, `/dev/${d.name}`);
    }
  }
}

/** Where mknod is refused: an empty file, and the host's node of the same path bound onto it. */
function bindHostNode(k: Kernel, field: string, node: string, hostPath: string): void {
  k.because(field, 'mknod is not allowed here (in a user namespace, no CAP_MKNOD counts for the host\'s devices): an empty file to mount on...').close(
    k.open(node, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o644),
  );
  k.because(field, `...and the host's ${hostPath} bound onto it.`).mount(hostPath, node, null, MS.BIND, null);
}

/** The file type bits of each device type of linux.devices ("u" is a character device too). */
const TYPE_BITS: Record<string, number> = { c: S_IFCHR, u: S_IFCHR, b: S_IFBLK, p: S_IFIFO };

/**
 * linux.devices: each node made with mknod as the config says (type, major, minor, mode, owner).
 * Where mknod is not allowed (EPERM: no CAP_MKNOD, as in a user namespace), the host's node of
 * the same path is bind-mounted instead, as runc does.
 */
export function createConfigDevices(k: Kernel, rootfs: string, spec: Spec, view: PathView = OWN_VIEW): void {
  (spec.linux?.devices ?? []).forEach((d, i) => {
    const field = `linux.devices[${i}]`;
    const node = resolveInRoot(rootfs, d.path);
    if (!view.exists(path.dirname(node))) k.because(field).mkdirAll(path.dirname(node), 0o755);
    if (view.exists(node)) k.because(field, 'A node is there already (the rootfs has one): replaced by the config\'s.').unlink(node);
    const mode = TYPE_BITS[d.type] | ((d.fileMode ?? 0o666) & 0o7777);
    try {
      k.because(field, `${d.path}: a ${d.type === 'b' ? 'block' : d.type === 'p' ? 'FIFO' : 'character'} device, as the config lists it.`).mknod(node, mode, d.major ?? 0, d.minor ?? 0);
    } catch (err) {
      if ((err as { code?: string }).code !== 'EPERM' || !fs.existsSync(d.path)) throw err;
      bindHostNode(k, field, node, d.path);
      return;
    }
    k.because(field, 'The owner the config gives the node.').chown(node, d.uid ?? 0, d.gid ?? 0);
  });
}

export function createDevSymlinks(k: Kernel, rootfs: string, spec: Spec, view: PathView = OWN_VIEW): void {
  const hasDevpts = (spec.mounts ?? []).some((m) => path.normalize(m.destination) === '/dev/pts');
  const links: Array<[string, string]> = [
    ['/proc/self/fd', 'fd'],
    ['/proc/self/fd/0', 'stdin'],
    ['/proc/self/fd/1', 'stdout'],
    ['/proc/self/fd/2', 'stderr'],
  ];
  if (hasDevpts) links.push(['pts/ptmx', 'ptmx']);
  for (const [target, name] of links) {
    const link = path.join(rootfs, 'dev', name);
    if (view.exists(link) || view.isSymlink(link)) continue;
    k.because('default devices', `/dev/${name} -> ${target}, as programs expect.`).symlink(target, link);
  }
}
