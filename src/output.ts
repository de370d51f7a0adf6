/**
 * Writing to stdout and stderr: synchronously, straight to fds 1 and 2, as runc does. The text is
 * out before the command goes on or exits, and nothing has to be set up first (Bun builds its
 * process.stdout stream on first use, which costs a few milliseconds on every command).
 *
 * A reader that goes away (`nk-runtime -E run ... | head`) must not kill a command half-way: it
 * would leave a container half made. Output to a closed pipe (EPIPE) is dropped instead.
 */
import * as fs from 'node:fs';

export const writeOut = (text: string): void => write(1, text);
export const writeErr = (text: string): void => write(2, text);

function write(fd: number, text: string): void {
  const data = Buffer.from(text);
  let offset = 0;
  while (offset < data.length) {
    try {
      offset += fs.writeSync(fd, data, offset);
    } catch (err) {
      // A non-blocking pipe that is full: wait for the reader a moment (no event loop here).
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
      else return;
    }
  }
}
