/** Isolation, proven from inside the container: what the program sees and cannot do. */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `iso-${name}-${process.pid}`;

t.test('the program is PID 1 and sees only the container\'s processes', async (t) => {
  const box = new Sandbox(t);
  // The loop waits until the background child has exec'd sleep; `; true` keeps the shell from
  // replacing itself with ps, the last command.
  const r = box.run(['run', '--bundle', box.shell('echo pid=$$; sleep 5 & until [ "$(cat /proc/$!/comm)" = sleep ]; do :; done; ps -o pid,args; true'), id('pid')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^pid=1$/m, 'the shell is PID 1');
  const rows = r.stdout.split('\n').filter((l) => /^\s*\d+\s/.test(l)).map((l) => l.trim().replace(/^(\d+)\s+/, '$1 '));
  t.equal(rows.length, 3, `three processes: ${JSON.stringify(rows)}`);
  t.match(rows[0], /^1 sh -c /, 'PID 1 is the shell');
  t.ok(rows.some((r) => / sleep 5$/.test(r)) && rows.some((r) => /\bps\b/.test(r)), 'the others are its sleep and ps: nothing of the host');
});

t.test('the hostname is the container\'s; the host keeps its own', async (t) => {
  const box = new Sandbox(t);
  const before = os.hostname();
  const r = box.run(['run', '--bundle', box.shell('hostname', (c) => (c.hostname = 'inside-test')), id('uts')]);
  t.equal(r.stdout, 'inside-test\n');
  t.equal(os.hostname(), before, 'host hostname unchanged');
});

t.test('a new network namespace has only lo', async (t) => {
  const box = new Sandbox(t);
  const r = box.run(['run', '--bundle', box.shell('ls /sys/class/net'), id('net')]);
  t.equal(r.stdout, 'lo\n');
});

t.test('a file the test puts on the host is invisible inside', async (t) => {
  const box = new Sandbox(t);
  const marker = path.join('/tmp', `nk-marker-${process.pid}`);
  fs.writeFileSync(marker, 'host secret');
  t.teardown(() => fs.rmSync(marker, { force: true }));
  const r = box.run(['run', '--bundle', box.shell(`ls ${marker} 2>&1; ls /tmp | wc -l`), id('fs')]);
  t.match(r.stdout, 'No such file or directory');
  t.match(r.stdout, /^0$/m, "the container's /tmp is the rootfs's, empty");
});

t.test('only fds 0, 1 and 2 reach the program', async (t) => {
  const box = new Sandbox(t);
  // ls lists the fds of PID 1, the shell (its own would add the one it reads the directory
  // with); `; true` keeps the shell from replacing itself with ls.
  const r = box.run(['run', '--bundle', box.shell('ls /proc/1/fd; true'), id('fd')]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '0\n1\n2\n');
});

t.test('user, group and supplementary groups are as configured', async (t) => {
  const box = new Sandbox(t);
  const r = box.run([
    'run',
    '--bundle',
    box.shell('id; cat /proc/self/status | grep -E "^(Uid|Gid|Groups):"; umask', (c) => {
      c.process.user = { uid: 1000, gid: 1000, additionalGids: [5], umask: 0o027 };
    }),
    id('user'),
  ]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, 'uid=1000(learner) gid=1000(learner) groups=5(tty)');
  t.match(r.stdout, /^Uid:\s+1000\s+1000\s+1000\s+1000$/m, 'real, effective, saved and fs uid all 1000');
  t.match(r.stdout, /^Groups:\s+5\s*$/m, 'only the configured group, none of the runtime\'s');
  t.match(r.stdout, /^0027$/m, 'umask');
});

t.test('a read-only root refuses writes; the config\'s tmpfs mounts accept them', async (t) => {
  const box = new Sandbox(t);
  const r = box.run([
    'run',
    '--bundle',
    box.shell('touch /newfile 2>&1; touch /run/ok && echo run-ok', (c) => {
      c.root.readonly = true;
      // /run exists in the sample rootfs: a missing mount point would be made in the rootfs.
      c.mounts.push({ destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] });
    }),
    id('ro'),
  ]);
  t.match(r.stdout, 'Read-only file system');
  t.match(r.stdout, 'run-ok');
  t.notOk(fs.existsSync(path.join(__dirname, '..', '..', 'bundle', 'rootfs', 'newfile')), 'nothing was written to the rootfs');
});

t.test('cwd, env and rlimits are the configured ones', async (t) => {
  const box = new Sandbox(t);
  const r = box.run([
    'run',
    '--bundle',
    box.shell('pwd; echo "$GREETING"; ulimit -n', (c) => {
      c.process.cwd = '/etc';
      c.process.env = ['PATH=/bin', 'GREETING=hello from env'];
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 123, hard: 456 }];
    }),
    id('env'),
  ]);
  t.equal(r.stdout, '/etc\nhello from env\n123\n');
});

t.test('a memory limit kills a process that goes over it, and the exit status shows it', async (t) => {
  const box = new Sandbox(t);
  const r = box.run([
    'run',
    '--bundle',
    // dd with a 64 MiB block size allocates (and fills) a 64 MiB buffer.
    box.shell('dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null; echo "dd status $?"', (c) => {
      c.linux.resources = { memory: { limit: 32 * 1024 * 1024 } };
    }),
    id('mem'),
  ]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, 'dd status 137', 'dd was killed by SIGKILL (the OOM killer): 128 + 9');

  const roomy = box.run([
    'run',
    '--bundle',
    box.shell('dd if=/dev/zero of=/dev/null bs=16M count=1 2>/dev/null; echo "dd status $?"', (c) => {
      c.linux.resources = { memory: { limit: 64 * 1024 * 1024 } };
    }, 'roomy'),
    id('mem2'),
  ]);
  t.match(roomy.stdout, 'dd status 0', 'under the limit, the same program succeeds');
});

t.test('a pids limit caps a fork loop', async (t) => {
  const box = new Sandbox(t);
  const r = box.run([
    'run',
    '--bundle',
    // The inner shell forks until refused (a refused fork ends it); the outer one then reads
    // how many processes the cgroup holds, with `read`, a builtin: cat would need a fork.
    box.shell('sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 3 & done"; read n < /sys/fs/cgroup/pids/pids.current; echo $n', (c) => {
      c.linux.resources = { pids: { limit: 8 } };
    }),
    id('pids'),
  ]);
  t.match(r.stderr, "can't fork", 'the shell was refused new processes');
  const current = Number(r.stdout.trim().split('\n').pop());
  t.ok(current <= 8 && current >= 2, `pids.current inside is within the limit (${current})`);
});

t.test('cpu shares, quota and period are written to the container\'s cgroup', async (t) => {
  const box = new Sandbox(t);
  const r = box.run([
    'run',
    '--bundle',
    box.shell('cat /sys/fs/cgroup/cpu/cpu.shares /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/cpu/cpu.cfs_period_us; ' +
      'echo 1024 > /sys/fs/cgroup/cpu/cpu.shares 2>/dev/null && echo writable || echo refused; ' +
      "awk '$5 == \"/sys/fs/cgroup/cpu\" { print $6 }' /proc/self/mountinfo", (c) => {
      c.linux.resources = { cpu: { shares: 512, quota: 50000, period: 100000 } };
    }),
    id('cpu'),
  ]);
  const [shares, quota, period, write, options] = r.stdout.split('\n');
  t.same([shares, quota, period], ['512', '50000', '100000'], 'seen from inside, through the cgroup namespace');
  t.equal(write, 'refused', 'the container cannot raise its own limit: /sys/fs/cgroup is read-only inside');
  t.match(options, /^ro,/, `the cgroup mount is read-only (${options})`);
});

t.test('namespaces given by path are joined: a second container shares the first one\'s', async (t) => {
  const box = new Sandbox(t);
  const first = id('ns1');
  t.equal(box.run(['run', '--detach', '--bundle', box.shell('sleep 30', (c) => (c.hostname = 'first-box'), 'first'), first]).status, 0);
  const pid = box.state(first).pid;
  const second = box.run([
    'run',
    '--bundle',
    box.shell('hostname; ps -o args | grep -c "^sleep 30$"', (c) => {
      delete c.hostname; // the UTS namespace is joined, not made: its hostname is the first's
      c.linux.namespaces = c.linux.namespaces.map((ns: { type: string }) =>
        ['uts', 'pid', 'ipc', 'network'].includes(ns.type) ? { type: ns.type, path: `/proc/${pid}/ns/${ns.type === 'network' ? 'net' : ns.type}` } : ns,
      );
    }, 'second'),
    id('ns2'),
  ]);
  t.equal(second.status, 0, second.stderr);
  t.equal(second.stdout, 'first-box\n1\n', "the first container's hostname, and its sleep in the same PID namespace");
  t.equal(box.run(['delete', '--force', first]).status, 0);
});

t.test('bind mounts with options, default devices, sysctl', async (t) => {
  const box = new Sandbox(t);
  const hostForward = fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8');
  const shared = path.join(box.dir, 'shared');
  fs.mkdirSync(shared);
  fs.writeFileSync(path.join(shared, 'hello.txt'), 'from the host\n');
  const r = box.run([
    'run',
    '--bundle',
    box.shell('cat /home/hello.txt; touch /home/x 2>&1; stat -c "%F %t,%T %n" /dev/null /dev/zero /dev/urandom; cat /proc/sys/net/ipv4/ip_forward', (c) => {
      c.mounts.push({ destination: '/home', type: 'bind', source: shared, options: ['rbind', 'ro', 'nosuid'] });
      c.linux.sysctl = { 'net.ipv4.ip_forward': '1' };
    }),
    id('bind'),
  ]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^from the host$/m, 'the host directory is there');
  t.match(r.stdout, 'Read-only file system', 'and read-only, as its options say');
  t.match(r.stdout, /^character special file 1,3 \/dev\/null$/m, '/dev/null is the character device 1,3');
  t.match(r.stdout, /^character special file 1,5 \/dev\/zero$/m);
  t.match(r.stdout, /^character special file 1,9 \/dev\/urandom$/m);
  t.match(r.stdout, /^1$/m, 'the sysctl is set in the container\'s network namespace');
  t.equal(fs.readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'), hostForward, "the host's own value is untouched");
});

t.test('the program inherits no ignored signals from the runtime (Node ignores SIGPIPE and SIGXFSZ)', async (t) => {
  const box = new Sandbox(t);
  const r = box.run(['run', '--bundle', box.bundle((c) => (c.process.args = ['grep', 'SigIgn', '/proc/self/status'])), id('sig')]);
  // The standard signals (1-31); real-time ones are glibc's and the environment's business.
  const mask = BigInt('0x' + r.stdout.trim().split(/\s+/)[1]);
  t.equal(mask & 0x7fffffffn, 0n, `no standard signal ignored (${r.stdout.trim()})`);
  const pipe = box.run(['run', '--bundle', box.shell('yes | head -n 2; echo done', () => undefined, 'pipe'), id('pipe')]);
  t.equal(pipe.stdout, 'y\ny\ndone\n');
  t.equal(pipe.stderr, '', 'yes ends quietly on SIGPIPE, with no "write error"');
});

t.test('--no-pivot (MS_MOVE and chroot instead of pivot_root): the same mount table inside, no way up out of /', async (t) => {
  const box = new Sandbox(t);
  const script = 'cut -d" " -f5,9 /proc/self/mountinfo; echo ---; cd /../../..; pwd; ls';
  const pivoted = box.run(['run', '--bundle', box.shell(script, undefined, 'pivot'), id('pivot')]);
  const moved = box.run(['run', '--no-pivot', '--bundle', box.shell(script, undefined, 'nopivot'), id('nopivot')]);
  t.equal(pivoted.status, 0, pivoted.stderr);
  t.equal(moved.status, 0, moved.stderr);
  t.equal(moved.stdout, pivoted.stdout, 'what the program sees is the same');
  t.notMatch(moved.stdout, /\/work|\/home\/|\/root\/\.|vmlinuz/, 'nothing of the host');
  t.match(moved.stdout, /---\n\/\nbin\n/, '/.. is / and holds the rootfs');
});
