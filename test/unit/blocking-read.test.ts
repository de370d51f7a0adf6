/** readBlocking (src/blocking-read.ts): what counts as the end of what the other process sends. */
import t from 'tap';
import * as fs from 'node:fs';
import { readBlocking } from '../../src/blocking-read';
import { LinuxKernel } from '../../src/linux/linux-kernel';

t.test('a unix socket whose peer closed with our bytes unread: the end, not an error', async (t) => {
  // What `exec` saw when its helper was killed before reading the bootstrap: the kernel answers
  // the read with ECONNRESET (net/unix/af_unix.c, unix_release_sock), not with end-of-file.
  // (The error is reported once: the read after it sees the end. So two pairs.)
  const pair = () => {
    const [ours, theirs] = new LinuxKernel().socketpair();
    fs.writeSync(ours, '{"type":"exec"}\n');
    fs.closeSync(theirs);
    t.teardown(() => fs.closeSync(ours));
    return ours;
  };
  t.throws(() => fs.readSync(pair(), Buffer.alloc(16)), { code: 'ECONNRESET' }, 'a plain read fails so');
  t.equal(readBlocking(pair(), Buffer.alloc(16)), 0, 'readBlocking: the end');
});

t.test('a peer that wrote and closed: its bytes, then the end', async (t) => {
  const [ours, theirs] = new LinuxKernel().socketpair();
  fs.writeSync(theirs, 'ready\n');
  fs.closeSync(theirs);
  const buffer = Buffer.alloc(16);
  t.equal(buffer.toString('utf8', 0, readBlocking(ours, buffer)), 'ready\n');
  t.equal(readBlocking(ours, buffer), 0);
  fs.closeSync(ours);
});
