/**
 * Showing a container's terminal here, when nobody else does (`run` of a config with
 * process.terminal, `exec -t`, without --console-socket): we hold the pty's master side, as
 * containerd's shim would. What we read from our stdin is typed into the terminal; what the
 * program writes comes out on our stdout.
 *
 * When our own stdin is a terminal it goes into raw mode: every key, Ctrl-C included, goes to the
 * container's terminal as it is, and its line discipline decides (Ctrl-C there sends SIGINT to the
 * program). Our window size is copied to it, now and on every SIGWINCH.
 */
import { files as fs } from '../linux/files';
import type { Kernel } from '../linux/kernel';

export interface TerminalProxy {
  /** After the program has exited: the rest of its output, then our terminal as it was. */
  finish(): Promise<void>;
}

export function proxyTerminal(k: Kernel, master: number): TerminalProxy {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  const resize = () => {
    if (!process.stdout.isTTY) return;
    try {
      k.because('process.terminal', 'Our window changed size: so does the container\'s terminal (and its program gets SIGWINCH).').setWindowSize(
        master,
        process.stdout.rows,
        process.stdout.columns,
      );
    } catch {
      // the terminal is gone: the program has exited
    }
  };
  resize();
  process.on('SIGWINCH', resize);
  if (raw) stdin.setRawMode(true);
  stdin.on('data', (chunk: Buffer) => {
    try {
      fs.writeSync(master, chunk);
    } catch {
      // the program has exited; its terminal takes no more input
    }
  });

  // The program's output: read on the thread pool until the terminal ends. Reading a pty master
  // fails with EIO once no process holds the slave side any more: that is its end of file.
  // (node:fs's stream, loaded only here: files.ts has no streams.)
  const output = (require('node:fs') as typeof import('node:fs')).createReadStream('', { fd: master, autoClose: false, highWaterMark: 16384 });
  const ended = new Promise<void>((resolve) => {
    output.on('data', (chunk) => {
      try {
        fs.writeSync(1, chunk as Buffer);
      } catch {
        // our reader went away
      }
    });
    output.on('error', () => resolve());
    output.on('end', () => resolve());
  });

  return {
    async finish() {
      // The output still in the terminal comes first; a program that left a child holding the
      // terminal should not keep us for ever.
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      process.off('SIGWINCH', resize);
      if (raw) stdin.setRawMode(false);
      stdin.pause();
      stdin.unref?.();
      // The stream owns the master fd now: destroy() closes it once a read in progress returns.
      // (Closing it ourselves as well would let that later close hit whatever file got the
      // number meanwhile.)
      output.destroy();
    },
  };
}
