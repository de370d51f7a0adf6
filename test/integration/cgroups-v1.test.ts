/**
 * cgroup v1 for real: needs root and a host with v1 controllers (a hybrid host counts). Each test
 * makes cgroups named after this test's pid, puts a `sleep` in them, reads the limits back from
 * the kernel's files, and removes them. Teardown kills the sleeps and removes only the
 * directories the code under test recorded as created, even when a test fails.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { cgroupFromPlacement, openCgroup, type Cgroup } from '../../src/linux/cgroups';
import { detectLayout } from '../../src/linux/cgroups/detect';
import { ownDir } from '../../src/linux/cgroups/paths';
import { observe, type Step } from '../../src/linux/kernel';
import { LinuxKernel } from '../../src/linux/linux-kernel';

const ROOT = '/sys/fs/cgroup';

function whyNot(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  let layout;
  try {
    layout = detectLayout(ROOT, fs.readFileSync('/proc/self/mountinfo', 'utf8'), fs.readFileSync('/proc/self/cgroup', 'utf8'));
  } catch (err) {
    return `no usable cgroups: ${(err as Error).message}`;
  }
  if (layout.version !== 1) return 'this host is cgroup v2; v1 is tested here, v2 in test/unit/cgroups-v2.test.ts';
  const missing = ['memory', 'cpu', 'pids', 'cpuset'].filter((c) => !layout.controllers[c]);
  if (missing.length > 0) return `no v1 ${missing.join(', ')} hierarchy`;
  return undefined;
}

const reason = whyNot();
if (reason) {
  t.plan(0, reason);
} else {
  run();
}

function run(): void {
  const steps: Step[] = [];
  const kernel = observe(new LinuxKernel(), 'runtime', (s) => steps.push(s));
  const id = `itest-${process.pid}`;
  const children: ChildProcess[] = [];
  const cgroups: Cgroup[] = [];

  // Whatever happens in the tests: no sleep left running, no cgroup of ours left behind.
  t.teardown(async () => {
    for (const child of children) await stop(child);
    for (const cg of cgroups) {
      try {
        cg.destroy();
      } catch (err) {
        console.error(`teardown: ${(err as Error).message}`);
      }
    }
  });

  const open = (cgroupsPath?: string) => {
    const cg = openCgroup({ kernel, id, cgroupsPath });
    cgroups.push(cg);
    return cg;
  };
  const sleeper = () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    children.push(child);
    return child.pid!;
  };
  const read = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8').trim();
  const unique = (cg: Cgroup) => [...new Set(Object.values(cg.placement.dirs))];

  t.test('create, apply, add a process, destroy', async (t) => {
    const cg = open(); // nk-<id>, under this process's own cgroup in each hierarchy
    const layout = detectLayout(ROOT, fs.readFileSync('/proc/self/mountinfo', 'utf8'), fs.readFileSync('/proc/self/cgroup', 'utf8'));
    if (layout.version !== 1) throw new Error('unreachable');
    const ownMemory = ownDir(layout.controllers.memory);
    t.equal(cg.placement.dirs.memory, path.join(ownMemory, `nk-${id}`), 'memory: under our own memory cgroup');

    cg.create();
    t.same(cg.placement.created, unique(cg), 'one new directory per hierarchy');
    for (const dir of unique(cg)) t.ok(fs.statSync(dir).isDirectory(), `${dir} exists`);
    const cpuset = cg.placement.dirs.cpuset;
    t.equal(read(cpuset, 'cpuset.cpus'), read(path.dirname(cpuset), 'cpuset.cpus'), 'cpuset.cpus copied from the parent');
    t.equal(read(cpuset, 'cpuset.mems'), read(path.dirname(cpuset), 'cpuset.mems'), 'cpuset.mems copied from the parent');

    const memsw = fs.existsSync(path.join(cg.placement.dirs.memory, 'memory.memsw.limit_in_bytes'));
    cg.apply({
      memory: { limit: 64 << 20, swap: memsw ? 128 << 20 : undefined },
      cpu: { shares: 512, quota: 50000, period: 100000 },
      pids: { limit: 32 },
    });
    t.equal(read(cg.placement.dirs.memory, 'memory.limit_in_bytes'), String(64 << 20));
    if (memsw) t.equal(read(cg.placement.dirs.memory, 'memory.memsw.limit_in_bytes'), String(128 << 20));
    t.equal(read(cg.placement.dirs.cpu, 'cpu.shares'), '512');
    t.equal(read(cg.placement.dirs.cpu, 'cpu.cfs_period_us'), '100000');
    t.equal(read(cg.placement.dirs.cpu, 'cpu.cfs_quota_us'), '50000');
    t.equal(read(cg.placement.dirs.pids, 'pids.max'), '32');
    const causes = steps.filter((s) => s.call === 'writeFile').map((s) => s.cause);
    t.ok(causes.includes('linux.resources.cpu.quota'), 'writes are attributed to their config field');

    const pid = sleeper();
    cg.addProcess(pid);
    t.same(cg.pids(), [pid], 'the sleep, and nothing else, is in the cgroup');
    const procCgroup = fs.readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    t.match(procCgroup, new RegExp(`:memory:.*/nk-${id}\\n`), '/proc/PID/cgroup agrees');
    t.match(procCgroup, new RegExp(`:pids:/nk-${id}\\n`));

    await stop(children.pop()!);
    steps.length = 0;
    cg.destroy();
    for (const dir of unique(cg)) t.notOk(fs.existsSync(dir), `${dir} is gone`);
    t.same(cg.placement.created, []);
    t.ok(fs.existsSync(ownMemory), 'our own memory cgroup is still there');
    const tries = steps.filter((s) => s.call === 'rmdir').length;
    t.comment(`rmdir calls for ${unique(cg).length} directories: ${tries}`);
  });

  t.test('an absolute path two levels deep: both levels made, cpuset filled top down, both removed', async (t) => {
    const top = `/nk-${id}-abs`;
    const cg = open(`${top}/inner`);
    cg.create();
    t.equal(cg.placement.created.length, 2 * unique(cg).length);
    t.equal(cg.placement.dirs.pids, `${ROOT}/pids${top}/inner`);
    const pid = sleeper();
    cg.addProcess(pid); // ENOSPC here would mean an empty cpuset somewhere on the way
    t.same(cg.pids(), [pid]);

    // Still running: the cgroup cannot go. destroy() retries briefly, then says so.
    const started = Date.now();
    t.throws(() => cg.destroy(), { name: 'CgroupError', code: 'EBUSY', message: new RegExp(`processes still in it: ${pid}`) });
    t.ok(Date.now() - started < 1000, 'and does not wait long');
    t.equal(cg.placement.created.length, 2 * unique(cg).length, 'everything stays recorded');

    await stop(children.pop()!);
    cgroupFromPlacement(kernel, JSON.parse(JSON.stringify(cg.placement))).destroy();
    for (const h of ['memory', 'pids', 'cpuset']) t.notOk(fs.existsSync(`${ROOT}/${h}${top}`), `${h}${top} is gone`);
    cg.placement.created = []; // removed through the copy
  });

  t.test('the kernel refusing a value: a message with the file, the value and the field', async (t) => {
    const cg = open(`/nk-${id}-err`);
    cg.create();
    const quotaFile = `${ROOT}/${path.relative(ROOT, cg.placement.dirs.cpu)}/cpu.cfs_quota_us`;
    // The smallest quota is 1 ms (Documentation/scheduler/sched-bwc.rst).
    t.throws(() => cg.apply({ cpu: { quota: 500 } }), {
      name: 'CgroupError',
      code: 'EINVAL',
      message: `cgroup: writing 500 to ${quotaFile} (linux.resources.cpu.quota): EINVAL (Invalid argument)`,
    });
    // cpu.shares outside 2..262144 is not refused but clamped: read back, it is an error.
    t.throws(() => cg.apply({ cpu: { shares: 1 } }), {
      name: 'UserError',
      message: `linux.resources.cpu.shares: the kernel set ${cg.placement.dirs.cpu}/cpu.shares to 2, not 1`,
    });
    cg.destroy();
    t.notOk(fs.existsSync(cg.placement.dirs.memory));
  });
}

/** SIGKILL a child (by its pid) and wait until it has exited and been reaped. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(child.pid!, 'SIGKILL');
  } catch {
    return;
  }
  await exited;
}
