/**
 * Attacks from inside a container, each of which must fail: the escape suite with `spec`'s default
 * config (three capabilities, the seccomp allow-list, masked and read-only paths, new namespaces),
 * and the runc CVE classes nk-runtime defends against (CVE-2019-5736: overwriting the runtime
 * through /proc/<pid>/exe; CVE-2024-21626: a cwd through /proc/self/fd). Network tests only ever
 * use loopback addresses.
 */
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import t from 'tap';
import { BIN, Sandbox, skipReason } from './harness';
import { defaultSpec } from '../../src/oci/default-spec';
import { CAPABILITIES } from '../../src/linux/capabilities';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `esc-${name}-${process.pid}`;

/** The sample bundle made as `spec` would: its process, capabilities, seccomp, paths, mounts. */
function asDefaultSpec(c: any): void {
  const d = defaultSpec() as any;
  c.process.capabilities = d.process.capabilities;
  c.process.noNewPrivileges = true;
  c.process.rlimits = d.process.rlimits;
  c.mounts = d.mounts;
  c.linux = { ...c.linux, namespaces: d.linux.namespaces, maskedPaths: d.linux.maskedPaths, readonlyPaths: d.linux.readonlyPaths, seccomp: d.linux.seccomp };
}

/** Run `script` in a default-config container: its exit code and what it printed. */
function attack(box: Sandbox, name: string, script: string, edit: (c: any) => void = () => undefined) {
  const bundle = box.shell(script, (c) => {
    asDefaultSpec(c);
    edit(c);
  }, name);
  return box.run(['run', '--bundle', bundle, id(name)]);
}

const ALL_CAPABILITIES = [...CAPABILITIES]; // the runtime leaves out (with a warning) any it does not hold itself

t.test('the escape suite, in a container with the default config: every attempt fails', async (t) => {
  const box = new Sandbox(t);
  const cases: [string, string, RegExp][] = [
    ['a new proc, read-write', 'mkdir -p /dev/p && mount -t proc proc /dev/p', /permission denied|Operation not permitted/i],
    ['a new sysfs, read-write', 'mkdir -p /dev/s && mount -t sysfs sysfs /dev/s', /permission denied|Operation not permitted/i],
    ['write under /sys', 'echo 1 > /sys/kernel/profiling', /Read-only file system/],
    ['write /proc/sys', 'echo 1 > /proc/sys/vm/overcommit_memory', /Read-only file system/],
    ['write /proc/sys/fs', 'echo 100000 > /proc/sys/fs/file-max', /Read-only file system/],
    ['load a module', 'insmod /bin/busybox', /Operation not permitted/],
    ['mknod a disk', 'mknod /dev/sda-attack b 8 0', /Operation not permitted/],
    ['change the hostname', 'hostname attacker', /Operation not permitted/],
    ['raise a hard rlimit', 'ulimit -H -n 1048576', /Operation not permitted|error setting limit/],
    ['a new user namespace', 'unshare -U true', /Operation not permitted/],
    ["the host's root through /proc/1/root", `cat /proc/1/root${path.join(box.dir, 'host-marker')}`, /No such file or directory/],
    ['read /proc/kcore', 'head -c 1 /proc/kcore', /./],
  ];
  fs.writeFileSync(path.join(box.dir, 'host-marker'), 'the host\n');
  const hostname = os.hostname();
  for (const [what, command, error] of cases) {
    const r = attack(box, what.replace(/\W+/g, '-'), `${command}; echo "exit=$?"`);
    t.equal(r.status, 0, `${what}: the container ran: ${r.stderr.slice(0, 300)}`);
    t.notMatch(r.stdout, /exit=0$/m, `${what}: refused`);
    t.match(r.stderr, error, `${what}: ${r.stderr.trim().split('\n').pop()}`);
  }
  t.equal(os.hostname(), hostname, "the host's hostname is unchanged");
  t.notOk(fs.existsSync('/dev/sda-attack'), 'no device node on the host');
});

t.test("ptrace: the host's processes are not there to trace", async (t) => {
  const box = new Sandbox(t);
  const r = attack(box, 'ptrace', `ls /proc | grep -c '^[0-9]'; kill -0 ${process.pid}; echo "exit=$?"`);
  t.equal(r.status, 0, r.stderr);
  t.ok(Number(r.stdout.split('\n')[0]) <= 3, `the container sees ${r.stdout.split('\n')[0]} processes, its own`);
  t.match(r.stdout, /exit=1/, `the test's own pid ${process.pid} is no process in there (or another one)`);
});

t.test("a port the host listens on at 127.0.0.1 is out of reach", async (t) => {
  const box = new Sandbox(t);
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as net.AddressInfo).port;
  const r = attack(box, 'net', `echo hi | nc -w 2 127.0.0.1 ${port}; echo "exit=$?"`);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stdout, /exit=0$/m, 'the connection fails');
  t.equal(connections, 0, 'the host server saw no connection');
});

/** The runtime's executables: what CVE-2019-5736 would overwrite. */
function runtimeFiles(): string[] {
  const files = [process.execPath];
  if (!BIN.endsWith('bin/nk-runtime')) files.push(path.resolve(BIN));
  return files;
}
const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

t.test('CVE-2019-5736: /proc/<pid>/exe of the init leads to a read-only file; without CAP_SYS_PTRACE, to nothing', async (t) => {
  const box = new Sandbox(t);
  const before = runtimeFiles().map(sha256);
  // A: created, not started: its init (the runtime's executable) waits as PID 1 of A's namespace.
  const a = id('target');
  t.teardown(() => box.run(['delete', '--force', a]));
  t.equal(box.run(['create', '--bundle', box.shell('true', undefined, 'target'), a]).status, 0);
  const initPid = box.state(a).pid;
  const joinA = (c: any) => {
    c.linux.namespaces = c.linux.namespaces.map((n: any) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${initPid}/ns/pid` } : n));
  };
  // B, in A's PID namespace, with every capability (the worst case): it can see A's init, it
  // can even open its exe for reading, but opening it for writing fails: the mount is read-only.
  // (O_TRUNC, as `>` opens, asks the mount first: EROFS comes before the busy file's ETXTBSY.)
  const strong = box.run(['run', '--bundle', box.shell('ls -l /proc/1/exe; head -c 4 /proc/1/exe | od -c | head -1; ( : > /proc/1/exe ); echo "write=$?"', (c) => {
    joinA(c);
    c.process.capabilities = { bounding: ALL_CAPABILITIES, effective: ALL_CAPABILITIES, permitted: ALL_CAPABILITIES };
  }, 'strong'), id('strong')]);
  t.equal(strong.status, 0, strong.stderr);
  t.match(strong.stdout, /E {3}L {3}F/, 'the exe can be read (it is the runtime\'s ELF file)');
  t.match(strong.stdout, /write=1/);
  t.match(strong.stderr, /Read-only file system/, 'writing: EROFS');
  // C, the same with spec's capabilities: A's init is not dumpable, so its exe cannot be opened.
  const weak = box.run(['run', '--bundle', box.shell('ls -l /proc/1/exe; echo "ls=$?"; head -c 4 /proc/1/exe; echo "read=$?"', (c) => {
    joinA(c);
    c.process.capabilities = defaultSpec().process.capabilities;
  }, 'weak'), id('weak')]);
  t.equal(weak.status, 0, weak.stderr);
  t.match(weak.stdout, /read=1/);
  t.match(weak.stderr, /Permission denied/, 'without CAP_SYS_PTRACE: EACCES');
  t.same(runtimeFiles().map(sha256), before, `the runtime's files are unchanged: ${runtimeFiles().join(', ')}`);
});

t.test('CVE-2019-5736: a `#!/proc/self/exe` program runs the runtime read-only', async (t) => {
  const box = new Sandbox(t);
  const before = runtimeFiles().map(sha256);
  const attackDir = path.join(box.dir, 'attack');
  fs.mkdirSync(attackDir);
  // Under Node the script runs as JavaScript (Node skips the #! line); as the single executable it
  // is an unknown command. Either way the runtime's file must come out unchanged.
  fs.writeFileSync(
    path.join(attackDir, 'evil'),
    "#!/proc/self/exe\ntry { require('fs').openSync('/proc/self/exe', 'w'); console.log('opened for writing'); } catch (e) { console.log('open: ' + e.code); }\n",
    { mode: 0o755 },
  );
  const r = box.run(['run', '--bundle', box.bundle((c) => {
    c.process.args = ['/tmp/evil'];
    c.process.capabilities = { bounding: ALL_CAPABILITIES, effective: ALL_CAPABILITIES, permitted: ALL_CAPABILITIES };
    // /tmp: a directory the shared sample rootfs has already (a new mount point would be made in it).
    c.mounts.push({ destination: '/tmp', type: 'bind', source: attackDir, options: ['rbind', 'ro'] });
  }, 'evil'), id('evil')]);
  // This machine's kernel (6.18) already refuses /proc/self/exe as the interpreter of the
  // init's or a helper's execve (ENOENT); where a kernel allows it, node runs the script and its
  // open for writing meets the read-only mount (EROFS). Either way: no write.
  const refused = /execve\("\/tmp\/evil".*ENOENT/.test(r.stderr);
  t.ok(refused || /^open: EROFS$/m.test(r.stdout) || !BIN.endsWith('bin/nk-runtime'), `the attack got nowhere: ${(r.stdout + r.stderr).trim().split('\n').pop()}`);
  t.notMatch(r.stdout, /opened for writing/);
  t.same(runtimeFiles().map(sha256), before, "the runtime's files are unchanged");
});

t.test('CVE-2024-21626: a cwd through /proc/self/fd/N is refused, in run and in exec', async (t) => {
  const box = new Sandbox(t);
  for (const fd of [3, 4, 5, 6, 7, 8]) {
    const c = id(`cwd${fd}`);
    const r = box.run(['run', '--bundle', box.shell('pwd; ls .. | head -3', (config) => (config.process.cwd = `/proc/self/fd/${fd}`), `cwd${fd}`), c]);
    t.not(r.status, 0, `cwd /proc/self/fd/${fd}: not started`);
    t.match(r.stderr, /process\.cwd|chdir/, `fd ${fd}: ${r.stderr.trim().split('\n').pop()}`);
    box.run(['delete', '--force', c]);
  }
  const c = id('cwdexec');
  t.teardown(() => box.run(['delete', '--force', c]));
  t.equal(box.run(['run', '--detach', '--bundle', box.shell('sleep 30', undefined, 'cwdexec'), c]).status, 0);
  for (const fd of [3, 4, 5, 6, 7, 8]) {
    const r = box.run(['exec', '--cwd', `/proc/self/fd/${fd}`, c, 'pwd']);
    t.not(r.status, 0, `exec --cwd /proc/self/fd/${fd}: refused`);
  }
});
