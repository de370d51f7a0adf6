/**
 * --dry-run as an unprivileged user (uid and gid 65534, nobody): the real CLI narrates create and
 * run up to execve, exits 0, and the machine is as it was: no --root dir, no cgroup, no mount, no
 * process. A config error reads exactly as a real create's (as root) does.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, CLEAN_ENV, REPO, SAMPLE_CONFIG, copyRootfs, machineSnapshot, processesUsing, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const NOBODY = 65534;
const tag = `-${process.pid}`;

// A private copy of the rootfs: a mount made on it would be this test's alone. The directory is
// nobody's, so that a dry run that did write would succeed in writing, and be seen.
const work = skip ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'nk-dry-'));
const rootfs = skip ? '' : copyRootfs(work);
t.teardown(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});
if (!skip) fs.chownSync(work, NOBODY, NOBODY);

function bundle(name: string, change: (spec: any) => void = () => undefined): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const spec = JSON.parse(fs.readFileSync(SAMPLE_CONFIG, 'utf8'));
  spec.root.path = rootfs;
  change(spec);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(spec));
  fs.chmodSync(dir, 0o755);
  fs.chmodSync(path.join(dir, 'config.json'), 0o644);
  return dir;
}

/** `nk-runtime --root <root> ...args`, as `uid` (through env -i, as harness.ts does, so tap's hook stays out). */
function cli(args: string[], uid = NOBODY) {
  const env = ['-i', ...Object.entries(CLEAN_ENV).map(([k, v]) => `${k}=${v}`)];
  const r = spawnSync('/usr/bin/env', [...env, BIN, ...args], { cwd: REPO, uid, gid: uid, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What of ours the machine holds: cgroups named for `id`, mounts on our rootfs copy, processes using our dir. */
function ours(id: string) {
  const { mounts, cgroups } = machineSnapshot();
  return { mounts: mounts.filter((m) => m.includes(work)), cgroups: cgroups.filter((c) => path.basename(c) === `nk-${id}`), processes: processesUsing(work) };
}

for (const command of ['create', 'run']) {
  t.test(`${command} --dry-run as nobody: exit 0, the init's steps to execve, the machine unchanged`, async (t) => {
    const id = `dry-${command}${tag}`;
    const root = path.join(work, `state-${command}`);
    const dir = bundle(`bundle-${command}`);
    const before = ours(id);
    const r = cli(['--root', root, command, '--dry-run', '--bundle', dir, id]);
    t.equal(r.status, 0, `exit 0 (stderr: ${r.stderr.slice(-400)})`);
    t.equal(r.stdout, '', 'the narration is on stderr');
    t.match(r.stderr, new RegExp(`nk-runtime ${command} ${id} --dry-run: nothing is changed; these are the calls it would make`));
    t.match(r.stderr, /runtime pid \d+\s+unshare\(CLONE_NEWPID\); posix_spawn\(/);
    t.match(r.stderr, /init {4}pid 1 {6}pivot_root\("\.", "\."\) = 0/);
    t.match(r.stderr, /init {4}pid 1 {6}execve\("\/bin\/nk-hello", \["nk-hello"\]/);
    t.ok(r.stderr.indexOf('pivot_root(') < r.stderr.indexOf('execve('), 'pivot_root, then execve');
    t.notOk(fs.existsSync(root), 'no --root dir made');
    t.same(ours(id), before, 'no cgroup, mount or process of ours');
    const made = [...r.stderr.matchAll(/mkdir -p "(\/sys\/fs\/cgroup\/[^"]+)"/g)].map((m) => m[1]);
    t.ok(made.length > 0, 'the cgroup dirs it would make are named');
    for (const d of made) t.notOk(fs.existsSync(d), `not made: ${d}`);
    t.notOk(fs.existsSync(path.join(rootfs, 'dev', 'null')), 'no device node in the rootfs');
  });
}

/** The narrated calls, one per line: role and call, numbers (pids, fds, modes) and `root` made N and ROOT. */
function calls(narration: string, root: string): string[] {
  return [...narration.matchAll(/^ \[\d+\] (\w+)\s+pid \S+\s+(.*?) = /gm)].map((m) => `${m[1]} ${m[2].split(root).join('ROOT').replace(/\d+/g, 'N')}`);
}

t.test('the dry run\'s calls are a real create\'s and start\'s, in the same order', async (t) => {
  const id = `dry-same${tag}`;
  const dir = bundle('bundle-same');
  const realRoot = path.join(work, 'state-real');
  const dryRoot = path.join(work, 'state-dry');
  const created = cli(['--root', realRoot, '-E', 'create', '--bundle', dir, id], 0);
  const started = cli(['--root', realRoot, '-E', 'start', id], 0);
  cli(['--root', realRoot, 'delete', '--force', id], 0);
  t.equal(created.status, 0, created.stderr.slice(-300));
  t.equal(started.status, 0, started.stderr.slice(-300));
  const dry = cli(['--root', dryRoot, 'create', '--dry-run', '--bundle', dir, id]);
  t.equal(dry.status, 0);
  const real = calls(created.stderr + started.stderr, realRoot);
  t.ok(real.length > 100, `a real create and start make ${real.length} calls`);
  t.same(calls(dry.stderr, dryRoot), real);
});

t.test('a config error under --dry-run as nobody reads exactly as a real create\'s as root', async (t) => {
  const id = `dry-bad${tag}`;
  const dir = bundle('bundle-bad', (spec) => (spec.process.args = []));
  const root = path.join(work, 'state-bad');
  const dry = cli(['--root', root, 'create', '--dry-run', '--bundle', dir, id]);
  const real = cli(['--root', root, 'create', '--bundle', dir, id], 0);
  t.equal(real.status, 1);
  t.equal(dry.status, 1);
  t.equal(dry.stderr, real.stderr, `the same words: ${real.stderr.trim()}`);
  t.notOk(fs.existsSync(path.join(root, id)));
});

t.test('exec --dry-run of a container that does not exist: a clear error', async (t) => {
  const r = cli(['--root', path.join(work, 'state-none'), 'exec', '--dry-run', `none${tag}`, 'ls']);
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`^nk-runtime: exec none${tag}: container none${tag} does not exist\n`));
});
