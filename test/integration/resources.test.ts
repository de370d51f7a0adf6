/**
 * Resource controls through the real CLI on this machine's cgroup v1 controllers: update of a
 * running container's limits, events --stats, cpuset, run --timeout.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox, skipReason } from './harness';

const skip = skipReason() ?? (fs.existsSync('/sys/fs/cgroup/pids/cgroup.procs') ? undefined : 'needs cgroup v1 (pids hierarchy at /sys/fs/cgroup/pids)');
if (skip) t.plan(0, skip);

const id = (name: string) => `${name}-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The container's cgroup directory for `controller`, from its state.json. */
function cgroupDir(box: Sandbox, c: string, controller: string): string {
  const state = JSON.parse(fs.readFileSync(path.join(box.root, c, 'state.json'), 'utf8'));
  return state.cgroup.dirs[controller];
}

async function waitForFile(file: string, ms = 10_000): Promise<string> {
  for (let waited = 0; waited < ms; waited += 20) {
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8');
    await sleep(20);
  }
  throw new Error(`${file} did not appear within ${ms} ms`);
}

t.test('update --pids-limit on a running container: forks beyond it fail inside', async (t) => {
  const box = new Sandbox(t);
  const c = id('updpids');
  // Waits for /dev/shm/go, then a subshell starts sleeps until a fork fails (which ends the
  // subshell); the shell itself forks no more.
  const script = 'while [ ! -e /dev/shm/go ]; do sleep 0.05; done; ' +
    '(for i in 1 2 3 4 5 6 7 8; do sleep 30 & done) 2>/dev/shm/err; echo > /dev/shm/done; exec sleep 60';
  const bundle = box.shell(script, (config) => {
    config.linux.resources = { pids: { limit: 50 } };
  });
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  const dir = cgroupDir(box, c, 'pids');
  t.equal(fs.readFileSync(path.join(dir, 'pids.max'), 'utf8').trim(), '50', 'the limit of config.json');

  const r = box.run(['update', '--pids-limit', '4', c]);
  t.equal(r.status, 0, `update: ${r.stderr}`);
  t.equal(fs.readFileSync(path.join(dir, 'pids.max'), 'utf8').trim(), '4', 'pids.max now 4');

  const pid = box.state(c).pid;
  fs.writeFileSync(`/proc/${pid}/root/dev/shm/go`, '');
  await waitForFile(`/proc/${pid}/root/dev/shm/done`);
  const err = fs.readFileSync(`/proc/${pid}/root/dev/shm/err`, 'utf8');
  t.match(err, /fork|Resource temporarily unavailable/i, `a fork beyond the new limit failed: ${err.trim()}`);
  const pids = Number(fs.readFileSync(path.join(dir, 'pids.current'), 'utf8'));
  t.ok(pids <= 4, `at most 4 processes in the cgroup (${pids})`);

  const saved = JSON.parse(fs.readFileSync(path.join(box.root, c, 'config.json'), 'utf8'));
  t.same(saved.linux.resources.pids, { limit: 4 }, 'the saved config holds the new limit');
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('update --resources - (stdin, as containerd sends it) and --memory with units', async (t) => {
  const box = new Sandbox(t);
  const c = id('updmem');
  t.equal(box.run(['create', '--bundle', box.shell('sleep 60'), c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  const dir = cgroupDir(box, c, 'memory');

  const r = box.run(['update', '--resources', '-', c], { input: JSON.stringify({ memory: { limit: 64 * 1024 * 1024 }, cpu: { shares: 512 } }) });
  t.equal(r.status, 0, `update --resources -: ${r.stderr}`);
  t.equal(fs.readFileSync(path.join(dir, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 * 1024 * 1024));
  t.equal(fs.readFileSync(path.join(cgroupDir(box, c, 'cpu'), 'cpu.shares'), 'utf8').trim(), '512');

  t.equal(box.run(['update', '--memory', '32m', c]).status, 0, 'update --memory 32m');
  t.equal(fs.readFileSync(path.join(dir, 'memory.limit_in_bytes'), 'utf8').trim(), String(32 * 1024 * 1024));

  const bad = box.run(['update', '--memory', 'lots', c]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, '--memory lots: not a size');

  t.equal(box.run(['kill', c, 'KILL']).status, 0);
  await box.waitFor(c, 'stopped');
  const stopped = box.run(['update', '--pids-limit', '10', c]);
  t.equal(stopped.status, 1, 'update of a stopped container fails');
  t.match(stopped.stderr, `cannot update container ${c}: it is stopped`);
  t.equal(box.run(['delete', c]).status, 0);
});

t.test('memory.checkBeforeUpdate: update refuses a limit below the usage and changes nothing; a limit above it is written', async (t) => {
  const box = new Sandbox(t);
  const c = id('updcheck');
  // 24 MiB in the container's /dev/shm (a tmpfs: its pages are charged to the memory cgroup).
  const bundle = box.shell('dd if=/dev/zero of=/dev/shm/fill bs=1M count=24 2>/dev/null; echo > /dev/shm/done; exec sleep 60', (config) => {
    config.linux.resources = { memory: { limit: 256 * 1024 * 1024, checkBeforeUpdate: true } };
  });
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  await waitForFile(`/proc/${box.state(c).pid}/root/dev/shm/done`);
  const dir = cgroupDir(box, c, 'memory');
  const usage = Number(fs.readFileSync(path.join(dir, 'memory.usage_in_bytes'), 'utf8'));
  t.ok(usage > 24 * 1024 * 1024, `the container uses more than 24 MiB (${usage})`);

  const refused = box.run(['update', '--memory', '8m', c]);
  t.equal(refused.status, 1, 'a limit of 8 MiB is refused');
  t.match(refused.stderr, `linux.resources.memory.limit: ${8 * 1024 * 1024} is below the container's memory usage now`);
  t.match(refused.stderr, 'checkBeforeUpdate');
  t.equal(fs.readFileSync(path.join(dir, 'memory.limit_in_bytes'), 'utf8').trim(), String(256 * 1024 * 1024), 'the limit is unchanged');
  const saved = JSON.parse(fs.readFileSync(path.join(box.root, c, 'config.json'), 'utf8'));
  t.equal(saved.linux.resources.memory.limit, 256 * 1024 * 1024, 'the saved config is unchanged');
  t.equal(box.state(c).status, 'running', 'the container still runs');

  t.equal(box.run(['update', '--memory', '128m', c]).status, 0, 'a limit above the usage is written');
  t.equal(fs.readFileSync(path.join(dir, 'memory.limit_in_bytes'), 'utf8').trim(), String(128 * 1024 * 1024));
  // Without the check, the kernel takes the low limit and reclaims or kills to get under it.
  const off = box.run(['update', '--resources', '-', c], { input: JSON.stringify({ memory: { checkBeforeUpdate: false, limit: 8 * 1024 * 1024 } }) });
  t.notMatch(off.stderr, 'below the container', `checkBeforeUpdate false: not refused by nk-runtime (${off.stderr.trim() || 'status ' + off.status})`);
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('events --stats: runc\'s JSON shape, with sane values', async (t) => {
  const box = new Sandbox(t);
  const c = id('evtstats');
  // Some CPU time and some memory first, then wait.
  const bundle = box.shell('i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; exec sleep 60', (config) => {
    config.linux.resources = { memory: { limit: 64 * 1024 * 1024 }, pids: { limit: 20 } };
  });
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  const pid = box.state(c).pid;
  for (let waited = 0; waited < 10_000; waited += 50) {
    if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('sleep')) break;
    await sleep(50);
  }
  const r = box.run(['events', '--stats', c]);
  t.equal(r.status, 0, `events --stats: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  t.equal(lines.length, 1, 'one line');
  const event = JSON.parse(lines[0]);
  t.equal(event.type, 'stats');
  t.equal(event.id, c);
  t.same(Object.keys(event.data).sort(), ['blkio', 'cpu', 'hugetlb', 'memory', 'pids']);
  const { cpu, memory, pids } = event.data;
  t.ok(cpu.usage.total > 0, `CPU time used: ${cpu.usage.total} ns`);
  t.equal(cpu.usage.percpu.length, (fs.readFileSync('/sys/fs/cgroup/cpuacct/cpuacct.usage_percpu', 'utf8').trim().split(/\s+/)).length, 'one value per CPU');
  t.ok(cpu.usage.user + cpu.usage.kernel <= cpu.usage.total * 1.5 + 2e7, 'user + kernel about the total');
  t.same(Object.keys(cpu.throttling).sort(), ['periods', 'throttled_periods', 'throttled_time']);
  t.equal(memory.usage.limit, 64 * 1024 * 1024, 'memory limit');
  t.ok(memory.usage.usage > 0 && memory.usage.usage < 64 * 1024 * 1024, `memory in use: ${memory.usage.usage}`);
  t.ok(memory.usage.max >= memory.usage.usage, `peak ${memory.usage.max} >= usage`);
  t.equal(typeof memory.raw.cache, 'number', 'memory.stat raw');
  t.same(pids, { current: 1, limit: 20 }, 'pids: the sleep alone, limit 20');
  t.ok(Array.isArray(event.data.blkio.ioServiceBytesRecursive));
  t.equal(box.run(['delete', '--force', c]).status, 0);

  const stopped = box.run(['events', '--stats', c]);
  t.equal(stopped.status, 1, 'events of a container that is gone fails');
});

t.test('events: stats every interval, an oom event when the OOM killer strikes, the end when it stops', async (t) => {
  const box = new Sandbox(t);
  const c = id('evtoom');
  // tail keeps the last line of /dev/zero, which has no end: it grows until the OOM killer kills it.
  const bundle = box.shell('while [ ! -e /dev/shm/go ]; do sleep 0.05; done; tail /dev/zero; sleep 0.5', (config) => {
    config.linux.resources = { memory: { limit: 32 * 1024 * 1024 } };
  });
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  const pid = box.state(c).pid;
  const watcher = box.start(['events', '--interval', '300ms', c]);
  let out = '';
  watcher.stdout.on('data', (d) => (out += d));
  const ended = new Promise<number | null>((resolve) => watcher.on('exit', resolve));
  await sleep(500);
  fs.writeFileSync(`/proc/${pid}/root/dev/shm/go`, '');
  const status = await Promise.race([ended, sleep(20_000).then(() => 'timeout')]);
  if (status === 'timeout') watcher.kill('SIGKILL');
  t.equal(status, 0, 'events ends, with 0, when the container stops');
  const events = out.trim().split('\n').map((l) => JSON.parse(l));
  t.ok(events.filter((e) => e.type === 'stats').length >= 2, 'stats lines every interval');
  t.same(events.filter((e) => e.type === 'oom'), [{ type: 'oom', id: c }], 'one oom event');
  const peak = Math.max(...events.filter((e) => e.type === 'stats').map((e) => e.data.memory.usage.max));
  t.ok(peak > 16 * 1024 * 1024, `the peak memory shows the growth: ${peak}`);
  t.equal(box.run(['delete', c]).status, 0);
});

t.test('linux.resources on v1 for real: cpuset, devices, memory extras', async (t) => {
  const box = new Sandbox(t);
  const cpus = fs.readFileSync('/sys/fs/cgroup/cpuset/cpuset.effective_cpus', 'utf8').trim();
  const last = cpus.split(/[,-]/).pop()!;
  const bundle = box.shell(
    'grep Cpus_allowed_list /proc/self/status; ' +
      'mknod /dev/kmsg2 c 1 11 && echo made; head -c 1 /dev/kmsg2 >/dev/null 2>&1 || echo open-denied; ' +
      'mknod /dev/mem2 c 1 1 2>/dev/null || echo mknod-denied; echo x > /dev/null && echo null-ok',
    (config) => {
      // mknod needs CAP_MKNOD: the device list is what must refuse here, not the capabilities.
      for (const set of ['bounding', 'effective', 'permitted']) config.process.capabilities[set].push('CAP_MKNOD');
      config.linux.resources = {
        cpu: { cpus: last },
        memory: { limit: 64 << 20, reservation: 32 << 20, swappiness: 0, disableOOMKiller: false },
        devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'm' }],
      };
    },
  );
  const r = box.run(['run', '--bundle', bundle, id('cpuset')]);
  t.equal(r.status, 0, `run: ${r.stderr}`);
  t.match(r.stdout, new RegExp(`Cpus_allowed_list:\\s+${last}\\n`), `the program may run on CPU ${last} only`);
  t.match(r.stdout, 'made', 'mknod of an allowed (m) device works');
  t.match(r.stdout, 'open-denied', 'but opening it is denied (no r)');
  t.match(r.stdout, 'mknod-denied', 'mknod of a device not allowed is denied');
  t.match(r.stdout, 'null-ok', '/dev/null is allowed, as every container needs it');
  t.equal(r.stderr, '', 'no warning: all applied');
});

t.test('run --timeout: SIGTERM at the deadline, SIGKILL after the grace, exit status 124', async (t) => {
  const box = new Sandbox(t);
  // sleep as PID 1 of its namespace has no handler for SIGTERM, so the kernel drops it: only SIGKILL ends it.
  let started = Date.now();
  const stubborn = box.run(['run', '--timeout', '1s', '--timeout-grace', '500ms', '--bundle', box.shell('exec sleep 30', () => undefined, 'b1'), id('tmo1')]);
  let took = Date.now() - started;
  t.equal(stubborn.status, 124, 'exit status 124, as timeout(1)');
  t.equal(stubborn.stderr, `nk-runtime: run ${id('tmo1')}: timed out after 1s: sent SIGTERM, then SIGKILL after 0.5 s\n`, 'one line on stderr');
  t.ok(took >= 1000 && took < 15_000, `ended after about 1.5 s (${took} ms)`);

  started = Date.now();
  const polite = box.run(['run', '--timeout', '500ms', '--bundle', box.shell('trap "exit 3" TERM; while true; do sleep 0.05; done', () => undefined, 'b2'), id('tmo2')]);
  took = Date.now() - started;
  t.equal(polite.status, 124);
  t.equal(polite.stderr, `nk-runtime: run ${id('tmo2')}: timed out after 500ms: sent SIGTERM\n`, 'a program that ends on SIGTERM gets no SIGKILL');
  t.ok(took < 15_000, `${took} ms`);

  const quick = box.run(['run', '--timeout', '30s', '--bundle', box.shell('exit 7', () => undefined, 'b3'), id('tmo3')]);
  t.equal(quick.status, 7, 'a program that ends in time: its own status');
  t.equal(quick.stderr, '');

  const bad = box.run(['run', '--timeout', 'soon', '--bundle', box.shell('true', () => undefined, 'b4'), id('tmo4')]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, '--timeout soon: not a duration');
  t.notOk(fs.existsSync(path.join(box.root, id('tmo4'))), 'nothing made');
  const detached = box.run(['run', '-d', '--timeout', '1s', '--bundle', box.shell('true', () => undefined, 'b5'), id('tmo5')]);
  t.equal(detached.status, 1);
  t.match(detached.stderr, '--timeout: only for an attached run');
});
