/**
 * The file calls of files.ts under Bun: the C library's own open(2), read(2), statx(2)... through
 * bun:ffi, with node:fs's names, arguments, results and errors, for the part of node:fs that
 * nk-runtime uses. Why not Bun's node:fs: loading it costs 1.4-1.7 ms in every process, and a
 * lifecycle starts four (docs/performance.md); bun:ffi is loaded anyway, for the kernel layer.
 *
 * What node:fs does and we do too: every fd is opened with O_CLOEXEC (a child we spawn must
 * not inherit our files: man 2 open), an error is an Error with `code` ("ENOENT"), `errno`
 * (negative, as Node's), `syscall` and `path`, and its message reads as Node's:
 * "ENOENT: no such file or directory, open '/x'". test/unit/files.test.ts runs each call
 * under Bun beside Bun's own node:fs and compares them.
 */
import type { Files } from './files';
import { errnoDescription, errnoName } from './errno';
import { OPEN_FLAGS, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from './constants';
import { cstr } from './libc-bun';

/* eslint-disable @typescript-eslint/no-explicit-any */

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_BASIC_STATS = 0x7ff;
/** readdir's d_type when the file system does not say (the others are the S_IF* bits >> 12). */
const DT_UNKNOWN = 0;

/** How libuv (so Node) words the errors a file call meets; others as strerror(3), in lower case. */
const UV_WORDS: Record<string, string> = {
  EEXIST: 'file already exists',
  EISDIR: 'illegal operation on a directory',
  ELOOP: 'too many symbolic links encountered',
  ENAMETOOLONG: 'name too long',
  EBUSY: 'resource busy or locked',
  EXDEV: 'cross-device link not permitted',
  EIO: 'i/o error',
  ETXTBSY: 'text file is busy',
};

export function bunFiles(): Files {
  const { dlopen, read: peek } = require('bun:ffi');
  // Each binding: its C prototype, as in its man page, then the same in bun:ffi's types.
  const { symbols: c } = dlopen('libc.so.6', {
    open: { args: ['ptr', 'i32', 'u32'], returns: 'i32' }, // int open(const char *path, int flags, mode_t mode)
    close: { args: ['i32'], returns: 'i32' }, // int close(int fd)
    read: { args: ['i32', 'ptr', 'u64'], returns: 'i64_fast' }, // ssize_t read(int fd, void *buf, size_t count)
    pread: { args: ['i32', 'ptr', 'u64', 'i64'], returns: 'i64_fast' }, // ssize_t pread(int fd, void *buf, size_t count, off_t offset)
    write: { args: ['i32', 'ptr', 'u64'], returns: 'i64_fast' }, // ssize_t write(int fd, const void *buf, size_t count)
    access: { args: ['ptr', 'i32'], returns: 'i32' }, // int access(const char *path, int mode)
    mkdir: { args: ['ptr', 'u32'], returns: 'i32' }, // int mkdir(const char *path, mode_t mode)
    rmdir: { args: ['ptr'], returns: 'i32' }, // int rmdir(const char *path)
    unlink: { args: ['ptr'], returns: 'i32' }, // int unlink(const char *path)
    rename: { args: ['ptr', 'ptr'], returns: 'i32' }, // int rename(const char *old, const char *new)
    symlink: { args: ['ptr', 'ptr'], returns: 'i32' }, // int symlink(const char *target, const char *linkpath)
    readlink: { args: ['ptr', 'ptr', 'u64'], returns: 'i64_fast' }, // ssize_t readlink(const char *path, char *buf, size_t size)
    chown: { args: ['ptr', 'u32', 'u32'], returns: 'i32' }, // int chown(const char *path, uid_t owner, gid_t group)
    // int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *buf)
    statx: { args: ['i32', 'ptr', 'i32', 'u32', 'ptr'], returns: 'i32' },
    statfs: { args: ['ptr', 'ptr'], returns: 'i32' }, // int statfs(const char *path, struct statfs *buf)
    getdents64: { args: ['i32', 'ptr', 'u64'], returns: 'i64_fast' }, // ssize_t getdents64(int fd, void *dirp, size_t count)
    __errno_location: { args: [], returns: 'ptr' }, // int *__errno_location(void)
  }) as { symbols: Record<string, (...args: any[]) => any> };

  /** errno of the call just made: glibc's thread-local variable, read before anything else runs. */
  const errnoNow = (): number => peek.i32(c.__errno_location(), 0);
  /** The error node:fs would throw for the call that just failed. */
  const failure = (syscall: string, path?: string, dest?: string): NodeJS.ErrnoException => {
    const errno = errnoNow();
    const code = errnoName(errno);
    const words = UV_WORDS[code] ?? errnoDescription(code).toLowerCase();
    const where = path === undefined ? '' : ` '${path}'${dest === undefined ? '' : ` -> '${dest}'`}`;
    const err: NodeJS.ErrnoException = new Error(`${code}: ${words}, ${syscall}${where}`);
    Object.assign(err, { errno: -errno, code, syscall }, path === undefined ? {} : { path }, dest === undefined ? {} : { dest });
    return err;
  };
  /** A call's result; -1 (the C library's "failed, see errno") throws node:fs's error instead. */
  const check = (rc: number, syscall: string, path?: string, dest?: string): number => {
    if (rc < 0) throw failure(syscall, path, dest);
    return rc;
  };
  /** The same, for a call that may block: made again when a signal interrupts it (EINTR, man 7 signal). */
  const EINTR = 4;
  const retrying = (call: () => number, syscall: string, path?: string): number => {
    for (;;) {
      const rc = call();
      if (rc >= 0 || errnoNow() !== EINTR) return check(rc, syscall, path);
    }
  };

  const openFile = (path: string, flags: number | string = 'r', mode = 0o666): number => {
    const bits = typeof flags === 'number' ? flags : stringFlags(flags);
    const file = cstr(path);
    return retrying(() => c.open(file, bits | OPEN_FLAGS.O_CLOEXEC, mode), 'open', path);
  };
  const closeFile = (fd: number): void => void check(c.close(fd), 'close');

  type ReadOptions = { offset?: number; length?: number; position?: number | bigint | null };
  const readInto = (fd: number, buffer: NodeJS.ArrayBufferView, offsetOrOptions: number | ReadOptions = 0, length?: number, position?: number | bigint | null): number => {
    // readSync(fd, buffer, { offset, length, position }) is node:fs's other form of the same call.
    if (typeof offsetOrOptions === 'object') return readInto(fd, buffer, offsetOrOptions.offset ?? 0, offsetOrOptions.length, offsetOrOptions.position);
    const offset = offsetOrOptions;
    const view = bytesOf(buffer);
    const count = length ?? view.length - offset;
    if (count === 0) return 0;
    const target = view.subarray(offset, offset + count);
    if (position === undefined || position === null || position === -1) return retrying(() => c.read(fd, target, count), 'read');
    return retrying(() => c.pread(fd, target, count, Number(position)), 'read');
  };
  const writeFrom = (fd: number, data: string | NodeJS.ArrayBufferView, offset?: number, length?: number): number => {
    const view = bytesOf(data);
    const start = typeof data === 'string' ? 0 : (offset ?? 0);
    const count = typeof data === 'string' ? view.length : (length ?? view.length - start);
    if (count === 0) return 0;
    const source = view.subarray(start, start + count);
    return retrying(() => c.write(fd, source, count), 'write');
  };

  /** Everything in `fd`, to its end: /proc and cgroup files say size 0, so read until read says 0. */
  const readAll = (fd: number): Buffer => {
    const chunks: Buffer[] = [];
    for (;;) {
      const chunk = Buffer.allocUnsafe(65536);
      const n = readInto(fd, chunk);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
    }
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
  };
  const encodingOf = (options: unknown): BufferEncoding | undefined =>
    typeof options === 'string' ? (options as BufferEncoding) : (options as { encoding?: BufferEncoding } | undefined)?.encoding;

  const writeWhole = (path: string, data: string | NodeJS.ArrayBufferView, flags: number, options: unknown): void => {
    const mode = (options as { mode?: number } | undefined)?.mode ?? 0o666;
    const fd = openFile(path, flags, mode);
    try {
      const bytes = bytesOf(data);
      for (let done = 0; done < bytes.length; ) done += writeFrom(fd, bytes, done);
    } finally {
      closeFile(fd);
    }
  };

  /** struct statx (man 2 statx): the same layout on every architecture. */
  const statAt = (path: string, flags: number, syscall: string): Stats => {
    const buf = Buffer.alloc(256);
    check(c.statx(AT_FDCWD, cstr(path), flags, STATX_BASIC_STATS, buf), syscall, path);
    const time = (at: number) => Number(buf.readBigInt64LE(at)) * 1000 + buf.readUInt32LE(at + 8) / 1e6;
    const dev = (at: number) => makedev(buf.readUInt32LE(at), buf.readUInt32LE(at + 4));
    return new Stats({
      blksize: buf.readUInt32LE(4),
      nlink: buf.readUInt32LE(16),
      uid: buf.readUInt32LE(20),
      gid: buf.readUInt32LE(24),
      mode: buf.readUInt16LE(28),
      ino: Number(buf.readBigUInt64LE(32)),
      size: Number(buf.readBigUInt64LE(40)),
      blocks: Number(buf.readBigUInt64LE(48)),
      atimeMs: time(64),
      birthtimeMs: time(80),
      ctimeMs: time(96),
      mtimeMs: time(112),
      rdev: dev(128),
      dev: dev(136),
    });
  };

  /** The names in a directory, with their types, from getdents64(2) (struct linux_dirent64). */
  const listDir = (path: string): { name: string; type: number }[] => {
    const fd = openFile(path, OPEN_FLAGS.O_RDONLY | OPEN_FLAGS.O_DIRECTORY);
    const entries: { name: string; type: number }[] = [];
    try {
      const buf = Buffer.alloc(32768);
      for (;;) {
        const n = check(c.getdents64(fd, buf, buf.length), 'scandir', path);
        if (n === 0) break;
        // struct linux_dirent64 { u64 d_ino; s64 d_off; u16 d_reclen; u8 d_type; char d_name[]; }
        for (let at = 0; at < n; ) {
          const length = buf.readUInt16LE(at + 16);
          const type = buf.readUInt8(at + 18);
          const end = buf.indexOf(0, at + 19);
          const name = buf.toString('utf8', at + 19, end);
          if (name !== '.' && name !== '..') entries.push({ name, type });
          at += length;
        }
      }
    } finally {
      closeFile(fd);
    }
    // In name order, as Node gives them (libuv sorts its scandir by strcmp); getdents64 does not.
    return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
  const dirent = (dir: string, entry: { name: string; type: number }) =>
    // d_type is DT_UNKNOWN on file systems that do not fill it in: ask lstat then.
    new Dirent(entry.name, dir, entry.type === DT_UNKNOWN ? statAt(`${dir}/${entry.name}`, AT_SYMLINK_NOFOLLOW, 'lstat').mode : entry.type << 12);

  const removeTree = (path: string, options?: { recursive?: boolean; force?: boolean }): void => {
    let stats: Stats;
    try {
      stats = statAt(path, AT_SYMLINK_NOFOLLOW, 'lstat');
    } catch (err) {
      if (options?.force && (err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (!stats.isDirectory()) return void check(c.unlink(cstr(path)), 'unlink', path);
    if (!options?.recursive) {
      const err: NodeJS.ErrnoException = new Error(`Path is a directory: rm returned EISDIR (is a directory) ${path}`);
      throw Object.assign(err, { code: 'ERR_FS_EISDIR', errno: -21, syscall: 'rm', path });
    }
    for (const entry of listDir(path)) removeTree(`${path}/${entry.name}`, options);
    check(c.rmdir(cstr(path)), 'rmdir', path);
  };

  const files = {
    constants: OPEN_FLAGS,
    existsSync: (path: string) => typeof path === 'string' && c.access(cstr(path), 0) === 0,
    openSync: openFile,
    closeSync: closeFile,
    readSync: readInto,
    writeSync: writeFrom,
    readFileSync: (path: string, options?: unknown) => {
      const fd = openFile(path);
      let data: Buffer;
      try {
        data = readAll(fd);
      } finally {
        closeFile(fd);
      }
      const encoding = encodingOf(options);
      return encoding ? data.toString(encoding) : data;
    },
    writeFileSync: (path: string, data: string | NodeJS.ArrayBufferView, options?: unknown) =>
      writeWhole(path, data, OPEN_FLAGS.O_WRONLY | OPEN_FLAGS.O_CREAT | OPEN_FLAGS.O_TRUNC, options),
    appendFileSync: (path: string, data: string | NodeJS.ArrayBufferView, options?: unknown) =>
      writeWhole(path, data, OPEN_FLAGS.O_WRONLY | OPEN_FLAGS.O_CREAT | OPEN_FLAGS.O_APPEND, options),
    mkdirSync: (path: string, options?: number | { mode?: number; recursive?: boolean }) => {
      // One level, as mkdir(2): a path of several is the kernel layer's mkdirAll.
      if (typeof options === 'object' && options.recursive) throw new TypeError('files: mkdirSync({ recursive }) is not supported here');
      const mode = typeof options === 'number' ? options : (options?.mode ?? 0o777);
      check(c.mkdir(cstr(path), mode), 'mkdir', path);
      return undefined;
    },
    rmdirSync: (path: string) => void check(c.rmdir(cstr(path)), 'rmdir', path),
    unlinkSync: (path: string) => void check(c.unlink(cstr(path)), 'unlink', path),
    renameSync: (from: string, to: string) => void check(c.rename(cstr(from), cstr(to)), 'rename', from, to),
    symlinkSync: (target: string, path: string) => void check(c.symlink(cstr(target), cstr(path)), 'symlink', target, path),
    chownSync: (path: string, uid: number, gid: number) => void check(c.chown(cstr(path), uid, gid), 'chown', path),
    readlinkSync: (path: string) => {
      const buf = Buffer.alloc(4096);
      const n = check(c.readlink(cstr(path), buf, buf.length), 'readlink', path);
      return buf.toString('utf8', 0, n);
    },
    statSync: (path: string) => statAt(path, 0, 'stat'),
    lstatSync: (path: string) => statAt(path, AT_SYMLINK_NOFOLLOW, 'lstat'),
    // struct statfs (man 2 statfs): f_type is its first field, a long, on x86_64 and aarch64.
    statfsSync: (path: string) => {
      const buf = Buffer.alloc(256);
      check(c.statfs(cstr(path), buf), 'statfs', path);
      return { type: Number(buf.readBigInt64LE(0)) };
    },
    readdirSync: (path: string, options?: { withFileTypes?: boolean }) =>
      options?.withFileTypes ? listDir(path).map((entry) => dirent(path, entry)) : listDir(path).map((entry) => entry.name),
    rmSync: removeTree,
  };
  return files as unknown as Files;
}

/** A string (as UTF-8) or any typed array, as a Buffer over the same bytes: what the calls pass. */
function bytesOf(data: string | NodeJS.ArrayBufferView): Buffer {
  return typeof data === 'string' ? Buffer.from(data) : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** node:fs's flag strings (man 3 fopen) that nk-runtime uses, as open(2) flags. */
function stringFlags(flags: string): number {
  switch (flags) {
    case 'r': return OPEN_FLAGS.O_RDONLY;
    case 'w': return OPEN_FLAGS.O_WRONLY | OPEN_FLAGS.O_CREAT | OPEN_FLAGS.O_TRUNC;
    case 'a': return OPEN_FLAGS.O_WRONLY | OPEN_FLAGS.O_CREAT | OPEN_FLAGS.O_APPEND;
    default: throw new TypeError(`files: open flags "${flags}" are not supported`);
  }
}

/** glibc's makedev(3): how Node gives a device number as one. */
function makedev(major: number, minor: number): number {
  return (major & 0xfff) * 256 + (minor & 0xff) + (minor >>> 8) * 0x100000 + Math.floor(major / 0x1000) * 0x100000000000;
}

/** The type tests of Stats and Dirent, read from the S_IFMT bits of a mode. */
abstract class FileType {
  abstract readonly mode: number;
  isDirectory(): boolean { return (this.mode & S_IFMT) === S_IFDIR; }
  isFile(): boolean { return (this.mode & S_IFMT) === S_IFREG; }
  isSymbolicLink(): boolean { return (this.mode & S_IFMT) === S_IFLNK; }
  isFIFO(): boolean { return (this.mode & S_IFMT) === S_IFIFO; }
  isSocket(): boolean { return (this.mode & S_IFMT) === S_IFSOCK; }
  isCharacterDevice(): boolean { return (this.mode & S_IFMT) === S_IFCHR; }
  isBlockDevice(): boolean { return (this.mode & S_IFMT) === S_IFBLK; }
}

/** What readdirSync(dir, { withFileTypes: true }) returns: a name and its type. */
class Dirent extends FileType {
  constructor(readonly name: string, readonly parentPath: string, readonly mode: number) {
    super();
  }
}

interface StatFields {
  dev: number; ino: number; mode: number; nlink: number; uid: number; gid: number; rdev: number;
  size: number; blksize: number; blocks: number; atimeMs: number; mtimeMs: number; ctimeMs: number; birthtimeMs: number;
}

/** What statSync returns: node:fs's fields, Dates and type tests. */
class Stats extends FileType {
  dev!: number; ino!: number; mode!: number; nlink!: number; uid!: number; gid!: number; rdev!: number;
  size!: number; blksize!: number; blocks!: number; atimeMs!: number; mtimeMs!: number; ctimeMs!: number; birthtimeMs!: number;
  constructor(fields: StatFields) {
    super();
    Object.assign(this, fields);
  }
  get atime(): Date { return new Date(this.atimeMs); }
  get mtime(): Date { return new Date(this.mtimeMs); }
  get ctime(): Date { return new Date(this.ctimeMs); }
  get birthtime(): Date { return new Date(this.birthtimeMs); }
}
