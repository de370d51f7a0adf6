/**
 * cgroup v1, without root: a fake hybrid host (v1 controllers, plus an empty cgroup2 at
 * .../unified) built from plain directories and files in a temp dir. The kernel used is the real
 * LinuxKernel with three calls changed to act like cgroupfs does (see FakeCgroupfs), wrapped in
 * observe() so every step, with the config field that caused it, can be asserted.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupFromPlacement, openCgroup, type Cgroup } from '../../src/linux/cgroups';
import { parseMountinfo, parseSelfCgroup } from '../../src/linux/cgroups/detect';
import { UserError } from '../../src/errors';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { observe, KernelError, type Step } from '../../src/linux/kernel';
import { LinuxKernel } from '../../src/linux/linux-kernel';
import { formatCall } from '../../src/linux/format';

/** The interface files a new cgroup directory gets in each fake hierarchy, with their values. */
const FILES: Record<string, Record<string, string>> = {
  'cpu,cpuacct': {
    'cpu.shares': '1024', 'cpu.cfs_period_us': '100000', 'cpu.cfs_quota_us': '-1', 'cpuacct.usage': '0',
    'cpu.rt_period_us': '1000000', 'cpu.rt_runtime_us': '0', 'cpu.cfs_burst_us': '0', 'cpu.idle': '0',
  },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '' },
  memory: {
    'memory.limit_in_bytes': '9223372036854771712', 'memory.memsw.limit_in_bytes': '9223372036854771712',
    'memory.soft_limit_in_bytes': '9223372036854771712', 'memory.swappiness': '60',
    'memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 0', 'memory.kmem.tcp.limit_in_bytes': '9223372036854771712',
  },
  pids: { 'pids.max': 'max' },
  devices: { 'devices.list': 'a *:* rwm', 'devices.allow': '', 'devices.deny': '' },
  freezer: { 'freezer.state': 'THAWED' },
  blkio: {
    'blkio.weight': '500', 'blkio.leaf_weight': '500', 'blkio.weight_device': '', 'blkio.leaf_weight_device': '',
    'blkio.throttle.read_bps_device': '', 'blkio.throttle.write_bps_device': '',
    'blkio.throttle.read_iops_device': '', 'blkio.throttle.write_iops_device': '',
  },
  systemd: {},
  // Mounted only when fakeHost() is asked for them.
  hugetlb: { 'hugetlb.2MB.limit_in_bytes': '9223372036854771712' },
  'net_cls,net_prio': { 'net_cls.classid': '0', 'net_prio.ifpriomap': 'lo 0' },
  rdma: { 'rdma.max': '' },
};

/**
 * LinuxKernel, with the differences between cgroupfs and an ordinary filesystem put back:
 * mkdir fills the new directory with its interface files; a write replaces a file's value (and
 * appends to cgroup.procs); rmdir works on a directory holding only those files, and fails with
 * EBUSY while processes or child cgroups are in it.
 */
class FakeCgroupfs extends LinuxKernel {
  /** mkdir of a path containing this fails with EACCES. */
  failMkdir?: string;
  constructor(private readonly root: string) {
    super();
  }
  mkdirAll(dir: string, mode: number): void {
    if (this.failMkdir && dir.includes(this.failMkdir)) throw new KernelError('mkdirAll', 'EACCES', formatCall('mkdirAll', [dir, mode]));
    super.mkdirAll(dir, mode);
    const hierarchy = path.relative(this.root, dir).split('/')[0];
    const files = { 'cgroup.procs': '', tasks: '', 'notify_on_release': '0', ...FILES[hierarchy] };
    for (const [name, value] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), value);
  }
  writeFile(file: string, data: string): void {
    super.writeFile(file, ''); // fails like the real one when the file does not exist
    if (path.basename(file) === 'cgroup.procs') fs.appendFileSync(file, `${data}\n`);
    else fs.writeFileSync(file, data);
  }
  rmdir(dir: string): void {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    const procs = fs.existsSync(path.join(dir, 'cgroup.procs')) ? fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8') : '';
    if (entries.some((e) => e.isDirectory()) || procs.trim() !== '') throw new KernelError('rmdir', 'EBUSY', formatCall('rmdir', [dir]));
    for (const e of entries) fs.rmSync(path.join(dir, e.name));
    super.rmdir(dir);
  }
}

/** A fake hybrid host in a temp dir; `steps` lists each kernel call as "call <- cause". */
function fakeHost(t: { teardown(fn: () => void): void }, more = false) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-cgroups-v1-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const root = path.join(tmp, 'sys/fs/cgroup');
  const mountinfo = [
    `31 23 0:28 / ${root} rw,relatime - tmpfs tmpfs rw,mode=755`,
    `32 31 0:29 / ${root}/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct`,
    `34 31 0:31 / ${root}/cpuset rw,relatime - cgroup cgroup rw,cpuset`,
    `35 31 0:32 / ${root}/memory rw,relatime - cgroup cgroup rw,memory`,
    `36 31 0:33 / ${root}/devices rw,relatime - cgroup cgroup rw,devices`,
    `37 31 0:34 / ${root}/freezer rw,relatime - cgroup cgroup rw,freezer`,
    `38 31 0:35 / ${root}/blkio rw,relatime - cgroup cgroup rw,blkio`,
    `39 31 0:36 / ${root}/pids rw,relatime - cgroup cgroup rw,pids`,
    `40 31 0:37 / ${root}/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd`,
    `41 31 0:38 / ${root}/unified rw,relatime - cgroup2 cgroup2 rw`,
    `50 22 8:1 / /home rw,relatime - ext4 /dev/sda1 rw`,
    ...(more ? [
      `42 31 0:39 / ${root}/hugetlb rw,relatime - cgroup cgroup rw,hugetlb`,
      `43 31 0:40 / ${root}/net_cls,net_prio rw,relatime - cgroup cgroup rw,net_cls,net_prio`,
      `44 31 0:41 / ${root}/rdma rw,relatime - cgroup cgroup rw,rdma`,
    ] : []),
  ].join('\n');
  // Like this machine: the runtime itself sits in a memory cgroup of its own, elsewhere at "/".
  const selfCgroup = [
    '9:name=systemd:/', '8:pids:/', '7:blkio:/', '6:freezer:/', '5:devices:/',
    '4:memory:/process_api/abc', '3:cpuset:/', '2:cpu,cpuacct:/', '0::/',
    ...(more ? ['10:hugetlb:/', '11:net_cls,net_prio:/', '12:rdma:/'] : []),
  ].join('\n');

  const kernel = new FakeCgroupfs(root);
  // The hierarchies' root directories, as the kernel shows them.
  for (const hierarchy of Object.keys(FILES)) kernel.mkdirAll(path.join(root, hierarchy), 0o755);
  fs.mkdirSync(path.join(root, 'unified'));
  fs.writeFileSync(path.join(root, 'cpuset/cpuset.cpus'), '0-3\n');
  fs.writeFileSync(path.join(root, 'cpuset/cpuset.mems'), '0\n');
  kernel.mkdirAll(path.join(root, 'memory/process_api'), 0o755);
  kernel.mkdirAll(path.join(root, 'memory/process_api/abc'), 0o755);
  fs.writeFileSync(path.join(root, 'memory/process_api/abc/cgroup.procs'), '1\n');

  const steps: Step[] = [];
  const observed = observe(kernel, 'runtime', (s) => steps.push(s));
  const rel = (s: string) => s.split(root).join('');
  return {
    root,
    cgroupfs: kernel,
    kernel: observed,
    /** The steps since the last call, as `write("/memory/x/memory.limit_in_bytes", "1") <- field`. */
    take(): string[] {
      const out = steps.map((s) => `${rel(s.text)} <- ${s.cause}${s.error ? ` !${s.error}` : ''}`);
      steps.length = 0;
      return out;
    },
    open(id: string, cgroupsPath?: string): Cgroup {
      return openCgroup({ kernel: observed, id, cgroupsPath, root, mountinfo, selfCgroup });
    },
    read: (p: string) => fs.readFileSync(path.join(root, p), 'utf8').trim(),
    exists: (p: string) => fs.existsSync(path.join(root, p)),
  };
}

t.test('mountinfo and /proc/self/cgroup are parsed', async (t) => {
  const [m] = parseMountinfo('32 31 0:29 /a\\040b /sys/fs/cgroup/cpu,cpuacct rw shared:9 master:2 - cgroup cgroup rw,cpu,cpuacct\n');
  t.same(m, { mountRoot: '/a b', mountPoint: '/sys/fs/cgroup/cpu,cpuacct', fstype: 'cgroup', superOptions: ['rw', 'cpu', 'cpuacct'] });
  t.same(parseSelfCgroup('2:cpu,cpuacct:/x\n1:name=systemd:/a:b\n0::/\n'), [
    { controllers: ['cpu', 'cpuacct'], path: '/x' },
    { controllers: ['name=systemd'], path: '/a:b' },
    { controllers: [], path: '/' },
  ]);
});

t.test('a hybrid host is v1: one dir per controller, relative paths under our own cgroup', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1');
  t.equal(cg.placement.version, 1);
  const dirs = Object.fromEntries(Object.entries(cg.placement.dirs).map(([k, v]) => [k, v.slice(host.root.length)]));
  t.same(dirs, {
    cpu: '/cpu,cpuacct/nk-c1', // co-mounted: both controllers share one directory
    cpuacct: '/cpu,cpuacct/nk-c1',
    cpuset: '/cpuset/nk-c1',
    memory: '/memory/process_api/abc/nk-c1', // under the runtime's own memory cgroup
    devices: '/devices/nk-c1',
    freezer: '/freezer/nk-c1',
    blkio: '/blkio/nk-c1',
    pids: '/pids/nk-c1',
  }, 'name=systemd and the empty cgroup2 at unified are not used');
  t.same(cg.placement.created, [], 'nothing is made before create()');
  t.same(host.take(), [], 'and no kernel call is made');
});

t.test('create, apply, addProcess, destroy: the exact kernel calls', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1');
  cg.create();
  t.same(host.take(), [
    'mkdir -p "/cpu,cpuacct/nk-c1" (mode 0755) <- linux.cgroupsPath',
    'mkdir -p "/cpuset/nk-c1" (mode 0755) <- linux.cgroupsPath',
    'write("/cpuset/nk-c1/cpuset.cpus", "0-3") <- linux.cgroupsPath',
    'write("/cpuset/nk-c1/cpuset.mems", "0") <- linux.cgroupsPath',
    'mkdir -p "/memory/process_api/abc/nk-c1" (mode 0755) <- linux.cgroupsPath',
    'mkdir -p "/devices/nk-c1" (mode 0755) <- linux.cgroupsPath',
    'mkdir -p "/freezer/nk-c1" (mode 0755) <- linux.cgroupsPath',
    'mkdir -p "/blkio/nk-c1" (mode 0755) <- linux.cgroupsPath',
    'mkdir -p "/pids/nk-c1" (mode 0755) <- linux.cgroupsPath',
  ]);
  t.same(cg.placement.created.map((d) => d.slice(host.root.length)), [
    '/cpu,cpuacct/nk-c1', '/cpuset/nk-c1', '/memory/process_api/abc/nk-c1', '/devices/nk-c1',
    '/freezer/nk-c1', '/blkio/nk-c1', '/pids/nk-c1',
  ]);

  cg.apply({
    memory: { limit: 64 << 20, swap: 128 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000 },
    pids: { limit: 32 },
  });
  t.same(host.take(), [
    'write("/memory/process_api/abc/nk-c1/memory.limit_in_bytes", "67108864") <- linux.resources.memory.limit',
    'write("/memory/process_api/abc/nk-c1/memory.memsw.limit_in_bytes", "134217728") <- linux.resources.memory.swap',
    'write("/cpu,cpuacct/nk-c1/cpu.shares", "512") <- linux.resources.cpu.shares',
    'write("/cpu,cpuacct/nk-c1/cpu.cfs_period_us", "100000") <- linux.resources.cpu.period',
    'write("/cpu,cpuacct/nk-c1/cpu.cfs_quota_us", "50000") <- linux.resources.cpu.quota',
    'write("/pids/nk-c1/pids.max", "32") <- linux.resources.pids.limit',
  ], 'memory before memsw on a new cgroup, the period before the quota');

  cg.addProcess(4242);
  const procsWrites = host.take();
  t.equal(procsWrites.length, 7, 'one write per hierarchy: cpu and cpuacct share a directory');
  t.equal(procsWrites[0], 'write("/cpu,cpuacct/nk-c1/cgroup.procs", "4242") <- linux.cgroupsPath');
  t.same(cg.pids(), [4242]);

  // In two parts, as create does: memory and pids (which count a starting process's memory and
  // threads) late, the rest early.
  cg.addProcess(4343, 'early');
  t.same(host.take().map((w) => w.replace(/^write\("\/([^/]+)\/.*/, '$1')), ['cpu,cpuacct', 'cpuset', 'devices', 'freezer', 'blkio'], 'early: all but memory and pids');
  cg.addProcess(4343, 'late');
  t.same(host.take().map((w) => w.replace(/^write\("\/([^/]+)\/.*/, '$1')), ['memory', 'pids'], 'late: memory and pids');
  // Or a thread moves itself, writing 0 to each hierarchy's tasks (the init does: create.ts).
  t.same(cg.selfJoinFiles(), [...new Set(Object.values(cg.placement.dirs))].map((dir) => path.join(dir, 'tasks')), 'a process can join by itself: each directory\'s tasks');
  t.equal(cg.selfJoinFiles().length, 7, 'once per directory');

  // The process leaves (in the real kernel, when it dies).
  for (const dir of new Set(Object.values(cg.placement.dirs))) fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
  cg.destroy();
  t.same(host.take(), [
    'rmdir("/pids/nk-c1") <- linux.cgroupsPath',
    'rmdir("/blkio/nk-c1") <- linux.cgroupsPath',
    'rmdir("/freezer/nk-c1") <- linux.cgroupsPath',
    'rmdir("/devices/nk-c1") <- linux.cgroupsPath',
    'rmdir("/memory/process_api/abc/nk-c1") <- linux.cgroupsPath',
    'rmdir("/cpuset/nk-c1") <- linux.cgroupsPath',
    'rmdir("/cpu,cpuacct/nk-c1") <- linux.cgroupsPath',
  ]);
  t.same(cg.placement.created, []);
  t.ok(host.exists('memory/process_api/abc'), 'the runtime\'s own cgroup is left');
  t.equal(host.read('memory/process_api/abc/cgroup.procs'), '1', 'and untouched');
});

t.test('an absolute cgroupsPath starts at each hierarchy root; every new level is recorded', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1', '/default/abc');
  t.equal(cg.placement.dirs.memory, path.join(host.root, 'memory/default/abc'), 'not under the runtime\'s own cgroup');
  cg.create();
  const created = cg.placement.created.map((d) => d.slice(host.root.length));
  t.same(created.filter((d) => d.startsWith('/cpuset')), ['/cpuset/default', '/cpuset/default/abc'], 'top down');
  t.same(host.take().filter((s) => s.includes('cpuset')), [
    'mkdir -p "/cpuset/default" (mode 0755) <- linux.cgroupsPath',
    'write("/cpuset/default/cpuset.cpus", "0-3") <- linux.cgroupsPath',
    'write("/cpuset/default/cpuset.mems", "0") <- linux.cgroupsPath',
    'mkdir -p "/cpuset/default/abc" (mode 0755) <- linux.cgroupsPath',
    'write("/cpuset/default/abc/cpuset.cpus", "0-3") <- linux.cgroupsPath',
    'write("/cpuset/default/abc/cpuset.mems", "0") <- linux.cgroupsPath',
  ], 'the parent\'s CPUs and memory nodes are copied down, top first');

  // The placement goes through state.json and back: another process deletes the container.
  const saved = JSON.parse(JSON.stringify(cg.placement));
  cgroupFromPlacement(host.kernel, saved).destroy();
  t.same(host.take().filter((s) => s.includes('/memory')), [
    'rmdir("/memory/default/abc") <- linux.cgroupsPath',
    'rmdir("/memory/default") <- linux.cgroupsPath',
  ], 'deepest first');
  t.notOk(host.exists('memory/default'));
  t.ok(host.exists('memory/process_api/abc'));
  t.same(saved.created, []);
});

t.test('a parent that existed before is never removed; a new parent shared later is left alone', async (t) => {
  const host = fakeHost(t);
  host.kernel.mkdirAll(path.join(host.root, 'pids/outer'), 0o755); // someone else's
  host.take();
  const a = host.open('a', '/outer/grp/a');
  a.create();
  t.same(a.placement.created.filter((d) => d.includes('/pids/')).map((d) => d.slice(host.root.length)),
    ['/pids/outer/grp', '/pids/outer/grp/a'], 'outer is not ours');
  const b = host.open('b', '/outer/grp/b');
  b.create();
  t.same(b.placement.created.filter((d) => d.includes('/pids/')).map((d) => d.slice(host.root.length)),
    ['/pids/outer/grp/b'], 'grp already existed when b was created');
  host.take();

  a.destroy();
  t.same(host.take().filter((s) => s.includes('/pids/')), ['rmdir("/pids/outer/grp/a") <- linux.cgroupsPath'],
    'grp holds b: not even tried');
  t.ok(host.exists('pids/outer/grp/b'));
  b.destroy();
  t.notOk(host.exists('pids/outer/grp/b'));
  t.ok(host.exists('pids/outer'), 'the pre-existing parent stays');
});

t.test('a cgroup that already exists is refused before anything is made', async (t) => {
  const host = fakeHost(t);
  host.kernel.mkdirAll(path.join(host.root, 'pids/nk-c1'), 0o755);
  host.take();
  const cg = host.open('c1');
  t.throws(() => cg.create(), { name: 'UserError', message: `cgroup: ${host.root}/pids/nk-c1 already exists` });
  t.same(host.take(), [], 'no kernel call');
  t.same(cg.placement.created, []);
  t.throws(() => host.open('c1', '../escape'), { message: 'linux.cgroupsPath: "../escape" must not contain ".."' });
  t.throws(() => host.open('c1', '/a/../../b'), UserError);
});

t.test('a failed mkdir undoes what create() had made', async (t) => {
  const host = fakeHost(t);
  host.cgroupfs.failMkdir = '/freezer/';
  const cg = host.open('c1', '/grp/c1');
  t.throws(() => cg.create(), {
    name: 'CgroupError',
    code: 'EACCES',
    message: `cgroup: creating ${host.root}/freezer/grp (linux.cgroupsPath): EACCES (Permission denied)`,
  });
  t.same(cg.placement.created, [], 'everything made was removed again');
  for (const h of ['cpu,cpuacct', 'cpuset', 'memory', 'devices']) t.notOk(host.exists(`${h}/grp`), `${h}/grp is gone`);
});

t.test('memory: -1 also lifts swap; raising limits writes memsw first', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1');
  cg.create();
  host.take();
  cg.apply({ memory: { limit: -1 } });
  t.same(host.take(), [
    'write("/memory/process_api/abc/nk-c1/memory.memsw.limit_in_bytes", "-1") <- linux.resources.memory.swap',
    'write("/memory/process_api/abc/nk-c1/memory.limit_in_bytes", "-1") <- linux.resources.memory.limit',
  ], 'lifting limits: memsw first');
  cg.apply({ memory: { limit: 1 << 20, swap: 2 << 20 } });
  host.take();
  cg.apply({ memory: { limit: 4 << 20, swap: 8 << 20 } }); // an update that raises both
  t.same(host.take(), [
    'write("/memory/process_api/abc/nk-c1/memory.memsw.limit_in_bytes", "8388608") <- linux.resources.memory.swap',
    'write("/memory/process_api/abc/nk-c1/memory.limit_in_bytes", "4194304") <- linux.resources.memory.limit',
  ], 'memsw may never be below the memory limit, not even between two writes');
});

t.test('pids: a negative limit is "max", 0 is unset; unknown fields are left alone', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1');
  cg.create();
  host.take();
  cg.apply({ pids: { limit: -1 } });
  t.same(host.take(), ['write("/pids/nk-c1/pids.max", "max") <- linux.resources.pids.limit']);
  cg.apply({ pids: { limit: 0 }, cpu: {}, memory: {} });
  cg.apply(undefined);
  cg.apply({ hugepageLimits: [] } as never);
  t.same(host.take(), [], 'nothing to write');
});

t.test('a failed write names the file, the value and the config field', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1');
  cg.create();
  const fake = new FakeKernel().failWith('writeFile', 'EINVAL', (args) => String(args[0]).endsWith('cpu.cfs_quota_us'));
  const failing = cgroupFromPlacement(observe(fake.ops, 'runtime', () => {}), cg.placement);
  const file = `${host.root}/cpu,cpuacct/nk-c1/cpu.cfs_quota_us`;
  t.throws(() => failing.apply({ cpu: { quota: 100000 } }), {
    name: 'CgroupError',
    code: 'EINVAL',
    message: `cgroup: writing 100000 to ${file} (linux.resources.cpu.quota): EINVAL (Invalid argument)`,
  });
  t.same(fake.texts, [`write("${file}", "100000")`]);
});

t.test('a swap limit on a kernel without swap accounting is refused, not ignored', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1');
  cg.create();
  fs.rmSync(path.join(cg.placement.dirs.memory, 'memory.memsw.limit_in_bytes'));
  host.take();
  t.throws(() => cg.apply({ memory: { limit: 1 << 20, swap: 2 << 20 } }), { name: 'UserError', message: /memory.memsw.limit_in_bytes does not exist/ });
  t.same(host.take(), []);
  cg.apply({ memory: { limit: -1 } });
  t.same(host.take(), ['write("/memory/process_api/abc/nk-c1/memory.limit_in_bytes", "-1") <- linux.resources.memory.limit']);
});

t.test('destroy retries a busy cgroup briefly, then reports it and keeps it recorded', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1', '/grp/c1');
  cg.create();
  cg.addProcess(777);
  host.take();
  const started = Date.now();
  t.throws(() => cg.destroy(), {
    name: 'CgroupError',
    code: 'EBUSY',
    message: `cgroup: removing ${host.root}/pids/grp/c1 (processes still in it: 777): EBUSY (Device or resource busy); ` +
      `could not remove ${['blkio', 'freezer', 'devices', 'memory', 'cpuset', 'cpu,cpuacct'].map((h) => `${host.root}/${h}/grp/c1`).join(', ')} either`,
  });
  const waited = Date.now() - started;
  t.ok(waited >= 190 && waited < 400, `gives up after about 200 ms in all (${waited} ms)`);
  const steps = host.take();
  t.ok(steps.filter((s) => s.includes('/pids/')).length >= 4, 'the first cgroup is tried several times');
  t.match(steps[0], /rmdir\("\/pids\/grp\/c1"\) <- linux.cgroupsPath !EBUSY/);
  t.notOk(steps.some((s) => s.includes('rmdir("/pids/grp")')), 'the parent of a busy cgroup is not tried');
  t.equal(cg.placement.created.length, 14, 'each leaf and its parent stay recorded for a later try');
  for (const dir of new Set(Object.values(cg.placement.dirs))) fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
  cg.destroy();
  t.same(cg.placement.created, []);
  t.notOk(host.exists('pids/grp'));
});

t.test('v1: every other resource, the exact files and values', async (t) => {
  const host = fakeHost(t, true);
  const cg = host.open('all');
  cg.create();
  host.take();
  cg.apply({
    memory: { reservation: 32 << 20, swappiness: 0, disableOOMKiller: true, kernelTCP: 1 << 20 },
    cpu: { cpus: '1-2', mems: '0', realtimePeriod: 1000000, realtimeRuntime: 950000, burst: 1000, idle: 1 },
    blockIO: {
      weight: 300, leafWeight: 200,
      weightDevice: [{ major: 8, minor: 0, weight: 400, leafWeight: 100 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 50 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }],
    network: { classID: 0x100001, priorities: [{ name: 'eth0', priority: 5 }] },
    rdma: { mlx4_0: { hcaHandles: 2, hcaObjects: 2000 } },
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }, { allow: false, type: 'b', major: 8, access: 'm' }],
  });
  const mem = '/memory/process_api/abc/nk-all';
  t.same(host.take(), [
    `write("${mem}/memory.soft_limit_in_bytes", "33554432") <- linux.resources.memory.reservation`,
    `write("${mem}/memory.swappiness", "0") <- linux.resources.memory.swappiness`,
    `write("${mem}/memory.oom_control", "1") <- linux.resources.memory.disableOOMKiller`,
    `write("${mem}/memory.kmem.tcp.limit_in_bytes", "1048576") <- linux.resources.memory.kernelTCP`,
    'write("/cpuset/nk-all/cpuset.cpus", "1-2") <- linux.resources.cpu.cpus',
    'write("/cpuset/nk-all/cpuset.mems", "0") <- linux.resources.cpu.mems',
    'write("/cpu,cpuacct/nk-all/cpu.rt_period_us", "1000000") <- linux.resources.cpu.realtimePeriod',
    'write("/cpu,cpuacct/nk-all/cpu.rt_runtime_us", "950000") <- linux.resources.cpu.realtimeRuntime',
    'write("/cpu,cpuacct/nk-all/cpu.cfs_burst_us", "1000") <- linux.resources.cpu.burst',
    'write("/cpu,cpuacct/nk-all/cpu.idle", "1") <- linux.resources.cpu.idle',
    'write("/blkio/nk-all/blkio.weight", "300") <- linux.resources.blockIO.weight',
    'write("/blkio/nk-all/blkio.leaf_weight", "200") <- linux.resources.blockIO.leafWeight',
    'write("/blkio/nk-all/blkio.weight_device", "8:0 400") <- linux.resources.blockIO.weightDevice[0]',
    'write("/blkio/nk-all/blkio.leaf_weight_device", "8:0 100") <- linux.resources.blockIO.weightDevice[0]',
    'write("/blkio/nk-all/blkio.throttle.read_bps_device", "8:0 1048576") <- linux.resources.blockIO.throttleReadBpsDevice[0]',
    'write("/blkio/nk-all/blkio.throttle.write_bps_device", "8:16 2097152") <- linux.resources.blockIO.throttleWriteBpsDevice[0]',
    'write("/blkio/nk-all/blkio.throttle.read_iops_device", "8:0 100") <- linux.resources.blockIO.throttleReadIOPSDevice[0]',
    'write("/blkio/nk-all/blkio.throttle.write_iops_device", "8:0 50") <- linux.resources.blockIO.throttleWriteIOPSDevice[0]',
    'write("/hugetlb/nk-all/hugetlb.2MB.limit_in_bytes", "4194304") <- linux.resources.hugepageLimits[0]',
    'write("/net_cls,net_prio/nk-all/net_cls.classid", "1048577") <- linux.resources.network.classID',
    'write("/net_cls,net_prio/nk-all/net_prio.ifpriomap", "eth0 5") <- linux.resources.network.priorities[0]',
    'write("/rdma/nk-all/rdma.max", "mlx4_0 hca_handle=2 hca_object=2000") <- linux.resources.rdma.mlx4_0',
    'write("/devices/nk-all/devices.deny", "a") <- linux.resources.devices[0]',
    'write("/devices/nk-all/devices.allow", "c 10:200 rw") <- linux.resources.devices[1]',
    'write("/devices/nk-all/devices.deny", "b 8:* m") <- linux.resources.devices[2]',
    'write("/devices/nk-all/devices.allow", "c 1:3 rwm") <- linux.resources.devices',
    'write("/devices/nk-all/devices.allow", "c 1:5 rwm") <- linux.resources.devices',
    'write("/devices/nk-all/devices.allow", "c 1:7 rwm") <- linux.resources.devices',
    'write("/devices/nk-all/devices.allow", "c 1:8 rwm") <- linux.resources.devices',
    'write("/devices/nk-all/devices.allow", "c 1:9 rwm") <- linux.resources.devices',
    'write("/devices/nk-all/devices.allow", "c 5:0 rwm") <- linux.resources.devices',
    'write("/devices/nk-all/devices.allow", "c 5:2 rwm") <- linux.resources.devices',
    'write("/devices/nk-all/devices.allow", "c 136:* rwm") <- linux.resources.devices',
  ], 'each in its hierarchy; the devices every container needs after the config\'s rules, as runc');
  t.equal(host.read('cpuset/nk-all/cpuset.cpus'), '1-2');
  t.equal(host.read('net_cls,net_prio/nk-all/net_cls.classid'), '1048577');
  for (const dir of new Set(Object.values(cg.placement.dirs))) fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
  cg.destroy();
});

t.test('v1: what cannot be applied is refused with the field and the reason', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('no');
  cg.create();
  t.throws(() => cg.apply({ unified: { 'memory.high': '1M' } }), /linux.resources.unified: this host uses cgroup v1/);
  t.throws(() => cg.apply({ memory: { kernel: 1 << 20 } }), /linux.resources.memory.kernel: this kernel has no memory.kmem.limit_in_bytes/);
  t.throws(() => cg.apply({ memory: { swappiness: 101 } }), /swappiness: 101 is not between 0 and 100/);
  t.throws(() => cg.apply({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), /linux.resources.hugepageLimits\[0\]: this host has no cgroup v1 hugetlb hierarchy/);
  t.throws(() => cg.apply({ network: { classID: 1 } }), /no cgroup v1 net_cls hierarchy/);
  t.throws(() => cg.apply({ devices: [{ allow: true, type: 'x' }] }), /linux.resources.devices\[0\].type: "x" must be a, b or c/);
  t.throws(() => cg.apply({ devices: [{ allow: true, access: 'rwx' }] }), /access: "rwx" must be made of r, w and m/);
  host.take();
  cg.apply({ memory: { swappiness: -1 }, blockIO: {} });
  t.same(host.take(), [], 'swappiness -1 (the kernel\'s default) writes nothing');
  for (const dir of new Set(Object.values(cg.placement.dirs))) fs.writeFileSync(path.join(dir, 'cgroup.procs'), '');
  cg.destroy();
});
