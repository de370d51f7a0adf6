import t from 'tap';
import { formatCall } from '../../src/linux/format';
import { CLONE, MS } from '../../src/linux/constants';

t.test('kernel calls are written with flag names, as in their man pages', async (t) => {
  t.equal(formatCall('unshare', [CLONE.NEWNS | CLONE.NEWUTS]), 'unshare(CLONE_NEWNS|CLONE_NEWUTS)');
  t.equal(
    formatCall('mount', ['proc', '/proc', 'proc', MS.NOSUID | MS.NODEV | MS.NOEXEC, null]),
    'mount("proc", "/proc", "proc", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)',
  );
  t.equal(formatCall('mount', [null, '/', null, MS.REC | MS.PRIVATE, null]), 'mount(NULL, "/", NULL, MS_REC|MS_PRIVATE, NULL)');
  t.equal(formatCall('umount2', ['.', 2]), 'umount2(".", MNT_DETACH)');
  t.equal(formatCall('kill', [42, 9]), 'kill(42, SIGKILL)');
  t.equal(formatCall('setrlimit', [7, 1024n, 0xffffffffffffffffn]), 'setrlimit(RLIMIT_NOFILE, {cur: 1024, max: RLIM_INFINITY})');
  t.equal(formatCall('unshare', [0x1]), 'unshare(0x1)', 'unknown bits are shown in hex');
});
