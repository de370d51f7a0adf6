/**
 * process.terminal: the program's stdin, stdout and stderr are a pseudo-terminal (pty), as runc
 * does it. A pty is a pair: the master side, held by whoever shows the output and types the
 * input (containerd's shim, podman's conmon), and the slave side, which the program sees as its
 * terminal. man 7 pty
 *
 *   create: open /dev/ptmx inside the container (its own devpts: the slave is /dev/pts/N in
 *           there too), unlock the slave, open it, set its size, send the master over the
 *           console socket (fd 4, connected by the runtime), keep the slave.
 *   start:  the slave becomes our controlling terminal and fds 0, 1 and 2, then execve.
 */
import { files as fs } from '../linux/files';
import { MS, O_NOCTTY } from '../linux/constants';
import type { Kernel } from '../linux/kernel';
import type { Process } from '../oci/spec';

/**
 * Make the pty and hand its master over the console socket (`consoleSocket`, an fd the runtime
 * passed, right after the sync socket); returns the slave's fd, for attachTerminal.
 */
export function makeTerminal(k: Kernel, process: Pick<Process, 'consoleSize'>, consoleSocket: number, options: { bindConsole?: boolean; exists?: (p: string) => boolean } = {}): number {
  const t = k.because('process.terminal');
  const master = k.because('process.terminal', 'Opening /dev/ptmx makes a new pseudo-terminal in this devpts and returns its master side.').open(
    '/dev/ptmx',
    fs.constants.O_RDWR | O_NOCTTY,
    0,
  );
  t.unlockPty(master);
  const n = t.ptyNumber(master);
  const slave = k.because('process.terminal', 'The slave side: at start it becomes the program\'s stdin, stdout and stderr.').open(
    `/dev/pts/${n}`,
    fs.constants.O_RDWR | O_NOCTTY,
    0,
  );
  if (options.bindConsole) {
    // As on a machine, /dev/console is the system's terminal: here, the container's (runc does
    // the same). A bind mount of the slave over a file made for it in the container's /dev.
    if (!(options.exists ?? fs.existsSync)('/dev/console')) t.close(t.open('/dev/console', fs.constants.O_CREAT | fs.constants.O_WRONLY, 0o600));
    k.because('process.terminal', 'The container\'s /dev/console is its terminal, as a machine\'s is.').mount(`/dev/pts/${n}`, '/dev/console', null, MS.BIND, null);
  }
  const size = process.consoleSize;
  if (size) k.because('process.consoleSize').setWindowSize(slave, size.height, size.width);
  k.because('--console-socket', 'The master side goes to whoever listens on the console socket: they read what the program writes, and type into it.').sendFd(
    consoleSocket,
    master,
  );
  // The listener has its own copy now.
  t.close(master);
  t.close(consoleSocket);
  return slave;
}

/**
 * The slave becomes the controlling terminal of our session and fds 0-2. TIOCSCTTY needs a
 * session leader without a controlling terminal: the runtime spawned us in a new session.
 */
export function attachTerminal(k: Kernel, slave: number): void {
  const t = k.because('process.terminal');
  t.setControllingTerminal(slave);
  for (const fd of [0, 1, 2]) t.dup2(slave, fd);
  t.close(slave);
}
