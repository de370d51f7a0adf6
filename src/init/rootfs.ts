/**
 * The container's filesystem: from the host's mount tree to the rootfs as `/`.
 *
 *   1. make every mount private: nothing we do from here on propagates back to the host
 *   2. bind-mount the rootfs onto itself: pivot_root needs the new root to be a mount point
 *   3. the config's mounts (proc, tmpfs on /dev, devpts, sysfs, bind mounts...), inside the rootfs
 *   4. the default device nodes and /dev symlinks
 *   5. pivot_root: the rootfs becomes `/`; the old root is detached
 *   6. masked and read-only paths, a read-only root if asked, the rootfs propagation
 *
 * Every step is a call of the kernel layer, so -E narrates it and it can be faked in tests.
 */
import type { Stats } from 'node:fs';
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError, withContext } from '../errors';
import { MS, MNT, O_CLOEXEC, O_PATH, RESOLVE } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Mount, Spec } from '../oci/spec';
import type { Bootstrap } from '../runtime/messages';
import { parseMountOptions } from './mount-options';
import { resolveInRoot } from './paths';
import { mountCgroupFs } from './cgroup-mount';
import { createConfigDevices, createDefaultDevices, createDevSymlinks } from './devices';
import { OWN_VIEW, type InitView, type PathView } from './view';

/** Steps 1-4: everything that happens with the host's `/` still visible. */
export function prepareRootfs(k: Kernel, spec: Spec, boot: Bootstrap, view: Pick<InitView, 'mountNamespaceInode' | 'exists' | 'isSymlink'> = OWN_VIEW): void {
  assertOwnMountNamespace(boot, view);
  makeMountsPrivate(k, spec);
  const rootfs = boot.rootfs;
  k.because('root.path', 'pivot_root(2) needs the new root to be a mount point: a bind mount of the rootfs onto itself makes it one.').mount(
    rootfs, rootfs, null, MS.BIND | MS.REC, null,
  );
  const rootDir = k.because('mounts', 'A handle on the rootfs: each mount destination is opened below it (openat2), never by its path alone.').open(
    rootfs, O_PATH | fs.constants.O_DIRECTORY | O_CLOEXEC, 0,
  );
  try {
    (spec.mounts ?? []).forEach((m, i) => {
      try {
        mountOne(k, m, `mounts[${i}]`, boot, rootDir, view);
      } catch (err) {
        throw withContext(`mounts[${i}] (${m.type ?? 'bind'} on ${m.destination})`, err);
      }
    });
  } finally {
    k.because('mounts', 'The rootfs, open for the mounts above: no longer needed.').close(rootDir);
  }
  const hasDevTmpfs = (spec.mounts ?? []).some((m) => path.normalize(m.destination) === '/dev');
  createDefaultDevices(k, rootfs, hasDevTmpfs, view);
  createConfigDevices(k, rootfs, spec, view);
  createDevSymlinks(k, rootfs, spec, view);
}

/**
 * A guard that protects the machine: everything in this file is harmless in a new mount
 * namespace and disastrous in the host's (pivot_root there would change the root of every
 * process). Prove we are elsewhere before touching anything.
 */
export function assertOwnMountNamespace(boot: Bootstrap, view: Pick<InitView, 'mountNamespaceInode'> = OWN_VIEW): void {
  if (view.mountNamespaceInode() === boot.hostMountNs) {
    throw new UserError(
      'refusing to set up the rootfs: the init is still in the host\'s mount namespace',
      'the config must ask for a new mount namespace (linux.namespaces: {"type": "mount"})',
    );
  }
}

function makeMountsPrivate(k: Kernel, spec: Spec): void {
  // A new mount namespace starts with copies of the host's mounts, and shared ones still pass
  // events both ways (man 7 mount_namespaces). Making them all private cuts that link first.
  k.because(
    spec.linux?.rootfsPropagation ? 'linux.rootfsPropagation' : 'root',
    'Our mount namespace starts as a copy of the host\'s, and shared mounts would still pass mount events back to the host. MS_REC|MS_PRIVATE cuts that link for every mount, before we change anything.',
  ).mount(null, '/', null, MS.REC | MS.PRIVATE, null);
}

/**
 * The only places under /proc a mount may cover: /proc itself, and the files that lxcfs
 * replaces to show a container its own figures (runc allows the same list). Anything else under
 * /proc could hide or replace the kernel's controls from the container's view: a mount over
 * /proc/self/attr, or a symlink in the rootfs that sends a mount there, was runc's
 * CVE-2019-16884.
 */
const PROC_MOUNTS_ALLOWED = ['cpuinfo', 'diskstats', 'meminfo', 'stat', 'swaps', 'uptime', 'loadavg', 'slabinfo', 'sys/kernel/ns_last_pid'];

function checkProcDestination(rootfs: string, target: string, destination: string): void {
  const proc = path.join(rootfs, 'proc');
  if (target === proc || !target.startsWith(`${proc}/`)) return;
  if (PROC_MOUNTS_ALLOWED.includes(path.relative(proc, target))) return;
  throw new UserError(
    `destination ${destination} is ${path.relative(rootfs, target) === destination.replace(/^\/+/, '') ? '' : `(through a symlink in the rootfs, /${path.relative(rootfs, target)}) `}inside /proc: a mount there could hide the kernel's files from the container`,
    `only /proc itself and the lxcfs files (${PROC_MOUNTS_ALLOWED.map((p) => `/proc/${p}`).join(', ')}) may be mount destinations`,
  );
}

/**
 * proc and sysfs go onto real directories only: an image whose /proc is a symlink (to somewhere
 * the runtime writes later, such as /proc/self/attr of another procfs) could redirect the mount
 * and what is written through it (runc's CVE-2023-27561 and CVE-2019-19921).
 */
function checkKernelFsDestination(m: Mount, rootfs: string, target: string): void {
  if (m.type !== 'proc' && m.type !== 'sysfs') return;
  const literal = path.join(rootfs, path.normalize(`/${m.destination}`));
  if (target !== literal) {
    throw new UserError(`destination ${m.destination} is a symlink in the rootfs (to /${path.relative(rootfs, target)}): ${m.type} is mounted only onto a real directory`, 'replace the symlink in the image with a directory');
  }
}

function mountOne(k: Kernel, m: Mount, field: string, boot: Bootstrap, rootDir: number, view: PathView): void {
  const opts = parseMountOptions(m.options);
  const target = resolveInRoot(boot.rootfs, m.destination);
  checkProcDestination(boot.rootfs, target, m.destination);
  checkKernelFsDestination(m, boot.rootfs, target);
  const isBind = m.type === 'bind' || (opts.flags & MS.BIND) !== 0;
  const data = opts.data.length > 0 ? opts.data.join(',') : null;
  const kf = k.because(field);

  if (m.type === 'cgroup' || m.type === 'cgroup2') {
    // A tmpfs and the controllers below it: all made by us, inside a mount of our own.
    makeMountPoint(kf, target, true, view);
    mountCgroupFs(kf, target, opts.flags);
    for (const propagation of opts.propagation) kf.mount(null, target, null, propagation, null);
    return;
  }
  const source = isBind ? path.resolve(boot.bundle, m.source ?? '') : undefined;
  if (source !== undefined && !fs.existsSync(source)) throw new UserError(`bind source ${source} does not exist`);
  makeMountPoint(kf, target, source === undefined || fs.statSync(source).isDirectory(), view);
  // Between resolving the destination and mounting on it, another container sharing this rootfs
  // could swap a directory on the way for a symlink to "/" (runc's CVE-2021-30465). So the
  // destination is opened once, below the rootfs (RESOLVE_IN_ROOT), and mounted on through its fd:
  // /proc/self/fd/N names that very directory, whatever the path says by then.
  const relative = path.relative(boot.rootfs, target) || '.';
  const openDestination = (why: string) => k.because(field, why).openat2(rootDir, relative, O_PATH | O_CLOEXEC, RESOLVE.IN_ROOT | RESOLVE.NO_MAGICLINKS);
  const onto = (fd: number, why: string) => k.because(field, `${why} Onto ${m.destination}, through fd ${fd} (opened just above).`);
  const fd = openDestination(`The destination ${m.destination}, opened inside the rootfs whatever its symlinks say: the mount goes onto this fd.`);
  try {
    if (source !== undefined) {
      onto(fd, `Binds ${source} of the host.`).mount(source, `/proc/self/fd/${fd}`, null, MS.BIND | (opts.flags & MS.REC), null);
    } else {
      onto(fd, `Mounts a new ${m.type ?? m.source} filesystem.`).mount(m.source ?? m.type ?? 'none', `/proc/self/fd/${fd}`, m.type ?? null, opts.flags & ~MS.REC, data);
    }
  } finally {
    k.because(field).close(fd);
  }
  // A bind mount takes only MS_BIND and MS_REC; ro, nosuid, ... need a second call (man 2 mount).
  // That call, and propagation changes, must reach the new mount: the fd above still names the
  // directory underneath it, so the destination is opened again.
  const extra = source !== undefined ? opts.flags & ~(MS.BIND | MS.REC) : 0;
  if (extra === 0 && opts.propagation.length === 0) return;
  const mounted = openDestination(`The new mount at ${m.destination}, opened the same way, to change it.`);
  try {
    if (extra !== 0) {
      onto(mounted, 'A bind mount ignores flags like MS_RDONLY on the first call; a remount of the bind applies them.').mount(
        null, `/proc/self/fd/${mounted}`, null, extra | MS.BIND | MS.REMOUNT, null,
      );
    }
    for (const propagation of opts.propagation) onto(mounted, 'Its propagation, as the options say.').mount(null, `/proc/self/fd/${mounted}`, null, propagation, null);
  } finally {
    k.because(field).close(mounted);
  }
}

/** Make the file or directory a mount will cover, when the rootfs lacks it. */
function makeMountPoint(k: Kernel, target: string, directory: boolean, view: PathView): void {
  if (view.exists(target)) return;
  if (directory) {
    k.mkdirAll(target, 0o755);
  } else {
    k.mkdirAll(path.dirname(target), 0o755);
    k.close(k.open(target, fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o644));
  }
}

/** Step 5: the switch. After this the host's files are out of reach. */
export function pivotToRootfs(k: Kernel, rootfs: string): void {
  k.because('root.path', 'pivot_root(".", ".") needs the new root to be the working directory.').chdir(rootfs);
  k.because(
    'root.path',
    'With both arguments ".", the old root is stacked on top of the new one at the same place: the next umount2 of "." takes it away, and no directory is needed to hold it.',
  ).pivotRoot('.', '.');
  k.because('root.path', 'Detaching the old root: from here on, nothing of the host\'s filesystem can be reached.').umount2('.', MNT.DETACH);
  k.because('root.path').chdir('/');
}

/**
 * --no-pivot: the rootfs becomes "/" without pivot_root, for roots where pivot_root cannot work
 * (the initramfs a machine booted from cannot be pivoted away from: man 2 pivot_root). As runc's
 * msMoveRoot: detach every mount outside the rootfs, move the rootfs mount onto "/", chroot into
 * it. Weaker than pivot_root: the old root stays underneath, and a process with CAP_SYS_CHROOT
 * can climb out of a chroot. That is why it is not the default.
 */
export function moveToRootfs(k: Kernel, rootfs: string): void {
  const mountPoints = fs
    .readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ')[4]);
  const inside = (p: string, dir: string) => p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
  // Deepest first; not the rootfs or what is in it, nor its parents ("/", the bundle's mount).
  for (const point of [...new Set(mountPoints)].reverse()) {
    if (inside(point, rootfs) || inside(rootfs, point)) continue;
    try {
      k.because('--no-pivot', 'A mount outside the rootfs: detached, so that the container cannot reach it once the rootfs is "/".').umount2(point, MNT.DETACH);
    } catch {
      // already gone with its parent
    }
  }
  k.because('--no-pivot').chdir(rootfs);
  k.because('--no-pivot', 'MS_MOVE puts the rootfs mount at "/" of this mount namespace, on top of the old root.').mount(rootfs, '/', null, MS.MOVE, null);
  k.because('--no-pivot', 'The moved mount becomes our root directory; the old root is underneath, out of reach of paths.').chroot('.');
  k.because('--no-pivot').chdir('/');
}

/** Step 6: what is done from inside, once `/` is the rootfs and /proc is the container's own. */
export function finishRootfs(k: Kernel, spec: Spec): void {
  (spec.linux?.maskedPaths ?? []).forEach((p, i) => maskPath(k.because(`linux.maskedPaths[${i}]`), p));
  (spec.linux?.readonlyPaths ?? []).forEach((p, i) => readonlyPath(k.because(`linux.readonlyPaths[${i}]`), p));
  if (spec.root?.readonly) {
    k.because('root.readonly', 'A remount of the root bind mount with MS_RDONLY: the container cannot write to its rootfs.').mount(
      null, '/', null, MS.BIND | MS.REMOUNT | MS.RDONLY, null,
    );
  }
  const propagation = spec.linux?.rootfsPropagation;
  if (propagation) {
    const { propagation: flags } = parseMountOptions([propagation]);
    for (const flag of flags) k.because('linux.rootfsPropagation').mount(null, '/', null, flag, null);
  }
}

/** Hide a path: an empty read-only tmpfs over a directory, /dev/null over a file. */
function maskPath(k: Kernel, p: string): void {
  let stat: Stats;
  try {
    stat = fs.statSync(p);
  } catch {
    return; // nothing there to hide
  }
  if (stat.isDirectory()) k.mount('tmpfs', p, 'tmpfs', MS.RDONLY, null);
  else k.mount('/dev/null', p, null, MS.BIND, null);
}

/** Make a path read-only: bind it onto itself, then remount that bind read-only. */
function readonlyPath(k: Kernel, p: string): void {
  if (!fs.existsSync(p)) return;
  k.mount(p, p, null, MS.BIND | MS.REC, null);
  k.mount(null, p, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.REC, null);
}
