/** Collecting our children: the waitpid status word decoded, and SIGCHLD waking the watcher. */
import t from 'tap';
import { decodeStatus, watchChild, type Reap } from '../../src/linux/children';
import { formatCall } from '../../src/linux/format';

t.test('the status word of waitpid: an exit code, or the signal that killed it', async (t) => {
  t.same(decodeStatus(0), { code: 0, signal: null });
  t.same(decodeStatus(3 << 8), { code: 3, signal: null });
  t.same(decodeStatus(9), { code: null, signal: 'SIGKILL' });
  t.same(decodeStatus(15 | 0x80), { code: null, signal: 'SIGTERM' }, 'the core-dump bit is not part of the signal');
});

t.test('a child is collected when SIGCHLD comes, and only then', async (t) => {
  const asked: number[] = [];
  let status: ReturnType<Reap> = 'running';
  const child = watchChild(4211, (pid) => {
    asked.push(pid);
    return status;
  });
  t.equal(child.hasExited, false);
  process.emit('SIGCHLD' as NodeJS.Signals, 'SIGCHLD');
  t.equal(child.hasExited, false, 'still running: not collected');
  status = 2 << 8;
  process.emit('SIGCHLD' as NodeJS.Signals, 'SIGCHLD');
  t.same(await child.exited, { code: 2, signal: null });
  t.equal(child.hasExited, true);
  t.ok(asked.every((pid) => pid === 4211), 'waitpid is asked about our pid only, never -1');
  t.equal(process.listenerCount('SIGCHLD'), 0, 'no listener left once no child is watched');
});

t.test('a child someone else collected (ECHILD) ends without a status', async (t) => {
  const child = watchChild(4212, () => 'gone');
  process.emit('SIGCHLD' as NodeJS.Signals, 'SIGCHLD');
  t.same(await child.exited, { code: null, signal: null });
});

t.test('the spawn step shows the PID namespace calls around posix_spawn', async (t) => {
  const request = { file: '/usr/bin/node', args: ['/x/init/main.js', '0'], env: {}, fds: [0, 1, 2, 9], newSession: true };
  t.equal(formatCall('spawn', [request]), 'posix_spawn("/usr/bin/node", ["/usr/bin/node", "/x/init/main.js", "0"])');
  t.equal(
    formatCall('spawn', [{ ...request, pidNamespace: { home: 7 } }]),
    'unshare(CLONE_NEWPID); posix_spawn("/usr/bin/node", ["/usr/bin/node", "/x/init/main.js", "0"]); setns(7, CLONE_NEWPID)',
  );
  t.equal(formatCall('spawn', [{ ...request, pidNamespace: { join: 8, home: 7 } }]).split('; ')[0], 'setns(8, CLONE_NEWPID)');
});
