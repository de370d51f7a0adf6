/** exec: a second process inside a running container, in all its namespaces and cgroups. */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox, skipReason } from './harness';
import { spawnSync } from 'node:child_process';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `exec-${name}-${process.pid}`;

/** A running container (sleep 60) with the hostname `exec-box`. */
function runningBox(t: any) {
  const box = new Sandbox(t);
  const c = id('box');
  const r = box.run(['run', '--detach', '--bundle', box.shell('sleep 60', (cfg) => (cfg.hostname = 'exec-box')), c]);
  t.equal(r.status, 0, r.stderr);
  return { box, c, initPid: box.state(c).pid as number };
}

t.test('the command sees the container: its hostname, its processes, its root, only lo', async (t) => {
  const { box, c } = runningBox(t);
  const r = box.run(['exec', c, 'sh', '-c', 'hostname; ps -o pid,args | grep -c "^ *1 sleep 60$"; ls /sys/class/net; ls /bin/nk-hello']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'exec-box\n1\nlo\n/bin/nk-hello\n');
});

t.test('it is in the same namespaces and cgroup as the init', async (t) => {
  const { box, c, initPid } = runningBox(t);
  const pidFile = path.join(box.dir, 'exec.pid');
  const r = box.run(['exec', '--detach', '--pid-file', pidFile, c, 'sleep', '30']);
  t.equal(r.status, 0, r.stderr);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.ok(pid > 0 && pid !== initPid, 'a new process, written to --pid-file');
  for (const ns of ['pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup']) {
    t.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${initPid}/ns/${ns}`), `same ${ns} namespace`);
  }
  t.equal(fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8'), fs.readFileSync(`/proc/${initPid}/cgroup`, 'utf8'), 'same cgroups');
  t.equal(box.run(['delete', '--force', c]).status, 0, 'delete --force ends the exec\'d process too');
  t.notOk(fs.existsSync(`/proc/${pid}/ns`), 'it is gone');
});

t.test('exit status, env, cwd, user, and only fds 0-2', async (t) => {
  const { box, c } = runningBox(t);
  t.equal(box.run(['exec', c, 'sh', '-c', 'exit 7']).status, 7, 'the exit code is the command\'s');
  const r = box.run(['exec', '--env', 'GREETING=hi', '-e', 'PATH=/bin', '--cwd', '/etc', '--user', '1000:1000', c, 'sh', '-c', 'echo "$GREETING $PATH $(pwd) $(id -u):$(id -g)"; ls /proc/$$/fd; true']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'hi /bin /etc 1000:1000\n0\n1\n2\n');
  const input = box.run(['exec', c, 'sh', '-c', 'read line; echo "got $line"'], { input: 'hello\n' });
  t.equal(input.stdout, 'got hello\n', 'stdin passes through');
});

t.test('--process takes an OCI process.json, as containerd and podman send it', async (t) => {
  const { box, c } = runningBox(t);
  const file = path.join(box.dir, 'process.json');
  fs.writeFileSync(file, JSON.stringify({ args: ['sh', '-c', 'echo "$X from $(pwd)"'], env: ['X=json', 'PATH=/bin'], cwd: '/tmp', user: { uid: 0, gid: 0 } }));
  const r = box.run(['exec', '--process', file, c]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'json from /tmp\n');
  fs.writeFileSync(file, JSON.stringify({ args: [], cwd: '/', user: { uid: 0, gid: 0 } }));
  const bad = box.run(['exec', '--process', file, c]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /^nk-runtime: exec exec-box-\d+: process\.json: process\.args: must be a non-empty array of strings/);
});

t.test('errors: a stopped or unknown container, a missing program, no command', async (t) => {
  const { box, c } = runningBox(t);
  const missing = box.run(['exec', c, 'no-such-program']);
  t.equal(missing.status, 1);
  t.match(missing.stderr, `nk-runtime: exec ${c}: process.args[0]: "no-such-program" not found in the rootfs`);
  const none = box.run(['exec', c]);
  t.equal(none.status, 1);
  t.match(none.stderr, 'say what to run');
  t.equal(box.run(['kill', c, 'KILL']).status, 0);
  await box.waitFor(c, 'stopped');
  const stopped = box.run(['exec', c, 'true']);
  t.equal(stopped.status, 1);
  t.match(stopped.stderr, `nk-runtime: exec ${c}: cannot exec in container ${c}: it is stopped`);
  t.match(box.run(['exec', 'nope', 'true']).stderr, 'nk-runtime: exec nope: container nope does not exist');
});

t.test('-E narrates the joins from the exec helper', async (t) => {
  const { box, c } = runningBox(t);
  const r = box.run(['-E', 'exec', c, 'true']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stderr, /runtime pid \d+\s+setns\(\d+, CLONE_NEWPID\); posix_spawn\(.*\); setns\(\d+, CLONE_NEWPID\) = pid \d+/);
  t.match(r.stderr, /exec\s+pid \d+\s+setns\(\d+, CLONE_NEWNS\) = 0\s+exec: mount namespace/);
  t.match(r.stderr, /exec\s+pid \d+\s+execve\("\/bin\/true", \["true"\]/);
});

t.test('ps lists the init and the exec\'d processes by host pid', async (t) => {
  const { box, c, initPid } = runningBox(t);
  const pidFile = path.join(box.dir, 'ps.pid');
  t.equal(box.run(['exec', '-d', '--pid-file', pidFile, c, 'sleep', '30']).status, 0);
  const execPid = Number(fs.readFileSync(pidFile, 'utf8'));
  t.same(JSON.parse(box.run(['ps', '--format', 'json', c]).stdout), [initPid, execPid].sort((a, b) => a - b));
  t.match(box.run(['ps', c]).stdout, new RegExp(`^PID +CMD\\n${Math.min(initPid, execPid)} +sleep`));
});

t.test('create options that cannot apply are refused, and leave nothing', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('true');
  const r = box.run(['create', '--console-socket', path.join(box.dir, 'pty.sock'), '--bundle', bundle, id('tty')]);
  t.equal(r.status, 1);
  t.match(r.stderr, '--console-socket is only for a terminal', 'a console socket without process.terminal');
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n');
  const accepted = box.run(['run', '--no-new-keyring', '--bundle', bundle, id('kr')]);
  t.equal(accepted.status, 0, '--no-new-keyring is accepted: it is what nk-runtime does anyway');
});

t.test('--preserve-fds N: fds 3 to 2+N reach the program (run) and an exec\'d command, and nothing above them', async (t) => {
  const box = new Sandbox(t);
  const out = path.join(box.dir, 'fd3.out');
  const input = path.join(box.dir, 'fd4.in');
  fs.writeFileSync(input, 'read-from-fd-4\n');
  const bundle = box.shell('echo written-to-fd-3 >&3; cat <&4; ls /proc/self/fd | sort -n | tr "\\n" " "');
  // The shell opens fds 3 and 4 for nk-runtime, as podman does for socket activation.
  const line = `${box.commandLine(['run', '--preserve-fds', '2', '--bundle', bundle, id('pf')])} 3>${out} 4<${input}`;
  const r = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, 'read-from-fd-4');
  t.match(r.stdout, /^read-from-fd-4\n0 1 2 3 4 5 $/m, 'fds 0-4, and 5 only for ls\'s own directory read');
  t.equal(fs.readFileSync(out, 'utf8'), 'written-to-fd-3\n');
  const bad = box.run(['run', '--preserve-fds', 'two', '--bundle', bundle, id('pfbad')]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, '--preserve-fds two: must be a number of fds');
});
