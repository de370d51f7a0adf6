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
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError, withContext } from '../errors';
import { MS, MNT } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Mount, Spec } from '../oci/spec';
import type { Bootstrap } from '../runtime/messages';
import { parseMountOptions } from './mount-options';
import { resolveInRoot } from './paths';
import { mountNamespaceInode } from './namespaces';
import { mountCgroupFs } from './cgroup-mount';
import { createDefaultDevices, createDevSymlinks } from './devices';

/** Steps 1-4: everything that happens with the host's `/` still visible. */
export function prepareRootfs(k: Kernel, spec: Spec, boot: Bootstrap): void {
  assertOwnMountNamespace(boot);
  makeMountsPrivate(k, spec);
  const rootfs = boot.rootfs;
  k.because('root.path', 'pivot_root(2) needs the new root to be a mount point: a bind mount of the rootfs onto itself makes it one.').mount(
    rootfs, rootfs, null, MS.BIND | MS.REC, null,
  );
  (spec.mounts ?? []).forEach((m, i) => {
    try {
      mountOne(k, m, `mounts[${i}]`, boot);
    } catch (err) {
      throw withContext(`mounts[${i}] (${m.type ?? 'bind'} on ${m.destination})`, err);
    }
  });
  const hasDevTmpfs = (spec.mounts ?? []).some((m) => path.normalize(m.destination) === '/dev');
  createDefaultDevices(k, rootfs, hasDevTmpfs);
  createDevSymlinks(k, rootfs, spec);
}

/**
 * A guard that protects the machine: everything in this file is harmless in a new mount
 * namespace and disastrous in the host's (pivot_root there would change the root of every
 * process). Prove we are elsewhere before touching anything.
 */
export function assertOwnMountNamespace(boot: Bootstrap): void {
  if (mountNamespaceInode() === boot.hostMountNs) {
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

function mountOne(k: Kernel, m: Mount, field: string, boot: Bootstrap): void {
  const opts = parseMountOptions(m.options);
  const target = resolveInRoot(boot.rootfs, m.destination);
  checkProcDestination(boot.rootfs, target, m.destination);
  const isBind = m.type === 'bind' || (opts.flags & MS.BIND) !== 0;
  const data = opts.data.length > 0 ? opts.data.join(',') : null;
  const kf = k.because(field);

  if (isBind) {
    const source = path.resolve(boot.bundle, m.source ?? '');
    if (!fs.existsSync(source)) throw new UserError(`bind source ${source} does not exist`);
    makeMountPoint(kf, target, fs.statSync(source).isDirectory());
    const bindFlags = MS.BIND | (opts.flags & MS.REC);
    kf.mount(source, target, null, bindFlags, null);
    // A bind mount takes only MS_BIND and MS_REC; ro, nosuid, ... need a second call (man 2 mount).
    const extra = opts.flags & ~(MS.BIND | MS.REC);
    if (extra !== 0) {
      k.because(field, 'A bind mount ignores flags like MS_RDONLY on the first call; a remount of the bind applies them.').mount(
        null, target, null, extra | MS.BIND | MS.REMOUNT, null,
      );
    }
  } else if (m.type === 'cgroup' || m.type === 'cgroup2') {
    makeMountPoint(kf, target, true);
    mountCgroupFs(kf, target, opts.flags);
  } else {
    makeMountPoint(kf, target, true);
    kf.mount(m.source ?? m.type ?? 'none', target, m.type ?? null, opts.flags & ~MS.REC, data);
  }
  for (const propagation of opts.propagation) kf.mount(null, target, null, propagation, null);
}

/** Make the file or directory a mount will cover, when the rootfs lacks it. */
function makeMountPoint(k: Kernel, target: string, directory: boolean): void {
  if (fs.existsSync(target)) return;
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
  let stat: fs.Stats;
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
