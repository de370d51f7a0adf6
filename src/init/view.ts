/**
 * What the init's steps read of their own process outside the kernel layer, where the answer
 * depends on which process reads it: its mount namespace, what its mounts show of the rootfs, and
 * where its "/" is once the root has been switched. The init reads its own (OWN_VIEW). A dry run (src/runtime/dry-run.ts) walks the
 * same steps inside the runtime's process, which never moved: it answers as the init would.
 */
import { files as fs } from '../linux/files';
import { mountNamespaceInode } from './namespaces';

export interface InitView {
  /** The inode of this process's mount namespace (/proc/self/ns/mnt), checked by the guard in rootfs.ts. */
  mountNamespaceInode(): number;
  /** Where the container's "/" is on disk for plain reads after pivot_root (finding the program): "/" in the init. */
  root: string;
  /**
   * Whether a path of the host (the rootfs before pivot_root) exists, as this process sees it
   * through the mounts it has made: a fresh tmpfs on /dev hides what the rootfs has there.
   */
  exists(p: string): boolean;
  /** Whether a path is a symlink (it need not lead anywhere), seen the same way. */
  isSymlink(p: string): boolean;
}

export const OWN_VIEW: InitView = {
  mountNamespaceInode: () => mountNamespaceInode(),
  root: '/',
  exists: (p) => fs.existsSync(p),
  isSymlink: (p) => {
    try {
      return fs.lstatSync(p).isSymbolicLink();
    } catch {
      return false;
    }
  },
};

/** What the rootfs steps read through the view. */
export type PathView = Pick<InitView, 'exists' | 'isSymlink'>;
