/**
 * Where nk-runtime keeps what it knows about each container: one directory per container under
 * the root (default /run/nk-runtime, a tmpfs, so nothing survives a reboot, as with runc).
 *
 *   /run/nk-runtime/<id>/
 *     state.json   what the runtime recorded: pid, its start time, bundle, cgroup placement
 *     config.json  the bundle's config as it was at create: later edits to the bundle don't matter
 *     exec.fifo    exists from create until start: the init is blocked opening it (see start.ts)
 *
 * The directory itself is created with mkdir(2), which is atomic: of two `create`s of one ID,
 * exactly one gets it. Commands that change a container hold flock(2) on the directory.
 */
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError } from '../errors';
import { log } from '../log';
import { LOCK } from '../linux/constants';
import { errnoDescription } from '../linux/errno';
import type { Kernel } from '../linux/kernel';
import type { CgroupPlacement } from '../linux/cgroups';
import type { Hooks, Spec } from '../oci/spec';
import { validateContainerId } from './container-id';

export const DEFAULT_ROOT = '/run/nk-runtime';

/** What state.json holds. Status is not stored for long: it is derived (see status.ts). */
export interface SavedState {
  ociVersion: string;
  id: string;
  bundle: string;
  rootfs: string;
  annotations?: Record<string, string>;
  /** Host pid of the container's init, once spawned. */
  pid?: number;
  /** Field 22 of /proc/<pid>/stat when the init was spawned: tells a reused pid apart. */
  pidStartTime?: string;
  /** True until create has finished: the container is still being made. */
  creating?: boolean;
  cgroup?: CgroupPlacement;
  created: string;
  /** The config's poststart and poststop hooks, kept here so start and delete need not read the config. */
  hooks?: Pick<Hooks, 'poststart' | 'poststop'>;
}

export class ContainerDir {
  constructor(readonly root: string, readonly id: string) {}

  get dir(): string {
    return path.join(this.root, this.id);
  }
  get stateFile(): string {
    return path.join(this.dir, 'state.json');
  }
  get configFile(): string {
    return path.join(this.dir, 'config.json');
  }
  get execFifo(): string {
    return path.join(this.dir, 'exec.fifo');
  }
  /** --step: `start` answers the init's pauses through it (made by `create --step` only). */
  get stepFifo(): string {
    return path.join(this.dir, 'step.fifo');
  }

  /** The container's directory is there (its state.json may not be yet: see readState). */
  exists(): boolean {
    return fs.existsSync(this.dir);
  }

  readState(): SavedState {
    let text: string;
    try {
      text = fs.readFileSync(this.stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      if (!this.exists()) throw notFound(this.id);
      // The directory without state.json: a create that died (or is) between its mkdir and its
      // first write. Nothing was made yet but the directory: `delete --force` removes it.
      return { ociVersion: '', id: this.id, bundle: '', rootfs: '', creating: true, created: fs.statSync(this.dir).mtime.toISOString() };
    }
    return JSON.parse(text) as SavedState;
  }

  readConfig(): Spec {
    return JSON.parse(fs.readFileSync(this.configFile, 'utf8')) as Spec;
  }

  /**
   * Write state.json so that a reader sees the old file or the new one, never half of one:
   * write a temporary file, then rename it over the old (rename(2) is atomic).
   */
  writeState(state: SavedState): void {
    log.state('write %s %o', this.stateFile, state);
    writeFileAtomic(this.stateFile, JSON.stringify(state, null, 2) + '\n');
  }

  writeConfig(spec: Spec): void {
    writeFileAtomic(this.configFile, JSON.stringify(spec, null, 2) + '\n');
  }

  /**
   * Take the container's lock (flock on its directory) for the rest of this command. The kernel
   * drops it when the process exits, however it exits, so a crashed command never leaves it held.
   * Returns the function that releases it.
   */
  lock(kernel: Kernel): () => void {
    let fd: number;
    try {
      fd = fs.openSync(this.dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw notFound(this.id);
      throw err;
    }
    kernel.because('state', 'Commands on one container take turns: each holds this lock.').flock(fd, LOCK.EX);
    return () => fs.closeSync(fd);
  }

  /** Remove the directory and everything in it. */
  remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The store: the root directory and the containers in it. */
export class StateStore {
  constructor(readonly root: string = DEFAULT_ROOT) {}

  container(id: string): ContainerDir {
    // The id becomes a path under the root: "../x" must not reach outside it (start, kill, delete).
    validateContainerId(id);
    return new ContainerDir(this.root, id);
  }

  /** A container that must exist: an unknown ID is a clear error. */
  existing(id: string): ContainerDir {
    const c = this.container(id);
    if (!c.exists()) throw notFound(id);
    return c;
  }

  /**
   * Claim the ID: mkdir is atomic, so when two creates race, exactly one succeeds and the other
   * gets EEXIST.
   */
  reserve(id: string): ContainerDir {
    try {
      makeDirLevels(this.root, 0o711);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code ? `${code} (${errnoDescription(code)})` : (err as Error).message;
      throw new UserError(`cannot use state root ${this.root}: ${why}`, 'check --root: it must be a directory nk-runtime can write to');
    }
    const c = this.container(id);
    try {
      fs.mkdirSync(c.dir, { mode: 0o711 });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') throw new UserError(`container ${id} already exists`, 'pick another ID, or `nk-runtime delete` it first');
      if (code === 'ENAMETOOLONG') throw new UserError('container ID is too long to name its state directory', 'a file name holds at most 255 bytes');
      throw new UserError(`cannot make state dir ${c.dir}: ${code ?? (err as Error).message}`);
    }
    return c;
  }

  /** --pid-file: the pid of the init (create) or of an exec'd process, for the caller to read. */
  writePidFile(file: string, pid: number): void {
    writeFileAtomic(file, String(pid));
  }

  /** The IDs of every container in the store. */
  ids(): string[] {
    let names: string[];
    try {
      names = fs.readdirSync(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // Every container directory, with or without its state.json yet (see readState).
    return names.filter((n) => {
      try {
        return fs.statSync(path.join(this.root, n)).isDirectory();
      } catch {
        return false; // removed while we looked
      }
    }).sort();
  }
}

/**
 * mkdir -p, a level at a time: Node's recursive mkdir reports a read-only filesystem as ENOENT;
 * this reports the error of the level that failed (EROFS, EACCES, ENOSPC...).
 */
function makeDirLevels(dir: string, mode: number): void {
  if (fs.existsSync(dir)) return;
  makeDirLevels(path.dirname(dir), mode);
  try {
    fs.mkdirSync(dir, mode);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

function notFound(id: string): UserError {
  return new UserError(`container ${id} does not exist`, '`nk-runtime list` shows the containers there are');
}

/**
 * Replace `file` atomically: a temporary file, renamed over it. No fsync: that would only matter
 * if the machine lost power, and the state of running containers does not survive a reboot anyway
 * (its processes are gone; /run is usually a tmpfs). A crash of nk-runtime itself leaves the old
 * file or the new one, never half: rename(2) is atomic. runc does the same.
 */
export function writeFileAtomic(file: string, data: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, 'w', 0o600);
  try {
    fs.writeSync(fd, data);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
}
