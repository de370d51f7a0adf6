/**
 * The device nodes every container gets, whatever its config says (runtime-spec: "Default
 * Devices"), and the /dev symlinks programs expect.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { S_IFCHR } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Spec } from '../oci/spec';

const DEFAULT_DEVICES = [
  { name: 'null', major: 1, minor: 3 },
  { name: 'zero', major: 1, minor: 5 },
  { name: 'full', major: 1, minor: 7 },
  { name: 'random', major: 1, minor: 8 },
  { name: 'urandom', major: 1, minor: 9 },
  { name: 'tty', major: 5, minor: 0 },
];

export function createDefaultDevices(k: Kernel, rootfs: string, devIsTmpfs: boolean): void {
  const dev = path.join(rootfs, 'dev');
  if (!fs.existsSync(dev)) k.mkdirAll(dev, 0o755);
  for (const d of DEFAULT_DEVICES) {
    const node = path.join(dev, d.name);
    // Without a tmpfs on /dev the nodes would be made in the bundle's rootfs on disk; when one is
    // already there (from an earlier run), it is the same device, so keep it.
    if (!devIsTmpfs && fs.existsSync(node)) continue;
    k.because(
      'default devices',
      `/dev/${d.name} is a character device (${d.major}, ${d.minor}); every container gets it (runtime-spec "Default Devices").`,
    ).mknod(node, S_IFCHR | 0o666, d.major, d.minor);
  }
}

export function createDevSymlinks(k: Kernel, rootfs: string, spec: Spec): void {
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
    if (fs.existsSync(link) || isSymlink(link)) continue;
    k.because('default devices', `/dev/${name} -> ${target}, as programs expect.`).symlink(target, link);
  }
}

function isSymlink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
