/**
 * nk-runtime behind containerd, as people plug it in: containerd from Debian's package, started
 * here on a private socket, root and state dir (the CRI plugin off), an image imported from an
 * OCI-layout tar of the sample rootfs (no network), and `ctr run --runtime io.containerd.runc.v2
 * --runc-binary <nk-runtime>`: containerd's runc shim then calls nk-runtime exactly as it calls
 * runc (shared/CLIENTS.md). Everything runs in a containerd namespace of its own, and everything
 * is removed at the end, containerd stopped by its pid.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import t from 'tap';
import { BIN, REPO, SAMPLE_ROOTFS, skipReason } from './harness';

const has = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const skip = skipReason() ?? (has('containerd') && has('ctr') && has('containerd-shim-runc-v2') ? undefined : 'containerd is not installed (apt-get install containerd)');
if (skip) t.plan(0, skip);

const IMAGE = 'docker.io/library/nk-sample:latest';

/** Where the runc shim keeps fifos, sockets and state, whatever containerd's config says (deepest first). */
const SHIM_DIRS = ['/run/containerd/runc', '/run/containerd/fifo', '/run/containerd/s', '/run/containerd'];

/** A private containerd, for this file's tests. */
class Containerd {
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-test-containerd-'));
  readonly socket = path.join(this.dir, 'containerd.sock');
  readonly namespace = `nk-test-${process.pid}`;
  private daemon?: ChildProcess;
  /** The shim's fixed directories under /run/containerd that were there before we started. */
  private readonly shimDirsBefore = SHIM_DIRS.filter((d) => fs.existsSync(d));

  async start(): Promise<void> {
    const config = path.join(this.dir, 'config.toml');
    fs.writeFileSync(
      config,
      [
        'version = 2',
        `root = "${this.dir}/root"`,
        `state = "${this.dir}/state"`,
        'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
        '[grpc]',
        `  address = "${this.socket}"`,
        '[ttrpc]',
        `  address = "${this.socket}.ttrpc"`,
        '[debug]',
        `  address = "${this.dir}/debug.sock"`,
        '',
      ].join('\n'),
    );
    const log = fs.openSync(path.join(this.dir, 'containerd.log'), 'w');
    this.daemon = spawn('containerd', ['--config', config], { stdio: ['ignore', log, log] });
    fs.closeSync(log);
    for (let waited = 0; waited < 15_000; waited += 100) {
      if (this.ctr(['version']).status === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`containerd did not start: ${fs.readFileSync(path.join(this.dir, 'containerd.log'), 'utf8').slice(-2000)}`);
  }

  ctr(args: string[], timeout = 60_000) {
    const r = spawnSync('ctr', ['-a', this.socket, '-n', this.namespace, ...args], { encoding: 'utf8', timeout });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  }

  /** `ctr run` with nk-runtime as the runc binary. */
  run(flags: string[], id: string, command: string[], timeout?: number) {
    return this.ctr(['run', ...flags, '--runtime', 'io.containerd.runc.v2', '--runc-binary', BIN, IMAGE, id, ...command], timeout);
  }

  /** Remove every container of our namespace, then stop containerd and remove its files. */
  async stop(): Promise<void> {
    if (this.daemon?.exitCode === null) {
      for (const line of this.ctr(['tasks', 'ls', '-q']).stdout.split('\n').filter(Boolean)) {
        this.ctr(['tasks', 'kill', '-s', 'SIGKILL', line]);
        this.ctr(['tasks', 'rm', '-f', line]);
      }
      for (const line of this.ctr(['containers', 'ls', '-q']).stdout.split('\n').filter(Boolean)) this.ctr(['containers', 'rm', line]);
      this.ctr(['images', 'rm', IMAGE]);
      this.ctr(['namespaces', 'rm', this.namespace]);
      const exited = new Promise((resolve) => this.daemon!.once('exit', resolve));
      this.daemon.kill('SIGTERM');
      await exited;
    }
    // containerd leaves its snapshot mounts (overlay or bind) under its root when killed midway.
    spawnSync('sh', ['-c', `grep -o " ${this.dir}/[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l`]);
    fs.rmSync(this.dir, { recursive: true, force: true });
    // The runc shim keeps the runtime's state under /run/containerd/runc/<namespace>, and no one
    // removes the (then empty) directory: ours goes.
    // Then the shim's own directories, if our run made them and they are empty.
    for (const dir of [`/run/containerd/runc/${this.namespace}`, ...SHIM_DIRS.filter((d) => !this.shimDirsBefore.includes(d))]) {
      try {
        fs.rmdirSync(dir);
      } catch {
        // not there, or not empty: someone else's
      }
    }
    this.removeNamespaceCgroups();
  }

  /**
   * The shim asks for cgroupsPath /<namespace>/<id>: nk-runtime makes the parent for the first
   * container and, as runc, never removes a parent another container may share. Ours is named
   * after this test's own namespace; once containerd is gone its (empty) directories go too.
   */
  private removeNamespaceCgroups(): void {
    const remove = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) remove(path.join(dir, entry.name));
      fs.rmdirSync(dir);
    };
    for (const hierarchy of fs.readdirSync('/sys/fs/cgroup')) {
      const dir = path.join('/sys/fs/cgroup', hierarchy, this.namespace);
      try {
        if (fs.existsSync(dir)) remove(dir);
      } catch {
        // a process still in it: left for the leak check to report
      }
    }
  }
}

const containerd = new Containerd();
// Only when the tests run: without the program there is nothing to start (the file is skipped).
if (!skip) t.before(async () => {
  await containerd.start();
  const tar = path.join(containerd.dir, 'image.tar');
  const made = spawnSync(path.join(REPO, 'scripts', 'oci-image.sh'), [SAMPLE_ROOTFS, tar, IMAGE], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`oci-image.sh: ${made.stderr}`);
  const imported = containerd.ctr(['images', 'import', tar]);
  if (imported.status !== 0) throw new Error(`ctr images import: ${imported.stderr}`);
});
if (!skip) t.teardown(() => containerd.stop());

const id = (name: string) => `${name}-${process.pid}`;

t.test('ctr run --rm: the output and the exit code come back through containerd', async (t) => {
  const r = containerd.run(['--rm'], id('run'), ['sh', '-c', 'echo hello from nk-runtime; exit 3']);
  t.equal(r.status, 3, r.stderr);
  t.equal(r.stdout, 'hello from nk-runtime\n');
});

t.test('ctr run --uidmap: a user namespace, root inside is host uid 100000', async (t) => {
  // The container's root (host uid 100000) must reach the snapshot under containerd's root.
  fs.chmodSync(containerd.dir, 0o711);
  const map = ['--uidmap', '0:100000:65536', '--gidmap', '0:100000:65536'];
  const r = containerd.run(['--rm', ...map], id('userns'), ['sh', '-c', 'cat /proc/self/uid_map; id -u']);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout.replace(/ +/g, ' ').replace(/\r/g, ''), ' 0 100000 65536\n0\n');
});

t.test('ctr run -d, then task exec, task ps, task kill and rm', async (t) => {
  const c = id('detached');
  const r = containerd.run(['-d'], c, ['sleep', '60']);
  t.equal(r.status, 0, r.stderr);
  const exec = containerd.ctr(['tasks', 'exec', '--exec-id', 'e1', c, 'sh', '-c', 'echo in the container; hostname; exit 4']);
  t.equal(exec.status, 4, exec.stderr);
  t.match(exec.stdout, 'in the container');
  // task exec -t: the exec's terminal goes through a console socket too; script(1) gives ctr one.
  const line = `ctr -a ${containerd.socket} -n ${containerd.namespace} tasks exec -t --exec-id e2 ${c} sh -c 'tty; exit 5'`;
  const tty = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  t.equal(tty.status, 5, `task exec -t: ${tty.stderr}`);
  t.match(tty.stdout, /\/dev\/pts\/\d+/, 'task exec -t has a terminal');
  const ps = containerd.ctr(['tasks', 'ps', c]);
  t.equal(ps.status, 0, ps.stderr);
  t.match(ps.stdout, /^PID\s+INFO\n\d+/, 'task ps lists the container\'s processes (nk-runtime ps --format json)');
  t.equal(containerd.ctr(['tasks', 'kill', '-s', 'SIGKILL', c]).status, 0);
  for (let i = 0; i < 100 && !/STOPPED/.test(containerd.ctr(['tasks', 'ls']).stdout); i++) await new Promise((r) => setTimeout(r, 100));
  t.match(containerd.ctr(['tasks', 'ls']).stdout, new RegExp(`${c}\\s+\\d+\\s+STOPPED`));
  t.equal(containerd.ctr(['tasks', 'rm', c]).status, 0);
  t.equal(containerd.ctr(['containers', 'rm', c]).status, 0);
});

t.test('ctr run -t: the program gets a terminal through the console socket', async (t) => {
  // script(1) gives ctr a terminal of its own, as a person at a terminal would have.
  const line = `ctr -a ${containerd.socket} -n ${containerd.namespace} run -t --rm --runtime io.containerd.runc.v2 --runc-binary ${BIN} ${IMAGE} ${id('tty')} sh -c 'tty; exit 6'`;
  const r = spawnSync('script', ['-qec', line, '/dev/null'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  t.equal(r.status, 6, r.stderr);
  t.match(r.stdout, /\/dev\/pts\/\d+/, 'tty names the terminal');
});

t.test('a failing create: ctr shows nk-runtime\'s own message', async (t) => {
  const r = containerd.run(['--rm'], id('missing'), ['/no/such/program']);
  t.not(r.status, 0);
  t.match(r.stderr, /OCI runtime create failed: create .*: process\.args\[0\]: "\/no\/such\/program" not found in the rootfs/);
  t.equal(containerd.ctr(['containers', 'ls', '-q']).stdout.trim(), '', 'nothing left in containerd');
});
