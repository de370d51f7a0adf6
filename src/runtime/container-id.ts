/**
 * Container ids: the names people give containers (`nk-runtime create demo`).
 *
 * An id becomes the name of the container's state directory, so it must be a safe file name.
 * The rules are runc's: letters, digits, "_", "+", "-" and ".", and not "." or "..".
 */
import { UserError } from '../errors';

/** The longest id accepted, in bytes. */
export const MAX_CONTAINER_ID_BYTES = 1024;

const ALLOWED_HINT = 'a container id may use letters, digits, "_", "+", "-" and "."';

/** Throw a UserError that says which rule `id` breaks; return if it breaks none. */
export function validateContainerId(id: string): void {
  if (id === '') throw new UserError('container id must not be empty', ALLOWED_HINT);

  const bytes = Buffer.byteLength(id, 'utf8');
  if (bytes > MAX_CONTAINER_ID_BYTES) {
    throw new UserError(`container id is ${bytes} bytes long; at most ${MAX_CONTAINER_ID_BYTES} are allowed`);
  }
  // JSON.stringify shows control characters as escapes (\n, \u0000), so the message stays one line.
  const shown = JSON.stringify(id);
  if (/[\x00-\x1f\x7f]/.test(id)) throw new UserError(`container id ${shown} contains a control character`, ALLOWED_HINT);
  if (id.includes('/')) {
    throw new UserError(`container id ${shown} contains "/": the id names a directory, not a path`, ALLOWED_HINT);
  }
  if (id === '.' || id === '..') {
    throw new UserError(`container id ${shown} is not allowed: "." and ".." already mean directories`, ALLOWED_HINT);
  }
  const other = /[^A-Za-z0-9_+.-]/.exec(id);
  if (other) throw new UserError(`container id ${shown} contains ${JSON.stringify(other[0])}`, ALLOWED_HINT);
}
