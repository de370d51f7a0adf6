/**
 * nk-runtime behind podman (`podman --runtime <nk-runtime>`), with everything of podman's private
 * to this test: --root, --runroot and --tmpdir in a temporary dir, the vfs storage driver (no
 * mounts), cgroupfs, a file for events, no network. The image is a `podman import` of the sample
 * rootfs. podman calls nk-runtime through conmon with the argv shared/CLIENTS.md lists.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { BIN, SAMPLE_ROOTFS, skipReason } from './harness';

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const skip = skipReason() ?? (has('podman') ? undefined : 'podman is not installed (apt-get install podman)');
if (skip) t.plan(0, skip);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-test-podman-'));
const GLOBAL = [
  '--root', path.join(dir, 'root'),
  '--runroot', path.join(dir, 'runroot'),
  '--tmpdir', path.join(dir, 'tmp'),
  '--cgroup-manager', 'cgroupfs',
  '--events-backend', 'file',
  '--storage-driver', 'vfs',
  '--runtime', BIN,
];
// podman's default ulimits exceed this kind of machine's hard limits (shared/CLIENTS.md).
const RUN = ['--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=4096:4096'];
const IMAGE = 'localhost/nk-sample:latest';

function podman(args: string[], timeout = 60_000) {
  const r = spawnSync('podman', [...GLOBAL, ...args], { encoding: 'utf8', timeout });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

/**
 * With cgroupfs, conmon puts itself in <hierarchy>/libpod_parent/conmon, which podman never
 * removes. Those this test caused (absent before it) are removed after it, when empty.
 */
const conmonCgroups = () =>
  spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '3', '-type', 'd', '-path', '*/libpod_parent*'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
const cgroupsBefore = new Set(conmonCgroups());

// Only when the tests run: without the program there is nothing to start (the file is skipped).
if (!skip) t.before(() => {
  const tar = path.join(dir, 'rootfs.tar');
  const packed = spawnSync('tar', ['-C', SAMPLE_ROOTFS, '-cf', tar, '.']);
  if (packed.status !== 0) throw new Error('tar of the sample rootfs failed');
  const imported = podman(['import', tar, IMAGE]);
  if (imported.status !== 0) throw new Error(`podman import: ${imported.stderr}`);
});

if (!skip) t.teardown(() => {
  podman(['rm', '--all', '--force', '--time', '0']);
  podman(['rmi', '--all', '--force']);
  fs.rmSync(dir, { recursive: true, force: true });
  for (const cgroup of conmonCgroups().filter((c) => !cgroupsBefore.has(c)).sort().reverse()) {
    try {
      fs.rmdirSync(cgroup);
    } catch {
      // not empty: in use by something else
    }
  }
});

const name = (what: string) => `nk-${what}-${process.pid}`;

t.test('podman run --rm: output and exit code', async (t) => {
  const r = podman(['run', '--rm', ...RUN, IMAGE, 'sh', '-c', 'echo hello from podman; exit 4']);
  t.equal(r.status, 4, r.stderr);
  t.equal(r.stdout, 'hello from podman\n');
});

t.test('podman run --uidmap: a user namespace, root inside is host uid 100000', async (t) => {
  // The container's root (host uid 100000) must reach its rootfs in podman's storage, under dir.
  fs.chmodSync(dir, 0o711);
  const map = ['--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536'];
  const r = podman(['run', '--rm', ...RUN, ...map, IMAGE, 'sh', '-c', 'cat /proc/self/uid_map; id -u; ls /sys/fs/cgroup/pids >/dev/null && echo cgroups']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.replace(/ +/g, ' '), ' 0 100000 65536\n0\ncgroups\n', 'the map, uid 0, and its cgroups (bound: podman gives no cgroup namespace on v1)');
});

t.test('podman run -d, exec, stop and rm', async (t) => {
  const c = name('detached');
  const r = podman(['run', '-d', '--name', c, ...RUN, IMAGE, 'sleep', '60']);
  t.equal(r.status, 0, r.stderr);
  const exec = podman(['exec', c, 'sh', '-c', 'echo in the container; exit 3']);
  t.equal(exec.status, 3, exec.stderr);
  t.equal(exec.stdout, 'in the container\n');
  const line = ['podman', ...GLOBAL, 'exec', '-t', c, 'sh', '-c', 'tty; exit 7'].map((a) => `'${a}'`).join(' ');
  const tty = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  t.equal(tty.status, 7, `exec -t: ${tty.stderr}`);
  t.match(tty.stdout, /\/dev\/pts\/\d+/, 'exec -t has a terminal');
  // sleep as PID 1 ignores SIGTERM (no handler): podman sends SIGKILL after the timeout.
  const stop = podman(['stop', '--time', '1', c]);
  t.equal(stop.status, 0, stop.stderr);
  t.match(podman(['ps', '--all', '--format', '{{.Names}} {{.Status}}']).stdout, new RegExp(`${c} Exited`));
  t.equal(podman(['rm', c]).status, 0);
});

t.test('podman run -t and exec -t: a terminal through the console socket', async (t) => {
  const line = ['podman', ...GLOBAL, 'run', '--rm', '-t', ...RUN, IMAGE, 'sh', '-c', 'tty; exit 6'].map((a) => `'${a}'`).join(' ');
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  t.equal(r.status, 6, r.stderr);
  t.match(r.stdout, /\/dev\/pts\/0/);
});
