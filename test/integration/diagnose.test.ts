/**
 * Diagnosis of failed steps, provoked for real (src/explain/diagnose.ts): each failure prints one
 * line with its likeliest cause, one hint with what to do, and leaves nothing behind.
 *
 * Not provoked here: EINVAL from pivot_root. The init bind-mounts root.path onto itself and makes
 * every mount private before pivot_root, which removes both usual causes (not a mount point,
 * shared propagation), and the third (a host booted on its initramfs) cannot be made in a test.
 * test/unit/diagnose.test.ts provokes it through the fake kernel.
 */
import t from 'tap';
import type { Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { BIN, REPO, Sandbox, missingController, skipReason, type Result } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const tag = `-${process.pid}`;
const id = (name: string) => `${name}${tag}`;

/** One line `nk-runtime: <what>: <message>; most likely: <cause>`, then one hint; exit 1. */
function diagnosed(t: Test, r: Result, what: string, message: RegExp, cause: RegExp, hint: RegExp): void {
  t.equal(r.status, 1, `${what}: exits 1`);
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  t.equal(lines.length, 2, `one line and a hint: ${r.stderr}`);
  const [first, second = ''] = lines;
  t.ok(first.startsWith(`nk-runtime: ${what}: `), first);
  const [said, likely = ''] = first.slice(`nk-runtime: ${what}: `.length).split('; most likely: ');
  t.match(said, message, 'what failed');
  t.match(likely, cause, 'the likeliest cause');
  t.ok(second.startsWith('  hint: '), second);
  t.match(second, hint, 'what to do');
}

/** No cgroup directory of container `c` is left anywhere. */
function noCgroup(t: Test, c: string): void {
  const found = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '6', '-type', 'd', '-name', `nk-${c}`], { encoding: 'utf8' }).stdout.trim();
  t.equal(found, '', `no cgroup of ${c} left`);
}

t.test('EPERM: root without CAP_SYS_ADMIN (setpriv drops it) cannot unshare', async (t) => {
  if (!fs.existsSync('/usr/bin/setpriv')) return t.skip('no setpriv (util-linux) to drop a capability with');
  const box = new Sandbox(t);
  const c = id('nosysadmin');
  const b = box.bundle();
  // Out of the bounding set and the inheritable set: after execve, root's permitted and effective
  // sets lack it too (man 7 capabilities, "Capabilities and execution of programs by root").
  const r = spawnSync('/usr/bin/setpriv', ['--bounding-set=-sys_admin', '--inh-caps=-sys_admin', '/usr/bin/env', ...box.envArgs({}), BIN, '--root', box.root, 'create', '--bundle', b, c], { encoding: 'utf8', timeout: 30_000 });
  diagnosed(t, { status: r.status, stdout: r.stdout, stderr: r.stderr }, `create ${c}`, /^unshare\(CLONE_NEW\S+\): EPERM \(Operation not permitted\)$/, /runs as root but without CAP_SYS_ADMIN/, /CAP_SYS_ADMIN/);
  t.same(fs.existsSync(box.root) ? fs.readdirSync(box.root) : [], [], 'no state dir left');
  noCgroup(t, c);
});

t.test('ENOENT: a program missing in the rootfs, and a script whose interpreter is missing', async (t) => {
  const box = new Sandbox(t);
  const missing = id('noprogram');
  const r = box.run(['run', '--bundle', box.bundle((config) => (config.process.args = ['/bin/no-such-program']), 'missing'), missing]);
  t.equal(r.status, 1);
  t.match(r.stderr, /^nk-runtime: run \S+: process\.args\[0\]: "\/bin\/no-such-program" not found in the rootfs\n  hint: check process\.args/, r.stderr);
  noCgroup(t, missing);

  // The script lives in a directory of ours, bound onto the rootfs's /scratch: the shared rootfs is not changed.
  const scripts = path.join(box.dir, 'scripts');
  fs.mkdirSync(scripts);
  fs.writeFileSync(path.join(scripts, 'prog'), '#!/no/such/shell\necho never\n', { mode: 0o755 });
  const c = id('nointerpreter');
  const b = box.bundle((config) => {
    config.process.args = ['/scratch/prog'];
    config.mounts.push({ destination: '/scratch', type: 'bind', source: scripts, options: ['rbind', 'ro'] });
  }, 'script');
  const s = box.run(['run', '--bundle', b, c]);
  diagnosed(t, s, `run ${c}`, /^the container's program did not start: execve\("\/scratch\/prog", .*\): ENOENT \(No such file or directory\)$/, /the interpreter its "#!" line names, or the dynamic loader/, /first line of the script/);
  box.run(['delete', '--force', c]);
  noCgroup(t, c);
});

t.test('EPERM: an rlimit above fs.nr_open (podman asks for nofile 1048576 by default), named by its field', async (t) => {
  const box = new Sandbox(t);
  const nrOpen = Number(fs.readFileSync('/proc/sys/fs/nr_open', 'utf8'));
  const c = id('rlimit');
  const b = box.bundle((config) => (config.process.rlimits = [{ type: 'RLIMIT_NOFILE', hard: nrOpen + 1, soft: nrOpen + 1 }]), 'rlimit');
  const r = box.run(['run', '--bundle', b, c]);
  diagnosed(t, r, `run ${c}`, /^the container's program did not start: process\.rlimits\[0\] \(RLIMIT_NOFILE\): setrlimit\(RLIMIT_NOFILE, .*\): EPERM/, new RegExp(`RLIMIT_NOFILE never above the kernel's fs\\.nr_open \\(${nrOpen} here\\)`), /lower the hard value in process\.rlimits/);
  box.run(['delete', '--force', c]);
  noCgroup(t, c);
});

t.test('EBUSY: the cgroup of a container still holds a process (ours, moved there), so delete cannot remove it', async (t) => {
  const box = new Sandbox(t);
  const c = id('busy');
  t.equal(box.run(['run', '--detach', '--bundle', box.shell('sleep 1000'), c]).status, 0, 'running');
  const cgroup = JSON.parse(fs.readFileSync(path.join(box.root, c, 'state.json'), 'utf8')).cgroup as { dirs: Record<string, string> };
  const dir = cgroup.dirs.pids ?? cgroup.dirs.unified;
  // A process of this test, moved into a cgroup the runtime made: it keeps that cgroup busy.
  const ours = spawn('sleep', ['1000'], { stdio: 'ignore' });
  t.teardown(() => {
    ours.kill('SIGKILL');
  });
  fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(ours.pid));
  t.equal(box.run(['kill', c, 'KILL']).status, 0);
  await box.waitFor(c, 'stopped');
  const r = box.run(['delete', c]);
  diagnosed(t, r, `delete ${c}`, new RegExp(`^cgroup: removing ${dir} \\(processes still in it: ${ours.pid}\\): EBUSY`), /processes are still in the cgroup/, /delete --force/);
  ours.kill('SIGKILL');
  await new Promise((resolve) => ours.once('exit', resolve));
  t.equal(box.run(['delete', c]).status, 0, 'once our process is gone, delete works');
  noCgroup(t, c);
});

t.test('cgroups: a controller that is not mounted, and v2 files on a v1 host', async (t) => {
  const box = new Sandbox(t);
  const missing = missingController();
  if (!missing) t.skip('every candidate controller is mounted here (or the host is pure cgroup v2)');
  else {
    const c = id('nocontroller');
    const r = box.run(['create', '--bundle', box.bundle((config) => (config.linux.resources = missing.resources), 'nocontroller'), c]);
    diagnosed(t, r, `create ${c}`, new RegExp(`^linux\\.resources\\.\\S+: this host has no cgroup v1 ${missing.name} hierarchy mounted$`), new RegExp(`no ${missing.name} hierarchy is mounted under /sys/fs/cgroup`), new RegExp(`mount -t cgroup -o ${missing.name}`));
    noCgroup(t, c);
  }
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return t.skip('pure cgroup v2 host: unified files are its own');
  const c = id('unified');
  const r = box.run(['create', '--bundle', box.bundle((config) => (config.linux.resources = { unified: { 'memory.high': '1M' } }), 'unified'), c]);
  t.equal(r.status, 1);
  t.match(r.stderr, /linux\.resources\.unified: this host uses cgroup v1, and unified holds cgroup v2 files\n  hint: use the v1 fields/, r.stderr);
  noCgroup(t, c);
});

t.test('EINVAL: unshare(CLONE_NEWUSER) through the kernel layer, from a Node process (multi-threaded)', async (t) => {
  const lib = path.join(REPO, 'lib');
  // In a process of its own: were the call to work, the test's process would be in a new user namespace.
  const script = `
    const { observe } = require(${JSON.stringify(`${lib}/linux/kernel`)});
    const { LinuxKernel } = require(${JSON.stringify(`${lib}/linux/linux-kernel`)});
    const { CLONE } = require(${JSON.stringify(`${lib}/linux/constants`)});
    const { explain } = require(${JSON.stringify(`${lib}/explain/diagnose`)});
    try {
      observe(new LinuxKernel(), 'runtime', () => {}).unshare(CLONE.NEWUSER);
      console.log(JSON.stringify({ worked: true }));
    } catch (err) {
      console.log(JSON.stringify(explain(err)));
    }`;
  const r = spawnSync('/usr/bin/env', ['-i', `PATH=${process.env.PATH}`, process.execPath, '-e', script], { encoding: 'utf8', timeout: 30_000 });
  t.equal(r.status, 0, r.stderr);
  const explained = JSON.parse(r.stdout);
  t.match(explained.message, /^unshare\(CLONE_NEWUSER\): EINVAL \(Invalid argument\); most likely: this process has \d+ threads, and the kernel refuses unshare\(CLONE_NEWUSER\) in a multi-threaded process/);
  t.match(explained.hint, /single-threaded helper/);
});

t.test('not root at all: refused before any step, with what to do', async (t) => {
  const box = new Sandbox(t);
  fs.mkdirSync(box.root, { recursive: true });
  fs.chownSync(box.root, 65534, 65534);
  const b = box.bundle();
  const r = spawnSync('/usr/bin/env', [...box.envArgs({}), BIN, '--root', box.root, 'create', '--bundle', b, id('nobody')], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 1 || !r.stderr.includes('nk-runtime')) return t.skip(`user 65534 cannot run nk-runtime here: ${r.stderr.split('\n')[0]}`);
  t.match(r.stderr, /^nk-runtime: create \S+: must be run as root\n  hint: .*CAP_SYS_ADMIN.*sudo, or --dry-run .*\n$/);
  t.same(fs.readdirSync(box.root), [], 'nothing made');
});

