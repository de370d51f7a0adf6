/**
 * Error numbers, by name and by number, as the kernel returns them (man 3 errno).
 * Node already knows the names (os.constants.errno); we only turn the table around.
 */

/** os.constants.errno, loaded when first needed: every command loads this file, few need node:os. */
function errnoTable(): Record<string, number> {
  return (require('node:os') as typeof import('node:os')).constants.errno as Record<string, number>;
}

let byNumber: Map<number, string> | undefined;

/** 1 -> "EPERM"; an unknown number gives "errno 1234". */
export function errnoName(errno: number): string {
  if (!byNumber) {
    byNumber = new Map();
    for (const [name, value] of Object.entries(errnoTable())) {
      if (!byNumber.has(value)) byNumber.set(value, name);
    }
  }
  return byNumber.get(errno) ?? `errno ${errno}`;
}

/** "EPERM" -> 1. */
export function errnoNumber(name: string): number {
  const value = errnoTable()[name];
  if (value === undefined) throw new Error(`unknown errno name ${name}`);
  return value;
}

/** Short descriptions of the errors a learner meets most, as strerror(3) words them. */
const DESCRIPTIONS: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  ESRCH: 'No such process',
  EINTR: 'Interrupted system call',
  EIO: 'Input/output error',
  E2BIG: 'Argument list too long',
  ENOEXEC: 'Exec format error',
  EBADF: 'Bad file descriptor',
  ECHILD: 'No child processes',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  ENODEV: 'No such device',
  ENOTDIR: 'Not a directory',
  EISDIR: 'Is a directory',
  EINVAL: 'Invalid argument',
  EMFILE: 'Too many open files',
  ENOSPC: 'No space left on device',
  EROFS: 'Read-only file system',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ELOOP: 'Too many levels of symbolic links',
  ENOTEMPTY: 'Directory not empty',
  ENXIO: 'No such device or address',
  ETXTBSY: 'Text file busy',
};

export function errnoDescription(name: string): string {
  return DESCRIPTIONS[name] ?? name;
}
