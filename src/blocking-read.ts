/**
 * read(2) as one blocking call, on any fd: a signal that interrupts it (EINTR) is not an end, and
 * an fd left non-blocking by whoever passed it to us (EAGAIN: a terminal, a socket, a pipe) is
 * waited on. Returns the bytes read; 0 is the end of the file.
 *
 * ECONNRESET is an end too: a unix socket whose other process died (or closed it) with bytes of
 * ours still unread in its queue gives us that error instead of end-of-file (Linux,
 * net/unix/af_unix.c, unix_release_sock). Seen when an exec helper is killed before it has read
 * its bootstrap: the peer is gone either way.
 */
import { files as fs } from './linux/files';
import { sleepSync } from './output';

export function readBlocking(fd: number, buffer: Buffer, length = buffer.length): number {
  for (;;) {
    try {
      return fs.readSync(fd, buffer, 0, length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // EOF: Node's name for the end of a terminal's input on some systems. ECONNRESET: above.
      if (code === 'EOF' || code === 'ECONNRESET') return 0;
      if (code === 'EAGAIN') sleepSync(1);
      else if (code !== 'EINTR') throw err;
    }
  }
}
