/**
 * Where in a hierarchy a container's cgroup goes, from config.json's `linux.cgroupsPath`
 * (config-linux.md, "Cgroups path"):
 *
 *   absolute "/default/abc"  relative to the hierarchy's root:   <mount>/default/abc
 *   relative "abc" or absent relative to the cgroup the runtime itself is in (read from
 *                            /proc/self/cgroup), so containers stay inside whatever slice,
 *                            session or sandbox started us:        <mount>/<our cgroup>/abc
 *
 * When absent, the path is "nk-<id>".
 */
import * as path from 'node:path';
import { UserError } from '../../errors';
import { isUnder, type Hierarchy } from './detect';

/** The directory for a container's cgroup in one hierarchy. */
export function cgroupDir(hierarchy: Hierarchy, id: string, cgroupsPath?: string): string {
  const wanted = cgroupsPath || `nk-${id}`;
  // ".." would climb out of the place the path is meant for, possibly into someone else's cgroup.
  if (wanted.split('/').includes('..')) {
    throw new UserError(`linux.cgroupsPath: "${wanted}" must not contain ".."`);
  }
  if (path.posix.isAbsolute(wanted)) return path.posix.join(hierarchy.mountPoint, wanted);
  return path.posix.join(ownDir(hierarchy), wanted);
}

/**
 * The directory of the cgroup this process is in. /proc/self/cgroup gives a path from the root
 * of the hierarchy; the mount may show only part of it (mountinfo's root field is then not "/",
 * as inside a container that sees only its own cgroup), so the path is taken relative to that.
 */
export function ownDir(hierarchy: Hierarchy): string {
  const { mountPoint, mountRoot, ownPath } = hierarchy;
  if (!isUnder(ownPath, mountRoot)) {
    throw new UserError(
      `cgroup: this process's cgroup ${ownPath} is outside what is mounted at ${mountPoint} (${mountRoot})`,
      'use an absolute linux.cgroupsPath',
    );
  }
  return path.posix.join(mountPoint, path.posix.relative(mountRoot, ownPath));
}
