/**
 * Mount options, from the words of config.json to the arguments of mount(2).
 *
 * A mount in config.json has fstab-style options: ["nosuid", "noexec", "mode=755", "rbind"].
 * Some are flags of mount(2) itself (nosuid -> MS_NOSUID), some ask for a change of propagation
 * (rprivate -> a second mount(2) call with MS_PRIVATE|MS_REC), and the rest belong to the
 * filesystem: they go, joined by commas, into mount(2)'s last argument, the "data" string.
 * The table follows runc (libcontainer/specconv/spec_linux.go, mountFlags).
 */
import { MS } from '../linux/constants';

/** What parseMountOptions makes of a list of options. */
export interface MountOptions {
  /** MS_* flags to pass to mount(2). */
  flags: number;
  /** MS_* flags the options asked to turn off ("rw" clears MS_RDONLY), for remounts. */
  clearFlags: number;
  /** One flag word per propagation option, each for its own mount(2) call, in order. */
  propagation: number[];
  /** "rbind": the bind mount takes the mounts below its source too (MS_REC). */
  recursive: boolean;
  /** Options for the filesystem, passed as the data string: ["mode=755", "size=65536k"]. */
  data: string[];
}

/** An option that sets a flag, or (clear: true) one that turns a flag off. */
interface FlagOption {
  clear: boolean;
  flag: number;
}

/** Options that are mount(2) flags. "rw", "suid", "exec"... undo their opposites. */
const FLAG_OPTIONS: Record<string, FlagOption> = {
  defaults: { clear: false, flag: 0 }, // fstab's "use the defaults": nothing to set
  ro: { clear: false, flag: MS.RDONLY },
  rw: { clear: true, flag: MS.RDONLY },
  nosuid: { clear: false, flag: MS.NOSUID },
  suid: { clear: true, flag: MS.NOSUID },
  nodev: { clear: false, flag: MS.NODEV },
  dev: { clear: true, flag: MS.NODEV },
  noexec: { clear: false, flag: MS.NOEXEC },
  exec: { clear: true, flag: MS.NOEXEC },
  sync: { clear: false, flag: MS.SYNCHRONOUS },
  async: { clear: true, flag: MS.SYNCHRONOUS },
  dirsync: { clear: false, flag: MS.DIRSYNC },
  remount: { clear: false, flag: MS.REMOUNT },
  mand: { clear: false, flag: MS.MANDLOCK },
  nomand: { clear: true, flag: MS.MANDLOCK },
  noatime: { clear: false, flag: MS.NOATIME },
  atime: { clear: true, flag: MS.NOATIME },
  nodiratime: { clear: false, flag: MS.NODIRATIME },
  diratime: { clear: true, flag: MS.NODIRATIME },
  relatime: { clear: false, flag: MS.RELATIME },
  norelatime: { clear: true, flag: MS.RELATIME },
  strictatime: { clear: false, flag: MS.STRICTATIME },
  nostrictatime: { clear: true, flag: MS.STRICTATIME },
  lazytime: { clear: false, flag: MS.LAZYTIME },
  nolazytime: { clear: true, flag: MS.LAZYTIME },
  silent: { clear: false, flag: MS.SILENT },
  loud: { clear: true, flag: MS.SILENT },
  nosymfollow: { clear: false, flag: MS.NOSYMFOLLOW }, // Linux 5.10 and later
  symfollow: { clear: true, flag: MS.NOSYMFOLLOW },
  bind: { clear: false, flag: MS.BIND },
  rbind: { clear: false, flag: MS.BIND | MS.REC },
};

/**
 * Options that change propagation (man 7 mount_namespaces). The kernel takes them one per
 * mount(2) call, after the mount exists; the r- forms apply to every mount below too.
 */
const PROPAGATION_OPTIONS: Record<string, number> = {
  private: MS.PRIVATE,
  rprivate: MS.PRIVATE | MS.REC,
  shared: MS.SHARED,
  rshared: MS.SHARED | MS.REC,
  slave: MS.SLAVE,
  rslave: MS.SLAVE | MS.REC,
  unbindable: MS.UNBINDABLE,
  runbindable: MS.UNBINDABLE | MS.REC,
};

/** Sort a mount's options into flags, propagation changes and filesystem data. Later options win. */
export function parseMountOptions(options: string[] | undefined): MountOptions {
  const result: MountOptions = { flags: 0, clearFlags: 0, propagation: [], recursive: false, data: [] };
  for (const option of options ?? []) {
    // Object.hasOwn, not `in`: an option named "constructor" is data, not a table entry.
    if (Object.hasOwn(FLAG_OPTIONS, option)) {
      const { clear, flag } = FLAG_OPTIONS[option];
      if (clear) {
        result.flags &= ~flag;
        result.clearFlags |= flag;
      } else {
        result.flags |= flag;
        result.clearFlags &= ~flag;
      }
    } else if (Object.hasOwn(PROPAGATION_OPTIONS, option)) {
      result.propagation.push(PROPAGATION_OPTIONS[option]);
    } else {
      result.data.push(option); // mode=755, size=65536k, newinstance, gid=5, ...
    }
  }
  result.recursive = (result.flags & MS.REC) !== 0;
  return result;
}

/** Every option name this module turns into a mount flag (what `nk-runtime features` reports). */
export const KNOWN_MOUNT_OPTIONS = [...Object.keys(FLAG_OPTIONS), ...Object.keys(PROPAGATION_OPTIONS)];
