/** -E: every kernel step, from the runtime and from the init, printed in order as it happens. */
import t from 'tap';
import { Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

t.test('create -E, start -E and delete -E narrate both processes in order, on stderr', async (t) => {
  const box = new Sandbox(t);
  const c = `narr-${process.pid}`;
  const bundle = box.shell('echo program output');
  const created = box.run(['-E', 'create', '--bundle', bundle, c]);
  t.equal(created.status, 0, created.stderr);
  t.equal(created.stdout, '', 'narration never goes to stdout');
  const out = created.stderr;
  const order = [
    /runtime pid \d+\s+socketpair\(AF_UNIX, SOCK_STREAM\|SOCK_CLOEXEC, 0\) = fds \d+ and \d+/,
    /runtime pid \d+\s+open\("\/proc\/self\/ns\/pid", 0x0, 00\) = fd (\d+)/,
    // One step: between these three calls no JavaScript may run (src/linux/linux-kernel.ts spawn()).
    /runtime pid \d+\s+unshare\(CLONE_NEWPID\); posix_spawn\("[^"]+", \[.*"(\S*init\/main\.js|__init)", "0"\]\); setns\(\d+, CLONE_NEWPID\) = pid \d+\s+linux\.namespaces\[\d\]/,
    /runtime pid \d+\s+mkfifo\(".*exec\.fifo", 0600\) = 0/,
    // Into the cgroup: the init moves itself on v1 (0 to tasks), the runtime moves it on v2.
    /(runtime pid \d+\s+write\(".*cgroup\.procs", "\d+"\)|init\s+pid 1\s+write\(".*\/tasks", "0"\)) = 0/,
    /init\s+pid 1\s+unshare\(CLONE_NEWNS\|CLONE_NEWCGROUP\|CLONE_NEWUTS\|CLONE_NEWIPC\|CLONE_NEWNET\) = 0/,
    /init\s+pid 1\s+mount\(NULL, "\/", NULL, MS_REC\|MS_PRIVATE, NULL\) = 0/,
    /init\s+pid 1\s+openat2\(\d+, "proc", \{flags: O_PATH\|O_CLOEXEC, resolve: RESOLVE_NO_MAGICLINKS\|RESOLVE_IN_ROOT\}\) = fd \d+\s+mounts\[0\]/,
    /init\s+pid 1\s+mount\("proc", "\/proc\/self\/fd\/\d+", "proc", 0, NULL\) = 0\s+mounts\[0\]/,
    /init\s+pid 1\s+mknod\(".*\/dev\/null", S_IFCHR\|0666, makedev\(1, 3\)\) = 0/,
    /init\s+pid 1\s+pivot_root\("\.", "\."\) = 0\s+root\.path/,
    /init\s+pid 1\s+umount2\("\.", MNT_DETACH\) = 0/,
    /init\s+pid 1\s+sethostname\("nk-demo"\) = 0\s+hostname/,
  ];
  let from = 0;
  for (const pattern of order) {
    const match = pattern.exec(out.slice(from));
    t.ok(match, `in order: ${pattern.source}`);
    if (match) from += match.index + match[0].length;
  }
  t.match(out, 'man 3 posix_spawn', 'each step names its man page');
  t.match(out, 'man 2 pivot_root');
  t.match(out, 'src/init/rootfs.ts pivotToRootfs()', 'and where in the code it lives');
  t.match(out, 'src/runtime/spawn-init.ts spawnHelper()');
  t.match(out, /pivot_root.*\n\s+With both arguments "\."/, 'and why, under the call');

  const started = box.run(['-E', 'start', c]);
  t.equal(started.status, 0, started.stderr);
  const s = started.stderr;
  // The init made the program's settings before start came (init/main.ts): their steps come
  // first, then its open of exec.fifo, then execve.
  const startOrder = [
    /init\s+pid 1\s+setrlimit\(RLIMIT_NOFILE, \{cur: 1024, max: 1024\}\) = 0\s+process\.rlimits\[0\]/,
    /init\s+pid 1\s+setgroups\(0, \[\]\) = 0/,
    /init\s+pid 1\s+setgid\(0\) = 0/,
    /init\s+pid 1\s+setuid\(0\) = 0/,
    /init\s+pid 1\s+prctl\(PR_SET_NO_NEW_PRIVS, 1\) = 0\s+process\.noNewPrivileges/,
    /init\s+pid 1\s+fcntl\(0, F_SETFD, 0\) = 0/,
    /init\s+pid 1\s+close_range\(3, ~0U, CLOSE_RANGE_CLOEXEC\) = 0/,
    /init\s+pid 1\s+open\("\/proc\/self\/fd\/\d+", 0x1, 00\) = fd \d+\s+exec\.fifo/,
    /init\s+pid 1\s+execve\("\/bin\/sh", \["sh", "-c", "echo program output"\], \[2 env vars\]\)/,
    /execve succeeded/,
  ];
  let at = 0;
  for (const pattern of startOrder) {
    const match = pattern.exec(s.slice(at));
    t.ok(match, `start, in order: ${pattern.source}`);
    if (match) at += match.index + match[0].length;
  }
  await box.waitFor(c, 'stopped');
  const deleted = box.run(['-E', 'delete', c]);
  t.match(deleted.stderr, /runtime pid \d+\s+rmdir\(".*nk-narr-\d+"\) = 0/, 'delete narrates removing the cgroup');
});

t.test('a failing step is narrated with its errno, and create reports it in one line', async (t) => {
  const box = new Sandbox(t);
  const c = `narrfail-${process.pid}`;
  const bundle = box.bundle((cfg) => cfg.mounts.push({ destination: '/var', type: 'nosuchfs', source: 'none' }));
  const r = box.run(['-E', 'create', '--bundle', bundle, c]);
  t.equal(r.status, 1);
  t.match(r.stderr, /init\s+pid 1\s+mount\("none", "\/proc\/self\/fd\/\d+", "nosuchfs", 0, NULL\) = -1 ENODEV \(No such device\)\s+mounts\[\d\]/);
  t.match(r.stderr, /\nnk-runtime: create narrfail-\d+: mounts\[\d\] \(nosuchfs on \/var\): mount\("none", ".*", "nosuchfs", 0, NULL\): ENODEV \(No such device\)\n/);
  t.equal(box.run(['state', c]).status, 1, 'nothing left');
});

t.test('-EE: every step, the runtime\'s and the init\'s, also shows its arguments as the kernel got them', async (t) => {
  const box = new Sandbox(t);
  const c = `narr-ee-${process.pid}`;
  const bundle = box.shell('true', (config) => {
    config.linux.resources = { memory: { limit: 64 * 1024 * 1024 } };
  });
  const run = box.run(['-EE', 'run', '--bundle', bundle, c]);
  t.equal(run.status, 0, run.stderr);
  const stepLines = run.stderr.split('\n').filter((l) => /^ \[\d+\] /.test(l)).length;
  const rawLines = run.stderr.split('\n').filter((l) => /^ {8}raw: /.test(l)).length;
  t.ok(stepLines > 100, `${stepLines} steps`);
  t.equal(rawLines, stepLines, 'one raw line per step');
  // The init's remount of / as private: MS_REC|MS_PRIVATE as the number the kernel gets.
  t.match(run.stderr, /init +pid 1 +mount\(NULL, "\/", NULL, MS_REC\|MS_PRIVATE, NULL\) = 0.*\n(?: {6}.*\n)*? {8}raw: mount\(NULL, "\/", NULL, 0x44000 \(278528\), NULL\)/);
  // The bytes written to the cgroup file, with their count.
  t.match(run.stderr, /raw: writeFile\(".*\/memory\.limit_in_bytes", "67108864" {2}\(8 bytes\)\)/);
  // The init's part after start too.
  t.match(run.stderr, /raw: execve\("\/bin\/sh", \[/);
  const plain = box.run(['-E', 'run', '--bundle', bundle, `${c}-e`]);
  t.notMatch(plain.stderr, /raw: /, '-E alone shows none');
});
