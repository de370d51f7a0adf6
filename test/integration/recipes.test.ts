/**
 * The sandbox recipes of examples/, each attacked where it claims to hold: no network, memory,
 * CPU and pids limits, the syscall allow-list, no capabilities, a read-only root with a writable
 * tmpfs, RAM-only storage, the timeout, and nothing left after the run. What each property costs
 * and why it holds: examples/README.md.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import type { Test } from 'tap';
import { REPO, SAMPLE_ROOTFS, Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `recipe-${name}-${process.pid}`;

/** A bundle of recipe `name`, running `script`, its rootfs the sample's by absolute path. */
function recipe(box: Sandbox, name: string, script: string, edit: (c: any) => void = () => undefined, bundle = name): string {
  const dir = path.join(box.dir, bundle);
  fs.mkdirSync(dir, { recursive: true });
  const config = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', name, 'config.json'), 'utf8'));
  config.root.path = SAMPLE_ROOTFS;
  config.process.terminal = false;
  config.process.args = ['sh', '-c', script];
  edit(config);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
  return dir;
}

/** `run --result`: the run's output and the result JSON. */
function runJob(box: Sandbox, bundle: string, name: string, flags: string[] = []) {
  const resultFile = path.join(box.dir, `${name}.result.json`);
  const r = box.run(['run', '--result', resultFile, ...flags, '--bundle', bundle, id(name)], { timeout: 60_000 });
  const result = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : undefined;
  return { ...r, result };
}

/** Nothing of the container is left: no state dir, no cgroup. */
function cleaned(t: Test, box: Sandbox, name: string): void {
  t.notOk(fs.existsSync(path.join(box.root, id(name))), `${name}: no state dir`);
  const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '6', '-type', 'd', '-name', `nk-${id(name)}`], { encoding: 'utf8' }).stdout.trim();
  t.equal(cgroups, '', `${name}: no cgroup`);
}

t.test('every recipe runs as it is, and reports its end as JSON', async (t) => {
  const box = new Sandbox(t);
  for (const name of ['one-command', 'ram-only-job', 'agent-shell', 'job-runner']) {
    const r = runJob(box, recipe(box, name, 'id -u; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "; grep CapEff /proc/self/status'), name);
    t.equal(r.status, 0, `${name}: ${r.stderr}`);
    t.match(r.stdout, /^1000\nlo\nCapEff:\s+0000000000000000\n$/, `${name}: uid 1000, no interface but lo, no capabilities`);
    t.same(Object.keys(r.result ?? {}), ['id', 'exitCode', 'signal', 'timedOut', 'oomKilled', 'wallTimeMs', 'cpuTimeMs', 'peakMemoryBytes']);
    t.match(r.result, { exitCode: 0, signal: null, timedOut: false, oomKilled: false }, `${name}: the result`);
    cleaned(t, box, name);
  }
});

t.test('one-command: the memory limit ends a greedy program, and the result says OOM', async (t) => {
  const box = new Sandbox(t);
  const r = runJob(box, recipe(box, 'one-command', 'exec tail /dev/zero'), 'oom');
  t.match(r.result, { oomKilled: true, signal: 'SIGKILL', exitCode: null }, `killed by the kernel's OOM killer: ${JSON.stringify(r.result)}`);
  t.ok(r.result.peakMemoryBytes > 200 * 1024 * 1024, `its peak was near the 256 MB limit: ${r.result.peakMemoryBytes}`);
  t.ok(r.result.peakMemoryBytes <= 256 * 1024 * 1024, 'and not above it');
  cleaned(t, box, 'oom');
});

t.test('one-command: --timeout sends TERM, then KILL to a program that ignores it; both reported', async (t) => {
  const box = new Sandbox(t);
  // The program is PID 1 of its namespace: the kernel delivers it only the signals it handles.
  const polite = runJob(box, recipe(box, 'one-command', 'trap "exit 143" TERM; sleep 30 & wait', undefined, 'polite'), 'polite', ['--timeout', '500ms']);
  t.equal(polite.status, 124, 'exit status 124, as timeout(1)');
  t.match(polite.result, { timedOut: true, exitCode: 143, signal: null }, 'it ended itself on SIGTERM');
  const stubborn = runJob(box, recipe(box, 'one-command', "trap '' TERM; while :; do sleep 1; done", undefined, 'stubborn'), 'stubborn', ['--timeout', '500ms', '--timeout-grace', '500ms']);
  t.equal(stubborn.status, 124);
  t.match(stubborn.result, { timedOut: true, signal: 'SIGKILL' });
  t.match(stubborn.stderr, /timed out after 500ms: sent SIGTERM, then SIGKILL after 0.5 s/);
  cleaned(t, box, 'polite');
  cleaned(t, box, 'stubborn');
});

t.test('ram-only-job: the allow-list refuses other calls with EPERM; writes stay in RAM; forks are capped', async (t) => {
  const box = new Sandbox(t);
  const marker = `nk-ram-${process.pid}`;
  const script = [
    'nc -w 1 127.0.0.1 1; echo "socket=$?"',
    'hostname other; echo "sethostname=$?"',
    `echo secret > /tmp/${marker}; cat /tmp/${marker}`,
    'echo x > /etc/x; echo "root=$?"',
    'grep " /tmp " /proc/self/mountinfo | cut -d" " -f9',
  ].join('; ');
  const r = runJob(box, recipe(box, 'ram-only-job', script), 'ram');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^socket=1$/m);
  t.match(r.stderr, /socket: Operation not permitted/, 'socket(2) is not on the list: EPERM');
  t.match(r.stdout, /^sethostname=1$/m);
  t.match(r.stdout, /^secret$/m, 'the job can write its scratch files...');
  t.match(r.stdout, /^tmpfs$/m, '...to a tmpfs, in RAM');
  t.match(r.stdout, /^root=1$/m, 'the root is read-only');
  const onDisk = spawnSync('grep', ['-rl', '--', marker, SAMPLE_ROOTFS], { encoding: 'utf8' }).stdout.trim();
  t.equal(onDisk, '', 'what the job wrote is nowhere on the host\'s disk');

  // A subshell forks until it cannot (sh gives up there); then the count, with builtins only:
  // with every pid taken, not even $(...) could fork.
  const forks = runJob(box, recipe(box, 'ram-only-job', '(for i in $(seq 1 60); do sleep 3 & done) 2>/dev/null; c=0; for p in /proc/[0-9]*; do c=$((c+1)); done; echo "started=$c"', undefined, 'forks'), 'forks');
  const started = Number(/started=(\d+)/.exec(forks.stdout)?.[1]);
  t.ok(started > 0 && started <= 32, `pids.max 32: ${started} processes could exist at once`);
  cleaned(t, box, 'ram');
  cleaned(t, box, 'forks');
});

t.test('agent-shell: half a CPU, measured', async (t) => {
  const box = new Sandbox(t);
  const r = runJob(box, recipe(box, 'agent-shell', 'timeout 2 sh -c "while :; do :; done"; true'), 'cpu');
  t.equal(r.status, 0, r.stderr);
  const share = r.result.cpuTimeMs / r.result.wallTimeMs;
  t.ok(share < 0.7, `a busy loop got ${Math.round(share * 100)}% of one CPU (quota 50%): ${r.result.cpuTimeMs} ms in ${r.result.wallTimeMs} ms`);
  t.ok(share > 0.1, 'and it did run');
  cleaned(t, box, 'cpu');
});

t.test('job-runner: the writable area is a tmpfs of 100 MB; the base is read-only', async (t) => {
  const box = new Sandbox(t);
  const script = 'dd if=/dev/zero of=/scratch/big bs=1M count=150 2>&1 | grep -o "No space left on device"; echo "size=$(wc -c < /scratch/big)"; touch /usr/x; echo "base=$?"';
  const r = runJob(box, recipe(box, 'job-runner', script), 'disk');
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /No space left on device/, 'the 150 MB write stops at the size');
  const size = Number(/size=(\d+)/.exec(r.stdout)?.[1]);
  t.ok(size > 90 * 1024 * 1024 && size <= 100 * 1024 * 1024, `at 100 MB: ${size} bytes`);
  t.match(r.stdout, /^base=1$/m);
  t.match(r.stderr, /Read-only file system/);
  cleaned(t, box, 'disk');
});
