/**
 * Reliability: crashes at every step, concurrency, a soak, and faults of the machine. Whatever
 * happens, `state` answers sensibly, the state store stays readable, and `delete --force` removes
 * everything (processes, cgroups, mounts, the state dir).
 *
 * Crashes use a test-only switch of src/log.ts: NK_CRASH_AT="<mark>" makes a process SIGKILL
 * itself at that time mark (the marks NK_TIMING prints), in the runtime or in the init.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import t from 'tap';
import type { Test } from 'tap';
import { BIN, Sandbox, machineSnapshot, missingController, skipReason, type Result } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);
const SOAK = Number(process.env.NK_TEST_SOAK ?? 100);
// Longer than the other files (package.json's tap timeout is 120 s): the soak and the 50 at once.
// A longer soak (make soak: 1,000) gets up to 2 s more per lifecycle, on a slow machine.
t.setTimeout(900_000 + Math.max(0, SOAK - 100) * 2_000);

const tag = `-${process.pid}`;
const id = (name: string) => `rel-${name}${tag}`;

/** The marks of create and start, in order (src/runtime/create.ts, start.ts, src/init/main.ts). */
const CREATE_MARKS = [
  'create: bundle read and checked',
  'create: init spawned',
  'create: config and state written',
  'create: cgroup made, limits written',
  'create: init booted',
  'create: bootstrap sent',
  'create: init ready',
  'create: done',
];
const INIT_MARKS = ['init: modules loaded', 'init: libc bound', 'init: bootstrap received', 'init: ready'];
const START_MARKS = ['start: state read', 'start: exec.fifo opened', 'start: end of exec.fifo (execve done)', 'init: exec.fifo opened by start', 'init: execve'];

/** No trace of container `c` on the machine: no state dir, no cgroup, no init process. */
function gone(t: Test, box: Sandbox, c: string, initPid?: number): void {
  t.notOk(fs.existsSync(path.join(box.root, c)), `${c}: no state dir`);
  const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '6', '-type', 'd', '-name', `nk-${c}`], { encoding: 'utf8' }).stdout.trim();
  t.equal(cgroups, '', `${c}: no cgroup`);
  if (initPid) t.notOk(fs.existsSync(`/proc/${initPid}`) && !/\) [ZX] /.test(fs.readFileSync(`/proc/${initPid}/stat`, 'utf8')), `${c}: its init ${initPid} is gone`);
}

function savedPid(box: Sandbox, c: string): number | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(box.root, c, 'state.json'), 'utf8')).pid;
  } catch {
    return undefined;
  }
}

t.test('create killed at each of its steps: state answers, delete --force removes everything', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('sleep 30');
  for (const [i, mark] of CREATE_MARKS.entries()) {
    const c = id(`create${i}`);
    const r = box.run(['create', '--bundle', bundle, c], { env: { NK_CRASH_AT: mark } });
    t.equal(r.status, null, `${mark}: create died there (killed)`);
    const pid = savedPid(box, c);
    const state = box.run(['state', c]);
    if (i === 0) {
      // Before the state dir is claimed: there is no container at all.
      t.match(state.stderr, `container ${c} does not exist`, `${mark}: nothing was made`);
    } else {
      t.equal(state.status, 0, `${mark}: state answers: ${state.stderr}`);
      t.match(state.status === 0 ? JSON.parse(state.stdout).status : '', /^(creating|created|stopped)$/, `${mark}: ${state.stdout.match(/"status": "(\w+)"/)?.[1]}`);
    }
    const del = box.run(['delete', '--force', c]);
    t.equal(del.status, 0, `${mark}: delete --force: ${del.stderr}`);
    gone(t, box, c, pid);
  }
});

t.test('the init killed at each of its steps during create: create fails clearly, nothing is left', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('sleep 30');
  for (const [i, mark] of INIT_MARKS.entries()) {
    const c = id(`init${i}`);
    const r = box.run(['create', '--bundle', bundle, c], { env: { NK_CRASH_AT: mark } });
    if (mark === 'init: ready') {
      // It said ready, then died: create succeeded, and the container is simply stopped.
      t.equal(r.status, 0, `${mark}: ${r.stderr}`);
      t.equal(box.state(c).status, 'stopped', `${mark}: the dead init shows as stopped`);
      t.equal(box.run(['delete', c]).status, 0);
    } else {
      t.equal(r.status, 1, `${mark}: create fails`);
      t.match(r.stderr, /the container's init exited before it was ready \((exit code 137|killed by SIGKILL)\)/, `${mark}: and says why`);
    }
    gone(t, box, c);
  }
});

t.test('start killed at each of its steps (and the init in its last steps): state answers, delete --force cleans', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('sleep 30');
  for (const [i, mark] of START_MARKS.entries()) {
    const c = id(`start${i}`);
    t.equal(box.run(['create', '--bundle', bundle, c]).status, 0);
    const pid = savedPid(box, c);
    box.run(['start', c], { env: { NK_CRASH_AT: mark } });
    const state = box.run(['state', c]);
    t.equal(state.status, 0, `${mark}: state answers`);
    t.match(JSON.parse(state.stdout).status, /^(created|running|stopped)$/, `${mark}: ${JSON.parse(state.stdout).status}`);
    const del = box.run(['delete', '--force', c]);
    t.equal(del.status, 0, `${mark}: delete --force: ${del.stderr}`);
    gone(t, box, c, pid);
  }
});

/**
 * Run CLI commands in parallel (each its own process); resolves with each result. Output goes to
 * files, not pipes: a container's init inherits create's stdout and stderr, so a pipe would not
 * close while it lives.
 */
function parallel(box: Sandbox, commands: string[][], env: Record<string, string> = {}): Promise<Result[]> {
  return Promise.all(
    commands.map(
      (args, i) =>
        new Promise<Result>((resolve) => {
          const out = path.join(box.dir, `par-${process.hrtime.bigint()}-${i}`);
          const stdout = fs.openSync(out, 'w');
          const stderr = fs.openSync(`${out}.err`, 'w');
          const child = spawn('/usr/bin/env', [...box.envArgs(env), BIN, '--root', box.root, ...args], { stdio: ['ignore', stdout, stderr] });
          fs.closeSync(stdout);
          fs.closeSync(stderr);
          child.on('exit', (status) => {
            resolve({ status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(`${out}.err`, 'utf8') });
            fs.rmSync(out, { force: true });
            fs.rmSync(`${out}.err`, { force: true });
          });
        }),
    ),
  );
}

t.test('the init killed before start, the program exiting while an exec joins: clear answers, nothing left', async (t) => {
  const box = new Sandbox(t);
  const c = id('initkilled');
  t.equal(box.run(['create', '--bundle', box.shell('sleep 30'), c]).status, 0);
  const pid = savedPid(box, c)!;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 100 && box.state(c).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  t.equal(box.state(c).status, 'stopped', 'a killed init reads as stopped');
  const start = box.run(['start', c]);
  t.equal(start.status, 1);
  t.match(start.stderr, `cannot start container ${c}: it is stopped`);
  t.equal(box.run(['delete', c]).status, 0, 'and it can be deleted');
  gone(t, box, c, pid);

  // A program that exits while exec helpers are joining it: each exec works or fails in one line.
  const short = id('short');
  t.equal(box.run(['run', '--detach', '--bundle', box.shell('sleep 0.3', undefined, 'short'), short]).status, 0);
  const execs = await parallel(box, Array.from({ length: 6 }, () => ['exec', short, 'sleep', '1']));
  for (const r of execs) {
    if (r.status === 0) continue;
    t.notMatch(r.stderr, /internal error|\n\s+at /, `exec during the exit: ${r.stderr.trim().slice(0, 200)}`);
  }
  for (let i = 0; i < 100 && box.state(short).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 50));
  t.equal(box.run(['delete', '--force', short]).status, 0);
  gone(t, box, short);
});

t.test('the init dies after start has looked but before it opened exec.fifo: start says so and exits', async (t) => {
  // The window is a few milliseconds in real life (a SIGKILLed init still exiting when start reads
  // its status); here a process of ours stands in for the init, recorded in state.json, that never
  // opens exec.fifo and is killed while start waits. start must not wait for ever.
  const box = new Sandbox(t);
  const c = id('initvanishes');
  t.equal(box.run(['create', '--bundle', box.shell('sleep 30'), c]).status, 0);
  const realInit = savedPid(box, c)!;
  process.kill(realInit, 'SIGKILL');
  for (let i = 0; i < 100 && box.state(c).status !== 'stopped'; i++) await new Promise((r) => setTimeout(r, 20));
  const standIn = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.teardown(() => standIn.kill('SIGKILL'));
  const stateFile = path.join(box.root, c, 'state.json');
  const saved = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  const stat = fs.readFileSync(`/proc/${standIn.pid}/stat`, 'utf8');
  saved.pid = standIn.pid;
  saved.pidStartTime = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  fs.writeFileSync(stateFile, JSON.stringify(saved));
  t.equal(box.state(c).status, 'created', 'the stand-in reads as a waiting init');
  const started = parallel(box, [['start', c]]);
  await new Promise((r) => setTimeout(r, 300));
  standIn.kill('SIGKILL');
  const timer = setTimeout(() => t.fail('start still waits 10 s after the init died'), 10_000);
  const [start] = await started;
  clearTimeout(timer);
  t.equal(start.status, 1, 'start fails');
  t.match(start.stderr, `cannot start container ${c}: its init has exited`);
  t.equal(box.run(['delete', '--force', c]).status, 0);
  gone(t, box, c, realInit);
});

const CONCURRENT = Number(process.env.NK_TEST_CONCURRENT ?? 50);

t.test(`${CONCURRENT} creates in parallel, then starts, kills and deletes in parallel: all succeed, list is exact`, async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('sleep 60');
  const ids = Array.from({ length: CONCURRENT }, (_, i) => id(`many${i}`));
  const list = () => JSON.parse(box.run(['list', '--format', 'json']).stdout) as { id: string; status: string }[];
  const expectAll = (results: Result[], what: string) => {
    const failed = results.filter((r) => r.status !== 0);
    t.equal(failed.length, 0, `${what}: all succeed ${failed.map((r) => r.stderr).join(' | ').slice(0, 500)}`);
  };
  expectAll(await parallel(box, ids.map((c) => ['create', '--bundle', bundle, c])), 'create');
  t.same(list().map((c) => `${c.id} ${c.status}`).sort(), ids.map((c) => `${c} created`).sort(), 'list: every one, created');
  expectAll(await parallel(box, ids.map((c) => ['start', c])), 'start');
  t.same(list().map((c) => c.status), ids.map(() => 'running'), 'list: every one running');
  expectAll(await parallel(box, ids.map((c) => ['kill', c, 'KILL'])), 'kill');
  for (let i = 0; i < 200 && list().some((c) => c.status !== 'stopped'); i++) await new Promise((r) => setTimeout(r, 50));
  t.same(list().map((c) => c.status), ids.map(() => 'stopped'), 'list: every one stopped');
  expectAll(await parallel(box, ids.map((c) => ['delete', c])), 'delete');
  t.same(list(), [], 'list: empty');
  for (const c of ids) gone(t, box, c);
});

t.test('10 creates of one ID in parallel: exactly one succeeds, the others say it exists', async (t) => {
  const box = new Sandbox(t);
  const c = id('one');
  const results = await parallel(box, Array.from({ length: 10 }, () => ['create', '--bundle', box.shell('sleep 60'), c]));
  t.equal(results.filter((r) => r.status === 0).length, 1, 'one winner');
  for (const r of results.filter((r) => r.status !== 0)) t.match(r.stderr, `container ${c} already exists`);
  t.equal(box.state(c).status, 'created', 'the winner\'s container is intact');
  t.equal(box.run(['delete', '--force', c]).status, 0);
  gone(t, box, c);
});

t.test('start, kill, delete --force and state racing on one container: state.json always whole, the end true', async (t) => {
  const box = new Sandbox(t);
  for (let round = 0; round < 5; round++) {
    const c = id(`race${round}`);
    t.equal(box.run(['create', '--bundle', box.shell('sleep 60'), c]).status, 0);
    const stateFile = path.join(box.root, c, 'state.json');
    let torn = 0;
    let reading = true;
    const reader = (async () => {
      while (reading) {
        try {
          JSON.parse(fs.readFileSync(stateFile, 'utf8'));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') torn++;
        }
        await new Promise((r) => setImmediate(r));
      }
    })();
    const results = await parallel(box, [['start', c], ['kill', c, 'KILL'], ['delete', '--force', c], ['state', c], ['state', c]]);
    reading = false;
    await reader;
    t.equal(torn, 0, `round ${round}: state.json was never seen half-written`);
    const force = results[2];
    t.equal(force.status, 0, `round ${round}: delete --force wins in the end: ${force.stderr}`);
    for (const r of results) t.notMatch(r.stderr, /internal error|\n\s+at /, `round ${round}: no crash: ${r.stderr.slice(0, 200)}`);
    gone(t, box, c);
  }
});

t.test(`soak: ${SOAK} lifecycles in a row, then ${Math.round(SOAK / 5)} with exec: nothing grows`, async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('true');
  const count = () => {
    const m = machineSnapshot();
    return { mounts: m.mounts.length, cgroups: m.cgroups.filter((c) => c.includes(tag)).length, states: fs.existsSync(box.root) ? fs.readdirSync(box.root).length : 0, zombies: zombiesOfOurs() };
  };
  const before = count();
  const times: number[] = [];
  for (let i = 0; i < SOAK; i++) {
    const c = id(`soak${i}`);
    const t0 = Date.now();
    const r = box.run(['run', '--bundle', bundle, c]);
    times.push(Date.now() - t0);
    if (r.status !== 0) {
      t.fail(`lifecycle ${i}: ${r.stderr}`);
      break;
    }
  }
  const withExec = box.shell('sleep 600', undefined, 'long');
  const long = id('soak-exec');
  t.equal(box.run(['run', '--detach', '--bundle', withExec, long]).status, 0);
  for (let i = 0; i < Math.round(SOAK / 5); i++) {
    const r = box.run(['exec', long, 'true']);
    if (r.status !== 0) {
      t.fail(`exec ${i}: ${r.stderr}`);
      break;
    }
  }
  t.equal(zombiesOfOurs(), before.zombies, `after ${Math.round(SOAK / 5)} execs, no zombie in the container or below this test`);
  t.equal(box.run(['delete', '--force', long]).status, 0);
  const after = count();
  t.same(after, before, 'mounts, cgroups, state dirs, zombies below this test: as before');
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const tenth = Math.max(1, Math.floor(SOAK / 10));
  t.comment(`run, median ms: first ${tenth}: ${median(times.slice(0, tenth))}, last ${tenth}: ${median(times.slice(-tenth))} (not asserted)`);
});

/** /proc/PID/stat: "pid (comm) state ppid ...", comm may hold spaces and parentheses. */
function statOf(pid: number): { state: string; ppid: number } | undefined {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
    return { state: fields[0], ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

/**
 * Zombies (processes ended and never waited for) whose parent is ours: this test process or one
 * below it, or a process in one of this file's cgroups (a container's init, an exec helper).
 * Other programs on the machine make and reap theirs meanwhile; they are not counted.
 */
function zombiesOfOurs(): number {
  const inOurCgroup = (pid: number) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8').includes(tag);
    } catch {
      return false;
    }
  };
  const parentIsOurs = (pid: number): boolean => {
    const parent = statOf(pid)?.ppid;
    if (parent && inOurCgroup(parent)) return true;
    for (let p = parent, hops = 0; p && p > 1 && hops < 64; p = statOf(p)?.ppid, hops++) {
      if (p === process.pid) return true;
    }
    return false;
  };
  return fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map(Number)
    .filter((pid) => statOf(pid)?.state === 'Z' && parentIsOurs(pid)).length;
}

/** A tmpfs of our own, for the state root: read-only or tiny. Unmounted at teardown. */
function tmpfs(t: Test, options: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-test-tmpfs-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'nk-test', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mount tmpfs: ${r.stderr}`);
  t.teardown(() => {
    spawnSync('umount', [dir]);
    fs.rmdirSync(dir);
  });
  return dir;
}

t.test('the state root on a read-only or a full filesystem: a clear error, nothing half made', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('true');
  const readOnly = tmpfs(t, 'ro,size=64k');
  let r = spawnSync('/usr/bin/env', [...box.envArgs({}), BIN, '--root', path.join(readOnly, 'state'), 'create', '--bundle', bundle, id('ro')], { encoding: 'utf8' });
  t.equal(r.status, 1);
  t.match(r.stderr, /^nk-runtime: create .*: cannot use state root .*: EROFS \(Read-only file system\)$/m, 'says the root cannot be written, and why');
  t.same(fs.readdirSync(readOnly), [], 'nothing made there');

  const full = tmpfs(t, 'size=64k');
  const root = path.join(full, 'state');
  fs.mkdirSync(root);
  // Fill it: the state dir can be made (a directory costs no data block on tmpfs), the writes cannot.
  try {
    fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(1024 * 1024));
  } catch {
    // ENOSPC: full, as wanted
  }
  r = spawnSync('/usr/bin/env', [...box.envArgs({}), BIN, '--root', root, 'create', '--bundle', bundle, id('full')], { encoding: 'utf8' });
  t.equal(r.status, 1, 'create fails');
  t.match(r.stderr, /ENOSPC|no space/i, `says there is no space: ${r.stderr}`);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.same(fs.readdirSync(root), [], 'no state dir left');
  const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '6', '-type', 'd', '-name', `nk-${id('full')}`], { encoding: 'utf8' }).stdout.trim();
  t.equal(cgroups, '', 'no cgroup left');
});

t.test('a controller the config needs is not mounted: a clear error, nothing half made', async (t) => {
  const missing = missingController();
  if (!missing) return t.skip('every candidate controller is mounted here (or the host is pure cgroup v2)');
  const box = new Sandbox(t);
  const c = id('nocontroller');
  const r = box.run(['run', '--bundle', box.shell('true', (config) => (config.linux.resources = missing.resources)), c]);
  t.equal(r.status, 1);
  t.match(r.stderr, new RegExp(`^nk-runtime: run ${c}: linux\\.resources\\.\\S+: this host has no cgroup v1 ${missing.name} hierarchy mounted`, 'm'), `says which: ${r.stderr.trim()}`);
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.same(JSON.parse(box.run(['list', '--format', 'json']).stdout), [], 'no container left');
  gone(t, box, c);
});
