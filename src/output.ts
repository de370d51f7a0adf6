/**
 * Writing to stdout and stderr: synchronously, straight to fds 1 and 2, as runc does. The text is
 * out before the command goes on or exits, and nothing has to be set up first (Bun builds its
 * process.stdout stream on first use, which costs a few milliseconds on every command).
 *
 * A reader that goes away (`nk-runtime -E run ... | head`) must not kill a command half-way: it
 * would leave a container half made. Output to a closed pipe (EPIPE) is dropped instead.
 */
import { files as fs } from './linux/files';

export const writeOut = (text: string): void => writeIgnoringClosed(1, text);
export const writeErr = (text: string): void => writeIgnoringClosed(2, text);

function writeIgnoringClosed(fd: number, text: string): void {
  try {
    writeFully(fd, text);
  } catch {
    // the reader went away (EPIPE), or the fd is closed: the output is dropped
  }
}

/** Write all of `text` to `fd`, synchronously, waiting out a full non-blocking pipe. */
export function writeFully(fd: number, text: string): void {
  const data = Buffer.from(text);
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += fs.writeSync(fd, data, offset);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      sleepSync(1);
    }
  }
}

/** Sleep without the event loop (for synchronous code): wait on a futex that never wakes. */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
