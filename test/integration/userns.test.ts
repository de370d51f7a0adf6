/**
 * User namespaces, for real: root inside is uid 100000 on the host (linux.uidMappings), exec
 * joins the namespace, and that root cannot do to host files what the host's root can.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox, skipReason, underScript } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `userns-${name}-${process.pid}`;
const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

/** A config with a user namespace: container IDs 0-65535 are host IDs 100000-165535. */
function userns(config: any): void {
  config.linux.namespaces.push({ type: 'user' });
  config.linux.uidMappings = MAP;
  config.linux.gidMappings = MAP;
}

/** The Uid: line of /proc/PID/status: real, effective, saved, filesystem. */
const hostUids = (pid: number) => /^Uid:\s+(.*)$/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1].split(/\s+/);

t.test('root inside the container is uid 100000 on the host', async (t) => {
  const box = new Sandbox(t);
  const script = 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; echo $$; hostname';
  const r = box.run(['run', '--bundle', box.shell(script, (c) => (userns(c), (c.hostname = 'mapped-box'))), id('run')]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.replace(/ +/g, ' '), ' 0 100000 65536\n 0 100000 65536\n0\n0\n1\nmapped-box\n', 'the maps, uid and gid 0, PID 1, its hostname (its UTS namespace is the user namespace\'s)');

  const c = id('box');
  t.equal(box.run(['run', '--detach', '--bundle', box.shell('sleep 60', userns, 'sleeper'), c]).status, 0);
  const pid = box.state(c).pid as number;
  t.same(hostUids(pid), ['100000', '100000', '100000', '100000'], 'the host sees uid 100000');
  t.not(fs.readlinkSync(`/proc/${pid}/ns/user`), fs.readlinkSync('/proc/self/ns/user'), 'in a user namespace of its own');
});

t.test('exec joins the container\'s user namespace', async (t) => {
  const box = new Sandbox(t);
  const c = id('exec');
  t.equal(box.run(['run', '--detach', '--bundle', box.shell('sleep 60', userns), c]).status, 0);
  const initPid = box.state(c).pid as number;
  const pidFile = path.join(box.dir, 'exec.pid');
  const r = box.run(['exec', c, 'sh', '-c', 'cat /proc/self/uid_map; id -u']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.replace(/ +/g, ' '), ' 0 100000 65536\n0\n');
  const narrated = box.run(['-E', 'exec', c, 'true']);
  t.match(narrated.stderr, /exec\s+pid \d+\s+setns\(fd, CLONE_NEWUSER\) = 0/, '-E shows nk-userns joining, as the exec helper');
  t.equal(box.run(['exec', '--detach', '--pid-file', pidFile, c, 'sleep', '30']).status, 0);
  const pid = Number(fs.readFileSync(pidFile, 'utf8'));
  for (const ns of ['user', 'pid', 'mnt', 'uts', 'ipc', 'net', 'cgroup']) {
    t.equal(fs.readlinkSync(`/proc/${pid}/ns/${ns}`), fs.readlinkSync(`/proc/${initPid}/ns/${ns}`), `same ${ns} namespace`);
  }
  t.same(hostUids(pid), ['100000', '100000', '100000', '100000']);
});

t.test('the root of a user namespace cannot change a host file bound in; the host\'s root can', async (t) => {
  const box = new Sandbox(t);
  // The bind source must be reachable by host uid 100000: our sandbox dir is 0700.
  fs.chmodSync(box.dir, 0o711);
  const shared = path.join(box.dir, 'shared');
  fs.mkdirSync(shared, { mode: 0o755 });
  const file = path.join(shared, 'file');
  fs.writeFileSync(file, 'host\n', { mode: 0o644 });
  const script = 'cat /scratch/file; echo x > /scratch/file && echo wrote; touch /scratch/new && echo made; chmod 666 /scratch/file && echo chmodded; true';
  const bind = (config: any) => config.mounts.push({ destination: '/scratch', type: 'bind', source: shared, options: ['rbind', 'rw'] });

  const inside = box.run(['run', '--bundle', box.shell(script, (c) => (userns(c), bind(c)), 'mapped'), id('mapped')]);
  t.equal(inside.status, 0, inside.stderr);
  t.equal(inside.stdout, 'host\n', 'it reads the file (as "other"), and writes, creates and chmods nothing');
  t.match(inside.stderr, /Permission denied/);
  t.equal(fs.readFileSync(file, 'utf8'), 'host\n');
  t.same(fs.readdirSync(shared), ['file']);
  t.equal(fs.statSync(file).mode & 0o777, 0o644);

  // The same container without a user namespace: the test could fail.
  const host = box.run(['run', '--bundle', box.shell(script, bind, 'host'), id('host')]);
  t.equal(host.status, 0, host.stderr);
  t.equal(host.stdout, 'host\nwrote\nmade\nchmodded\n', 'the host\'s root does all of it');
});

t.test('a terminal: the init, cloned by nk-userns, leads its own session and gets its controlling terminal', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('tty; id -u; exit 3', (c) => (userns(c), (c.process.terminal = true)));
  // script(1) gives `run` a terminal, which it shows the container's on.
  const r = await underScript(box, ['run', '--bundle', bundle, id('tty')], 'true');
  t.equal(r.status, 3, r.output);
  t.match(r.output, /\/dev\/pts\/0\r*\n0\r*\n/);
});

t.test('-E narrates the user namespace: nk-userns\'s steps, the maps, the adopted init', async (t) => {
  const box = new Sandbox(t);
  const r = box.run(['-E', 'run', '--bundle', box.shell('true', userns), id('narrated')]);
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout + r.stderr;
  const order = [
    /posix_spawn\("[^"]*nk-userns", \[[^\]]*"new", "pid"/,
    /unshare\(CLONE_NEWUSER\) = 0/,
    /write\("\/proc\/\d+\/uid_map", "0 100000 65536\\n"\) = 0/,
    /write\("\/proc\/\d+\/gid_map", "0 100000 65536\\n"\) = 0/,
    /setresuid\(0, 0, 0\) = 0/,
    /waitpid\(\d+, WNOHANG\) \(our child through clone\(CLONE_PARENT\)\) = pid \d+/,
    /unshare\(CLONE_NEWNS\|/,
  ];
  let last = -1;
  for (const pattern of order) {
    const at = out.search(pattern);
    t.ok(at > last, `${pattern.source} comes next`);
    last = at;
  }
  t.match(out, /man 7 user_namespaces/);
});

t.test('a map without a root is refused at create, and nothing is left', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('true', (c) => {
    userns(c);
    c.linux.uidMappings = [{ containerID: 1, hostID: 100001, size: 10 }];
  });
  const r = box.run(['create', '--bundle', bundle, id('noroot')]);
  t.equal(r.status, 1);
  t.match(r.stderr, /config\.json: linux\.uidMappings: ID 0 is not mapped/);
  t.notOk(fs.existsSync(path.join(box.root, id('noroot'))), 'no state dir');
});

t.test('a rootfs the container\'s root cannot reach is refused at create, with the directory named', async (t) => {
  const box = new Sandbox(t);
  const rootfs = path.join(box.dir, 'private', 'rootfs');
  fs.mkdirSync(rootfs, { recursive: true, mode: 0o755 });
  fs.chmodSync(path.dirname(rootfs), 0o700);
  const r = box.run(['create', '--bundle', box.shell('true', (c) => (userns(c), (c.root.path = rootfs))), id('unreachable')]);
  t.equal(r.status, 1);
  t.match(r.stderr, `config.json: root.path: ${rootfs} is out of reach of the container's root, host uid 100000: ${path.dirname(rootfs)} is mode 0700`);
  t.notOk(fs.existsSync(path.join(box.root, id('unreachable'))), 'no state dir');
});
