/**
 * Paths inside the container's rootfs, resolved on the host before pivot_root.
 *
 * A rootfs is untrusted: `/rootfs/run` may be a symlink to `/`, or to `../../etc`. Joining
 * strings would follow such a link out of the rootfs and mount over the host. So we resolve
 * each component ourselves, reading links as the container would see them: an absolute link
 * starts again at the rootfs, and `..` never climbs above it. (runc uses the same rule, from
 * its securejoin library; CVE-2021-30465 was a race against it, covered by the hardening work.)
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError } from '../errors';
import { hasProcNow, noteStandIn } from '../linux/proc';

export function resolveInRoot(root: string, dest: string): string {
  const pending = dest.split('/').filter(Boolean);
  const resolved: string[] = [];
  let linksFollowed = 0;
  while (pending.length > 0) {
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const hostPath = path.join(root, ...resolved, part);
    const link = readLinkOrUndefined(hostPath);
    if (link === undefined) {
      resolved.push(part);
      continue;
    }
    // 40 is the limit the kernel itself uses (MAXSYMLINKS) before ELOOP.
    if (++linksFollowed > 40) throw new UserError(`${dest}: too many levels of symbolic links in the rootfs`);
    if (link.startsWith('/')) resolved.length = 0;
    pending.unshift(...link.split('/').filter(Boolean));
  }
  return path.join(root, ...resolved);
}

function readLinkOrUndefined(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined; // not a link (EINVAL), or not there yet (ENOENT): both are plain components
  }
}

/** statfs(2)'s f_type of procfs (linux/magic.h). */
const PROC_SUPER_MAGIC = 0x9fa0;

/**
 * Before writing a kernel setting under /proc: is this file really on procfs? An image or a
 * volume could put a file, a symlink or a mount there, and the write would land elsewhere (runc's
 * CVE-2019-16884 and CVE-2019-19921 were such redirections).
 */
export function assertOnProcfs(file: string, field: string): void {
  if (!hasProcNow()) return noteStandIn(`statfs(${file}): taken to be on procfs`); // a dry run only (linux/proc.ts)
  let type: number;
  try {
    type = fs.statfsSync(file).type;
  } catch (err) {
    throw new UserError(`${field}: cannot check ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  if (type !== PROC_SUPER_MAGIC) {
    throw new UserError(`${field}: ${file} is not on procfs (filesystem type 0x${type.toString(16)}): refusing to write there`, 'something in the rootfs or the mounts covers /proc');
  }
}
