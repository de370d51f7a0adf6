/**
 * cgroup v2, without root: a fake pure-v2 host (a cgroup2 mounted at .../sys/fs/cgroup) built
 * from plain directories and files in a temp dir, like a systemd machine where the runtime runs
 * in a login session's scope. The kernel is the real LinuxKernel with the calls that differ on
 * cgroupfs changed to act like it (see FakeCgroup2fs), wrapped in observe().
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cgroupFromPlacement, cpuSharesToWeight, openCgroup, type Cgroup } from '../../src/linux/cgroups';
import { swapMaxValue } from '../../src/linux/cgroups/v2';
import { observe, KernelError, type Step } from '../../src/linux/kernel';
import { LinuxKernel } from '../../src/linux/linux-kernel';
import { formatCall } from '../../src/linux/format';
import { encode, type EbpfInstruction } from '../../src/linux/cgroups/ebpf';
import { CHAR, READ, WRITE, runDeviceProgram } from './ebpf-interpreter';

/** The files each controller adds to a cgroup where its parent enables it. */
const CONTROLLER_FILES: Record<string, Record<string, string>> = {
  memory: { 'memory.max': 'max', 'memory.swap.max': 'max', 'memory.low': '0', 'memory.high': 'max' },
  cpu: { 'cpu.weight': '100', 'cpu.max': 'max 100000', 'cpu.idle': '0', 'cpu.max.burst': '0' },
  pids: { 'pids.max': 'max' },
  io: { 'io.weight': 'default 100', 'io.max': '' },
  cpuset: { 'cpuset.cpus': '', 'cpuset.mems': '' },
  hugetlb: { 'hugetlb.2MB.max': 'max' },
  rdma: { 'rdma.max': '' },
};

/**
 * LinuxKernel, acting like cgroupfs v2 where it differs from an ordinary filesystem: mkdir fills
 * the directory with the files of the controllers its parent enables (cgroup-v2.rst, "Enabling
 * and Disabling"); cgroup.subtree_control takes "+name -name" and refuses (ENOENT) a controller
 * the cgroup does not have; a write replaces a value (appends to cgroup.procs); rmdir works while
 * no process or child cgroup is inside.
 */
class FakeCgroup2fs extends LinuxKernel {
  mkdirAll(dir: string, mode: number): void {
    super.mkdirAll(dir, mode);
    const parent = path.join(dir, '..', 'cgroup.subtree_control');
    const controllers = fs.existsSync(parent) ? words(fs.readFileSync(parent, 'utf8')) : Object.keys(CONTROLLER_FILES);
    const files: Record<string, string> = { 'cgroup.procs': '', 'cgroup.controllers': controllers.join(' '), 'cgroup.subtree_control': '', 'cgroup.max.depth': 'max' };
    for (const c of controllers) Object.assign(files, CONTROLLER_FILES[c]);
    for (const [name, value] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), value);
  }
  writeFile(file: string, data: string): void {
    super.writeFile(file, ''); // fails like the real one when the file does not exist
    if (path.basename(file) === 'cgroup.procs') return fs.appendFileSync(file, `${data}\n`);
    if (path.basename(file) !== 'cgroup.subtree_control') return fs.writeFileSync(file, data);
    const available = words(fs.readFileSync(path.join(path.dirname(file), 'cgroup.controllers'), 'utf8'));
    const enabled = new Set(words(fs.readFileSync(file, 'utf8')));
    for (const change of words(data)) {
      const name = change.slice(1);
      if (!available.includes(name)) throw new KernelError('writeFile', 'ENOENT', formatCall('writeFile', [file, data]));
      if (change.startsWith('+')) enabled.add(name);
      else enabled.delete(name);
    }
    fs.writeFileSync(file, [...enabled].join(' '));
  }
  /** bpf(2), as the kernel keeps device programs: loaded ones by id, attached ones by cgroup. */
  readonly programs = new Map<number, EbpfInstruction[]>();
  readonly attached = new Map<string, number[]>();
  private programFds = new Map<number, number>();
  private newProgramFd(id: number): number {
    const fd = fs.openSync('/dev/null', 'r'); // a real fd, so that close() works as for the others
    this.programFds.set(fd, id);
    return fd;
  }
  private dirOf(fd: number): string {
    return fs.readlinkSync(`/proc/self/fd/${fd}`);
  }
  bpfProgLoad(_type: number, program: EbpfInstruction[]): number {
    const id = this.programs.size + 1;
    this.programs.set(id, program);
    return this.newProgramFd(id);
  }
  bpfProgGetFdById(id: number): number {
    if (!this.programs.has(id)) throw new KernelError('bpfProgGetFdById', 'ENOENT', formatCall('bpfProgGetFdById', [id]));
    return this.newProgramFd(id);
  }
  bpfProgQuery(cgroupFd: number): number[] {
    return [...(this.attached.get(this.dirOf(cgroupFd)) ?? [])];
  }
  bpfProgAttach(cgroupFd: number, progFd: number, type: number, flags: number): void {
    const dir = this.dirOf(cgroupFd);
    this.attached.set(dir, [...(this.attached.get(dir) ?? []), this.programFds.get(progFd)!]);
    void [type, flags];
  }
  bpfProgDetach(cgroupFd: number, progFd: number): void {
    const dir = this.dirOf(cgroupFd);
    const ids = this.attached.get(dir) ?? [];
    const id = this.programFds.get(progFd)!;
    if (!ids.includes(id)) throw new KernelError('bpfProgDetach', 'ENOENT', formatCall('bpfProgDetach', [cgroupFd, progFd, 6]));
    this.attached.set(dir, ids.filter((i) => i !== id));
  }
  close(fd: number): void {
    this.programFds.delete(fd);
    super.close(fd);
  }
  /** The program attached to `dir`, run on a character device: 1 allowed, 0 refused. */
  allows(dir: string, major: number, minor: number, access = READ | WRITE): number[] {
    return (this.attached.get(dir) ?? []).map((id) => runDeviceProgram(encode(this.programs.get(id)!), { type: CHAR, major, minor, access }));
  }
  rmdir(dir: string): void {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    const procs = fs.readFileSync(path.join(dir, 'cgroup.procs'), 'utf8');
    if (entries.some((e) => e.isDirectory()) || procs.trim() !== '') throw new KernelError('rmdir', 'EBUSY', formatCall('rmdir', [dir]));
    for (const e of entries) fs.rmSync(path.join(dir, e.name));
    super.rmdir(dir);
  }
}

const words = (s: string) => s.split(/\s+/).filter(Boolean);

/**
 * A systemd-like tree: the root enables cpu, io, memory and pids for its children; user.slice
 * and user-0.slice pass on memory and pids only; the session scope, which holds processes (ours),
 * passes on nothing, as the "no internal process" rule requires.
 */
function fakeHost(t: { teardown(fn: () => void): void }, own = '/user.slice/user-0.slice/session-1.scope', rootEnables = '+cpu +io +memory +pids') {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-cgroups-v2-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const root = path.join(tmp, 'sys/fs/cgroup');
  const mountinfo = [
    `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw`,
    `25 23 0:26 / ${root} rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot`,
  ].join('\n');
  const selfCgroup = `0::${own}\n`;

  const kernel = new FakeCgroup2fs();
  const setup = (dir: string, subtree: string) => {
    kernel.mkdirAll(path.join(root, dir), 0o755);
    kernel.writeFile(path.join(root, dir, 'cgroup.subtree_control'), subtree);
  };
  setup('', rootEnables);
  setup('user.slice', '+memory +pids');
  setup('user.slice/user-0.slice', '+memory +pids');
  kernel.mkdirAll(path.join(root, 'user.slice/user-0.slice/session-1.scope'), 0o755);
  kernel.writeFile(path.join(root, 'user.slice/user-0.slice/session-1.scope/cgroup.procs'), '1');

  const steps: Step[] = [];
  const observed = observe(kernel, 'runtime', (s) => steps.push(s));
  // fds are real ones here: named #0, #1... in the order they appear in each take()
  let fdNumbers: number[] = [];
  const fdName = (n: number) => `#${fdNumbers.includes(n) ? fdNumbers.indexOf(n) : fdNumbers.push(n) - 1}`;
  const rel = (s: string) => s.split(root).join('').replace(/(fd:? |close\()(\d+)/g, (_, p, n) => `${p}${fdName(Number(n))}`);
  return {
    root,
    fake: kernel,
    kernel: observed,
    take(): string[] {
      const out = steps.map((s) => `${rel(s.text)}${s.result && s.result !== '0' ? ` = ${rel(s.result)}` : ''} <- ${s.cause}${s.error ? ` !${s.error}` : ''}`);
      steps.length = 0;
      fdNumbers = [];
      return out;
    },
    open(id: string, cgroupsPath?: string): Cgroup {
      return openCgroup({ kernel: observed, id, cgroupsPath, root, mountinfo, selfCgroup });
    },
    read: (p: string) => fs.readFileSync(path.join(root, p), 'utf8').trim(),
    exists: (p: string) => fs.existsSync(path.join(root, p)),
  };
}

t.test('a cgroup2 mounted at the root is v2: one directory, under our own cgroup by default', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1');
  t.equal(cg.placement.version, 2);
  t.same(cg.placement.dirs, { unified: `${host.root}/user.slice/user-0.slice/session-1.scope/nk-c1` });
  t.same(host.open('c1', '/nk/c1').placement.dirs, { unified: `${host.root}/nk/c1` }, 'absolute: from the root');
  t.same(host.open('c1', 'grp/c1').placement.dirs, { unified: `${host.root}/user.slice/user-0.slice/session-1.scope/grp/c1` });
});

t.test('create enables controllers only in the directories it made, then the limits are written', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1', '/nk/c1');
  cg.create();
  t.same(host.take(), [
    'mkdir -p "/nk" (mode 0755) <- linux.cgroupsPath',
    'write("/nk/cgroup.subtree_control", "+cpu +io +memory +pids") <- linux.resources',
    'mkdir -p "/nk/c1" (mode 0755) <- linux.cgroupsPath',
  ], 'the root (not ours) already enables them for /nk; /nk enables them for c1; c1 enables none');
  t.same(cg.placement.created, [`${host.root}/nk`, `${host.root}/nk/c1`]);
  t.equal(host.read('cgroup.subtree_control'), 'cpu io memory pids', 'the root is unchanged');

  cg.apply({
    memory: { limit: 64 << 20, swap: 96 << 20 },
    cpu: { shares: 512, quota: 50000, period: 100000 },
    pids: { limit: 32 },
  });
  t.same(host.take(), [
    'write("/nk/c1/memory.max", "67108864") <- linux.resources.memory.limit',
    'write("/nk/c1/memory.swap.max", "33554432") <- linux.resources.memory.swap',
    'write("/nk/c1/cpu.weight", "20") <- linux.resources.cpu.shares',
    'write("/nk/c1/cpu.max", "50000 100000") <- linux.resources.cpu.quota, linux.resources.cpu.period',
    'write("/nk/c1/pids.max", "32") <- linux.resources.pids.limit',
  ], 'swap.max is the swap alone: 96M of memory+swap minus 64M of memory');

  cg.addProcess(4242, 'early');
  t.same(host.take(), [], 'v2 has one directory for all controllers, memory and pids among them: nothing early');
  cg.addProcess(4242, 'late');
  t.same(host.take(), ['write("/nk/c1/cgroup.procs", "4242") <- linux.cgroupsPath']);
  t.equal(cg.selfJoinFiles(), undefined, 'v2 moves whole processes only: the runtime moves the init');
  t.same(cg.pids(), [4242]);
  fs.writeFileSync(path.join(cg.placement.dirs.unified, 'cgroup.procs'), ''); // the process exits

  cgroupFromPlacement(host.kernel, JSON.parse(JSON.stringify(cg.placement))).destroy();
  t.same(host.take(), ['rmdir("/nk/c1") <- linux.cgroupsPath', 'rmdir("/nk") <- linux.cgroupsPath']);
  t.notOk(host.exists('nk'));
});

t.test('a parent that does not delegate a controller: a clear error, and the parent is not touched', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1'); // under session-1.scope, which holds processes and delegates nothing
  cg.create();
  t.same(host.take(), ['mkdir -p "/user.slice/user-0.slice/session-1.scope/nk-c1" (mode 0755) <- linux.cgroupsPath']);
  cg.apply({}); // no limits asked: nothing is needed
  const scope = `${host.root}/user.slice/user-0.slice/session-1.scope`;
  t.throws(() => cg.apply({ memory: { limit: 1 << 20 } }), {
    name: 'UserError',
    message: `linux.resources.memory: the memory controller is not available to ${scope}/nk-c1: ` +
      `${scope}/cgroup.subtree_control does not enable it, and nk-runtime does not change cgroups it did not create`,
    hint: new RegExp(`^enable it there \\(echo \\+memory > ${scope}/cgroup.subtree_control\\)`),
  });
  t.same(host.take(), [], 'no write was tried');
  t.equal(host.read('user.slice/user-0.slice/session-1.scope/cgroup.subtree_control'), '');
  cg.destroy();
  t.ok(host.exists('user.slice/user-0.slice/session-1.scope'));
});

t.test('a partly delegating parent: what it passes on is enabled and usable, the rest is an error', async (t) => {
  const host = fakeHost(t, '/user.slice/user-0.slice');
  const cg = host.open('c1', 'grp/c1');
  cg.create();
  t.same(host.take(), [
    'mkdir -p "/user.slice/user-0.slice/grp" (mode 0755) <- linux.cgroupsPath',
    'write("/user.slice/user-0.slice/grp/cgroup.subtree_control", "+memory +pids") <- linux.resources',
    'mkdir -p "/user.slice/user-0.slice/grp/c1" (mode 0755) <- linux.cgroupsPath',
  ]);
  cg.apply({ memory: { limit: -1 }, pids: { limit: -1 } });
  t.same(host.take(), [
    'write("/user.slice/user-0.slice/grp/c1/memory.max", "max") <- linux.resources.memory.limit',
    'write("/user.slice/user-0.slice/grp/c1/memory.swap.max", "max") <- linux.resources.memory.swap',
    'write("/user.slice/user-0.slice/grp/c1/pids.max", "max") <- linux.resources.pids.limit',
  ], '-1 is "max"; no memory limit means no swap limit either');
  t.throws(() => cg.apply({ cpu: { shares: 1024 } }), { name: 'UserError', message: /^linux.resources.cpu: the cpu controller is not available/ });
  cg.destroy();
  t.notOk(host.exists('user.slice/user-0.slice/grp'));
  t.equal(host.read('user.slice/user-0.slice/cgroup.subtree_control'), 'memory pids');
});

t.test('cpu.max: the quota or "max", and the period only when given', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1', '/c1');
  cg.create();
  host.take();
  cg.apply({ cpu: { quota: 50000 } });
  cg.apply({ cpu: { period: 20000 } });
  cg.apply({ cpu: { quota: -1, period: 100000 } });
  t.same(host.take(), [
    'write("/c1/cpu.max", "50000") <- linux.resources.cpu.quota',
    'write("/c1/cpu.max", "max 20000") <- linux.resources.cpu.period',
    'write("/c1/cpu.max", "max 100000") <- linux.resources.cpu.quota, linux.resources.cpu.period',
  ]);
});

t.test('without swap accounting, "no swap limit" is quietly true; a real swap limit is an error', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1', '/c1');
  cg.create();
  fs.rmSync(path.join(cg.placement.dirs.unified, 'memory.swap.max'));
  host.take();
  cg.apply({ memory: { limit: 1 << 20, swap: 1 << 20 } }); // swap.max "0": no swap, already so
  t.same(host.take(), ['write("/c1/memory.max", "1048576") <- linux.resources.memory.limit']);
  t.throws(() => cg.apply({ memory: { limit: 1 << 20, swap: 2 << 20 } }), { message: /memory.swap.max does not exist/ });
});

t.test('cpu.shares becomes cpu.weight exactly as runc converts it', async (t) => {
  t.equal(cpuSharesToWeight(2), 1, 'the smallest share is the smallest weight');
  t.equal(cpuSharesToWeight(262144), 10000, 'the largest share is the largest weight');
  t.equal(cpuSharesToWeight(1024), 39, 'v1\'s default is not v2\'s default (100)');
  t.equal(cpuSharesToWeight(512), 20);
  t.equal(cpuSharesToWeight(0), 0, '0 is "not set"');
});

t.test('OCI swap (memory+swap) becomes memory.swap.max (swap alone) as runc converts it', async (t) => {
  t.equal(swapMaxValue(100, 300), '200');
  t.equal(swapMaxValue(100, 100), '0', 'equal limits: no swap at all');
  t.equal(swapMaxValue(100, -1), 'max');
  t.equal(swapMaxValue(-1, undefined), 'max');
  t.equal(swapMaxValue(100, undefined), undefined, 'nothing to write');
  t.equal(swapMaxValue(undefined, undefined), undefined);
  t.throws(() => swapMaxValue(undefined, 300), { message: /needs linux.resources.memory.limit too/ });
  t.throws(() => swapMaxValue(300, 100), { message: /must be at least linux.resources.memory.limit/ });
});

t.test('v2: every other resource, the exact files and values', async (t) => {
  const host = fakeHost(t, undefined, '+cpuset +cpu +io +memory +hugetlb +pids +rdma');
  const cg = host.open('c1', '/nk/c1');
  cg.create();
  t.equal(host.take()[1], 'write("/nk/cgroup.subtree_control", "+cpuset +cpu +io +memory +hugetlb +pids +rdma") <- linux.resources');
  cg.apply({
    memory: { limit: 64 << 20, reservation: 32 << 20 },
    cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0-1', mems: '0', burst: 1000, idle: 1 },
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 16, rate: 0 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }],
    rdma: { mlx4_0: { hcaHandles: 2 } },
    unified: { 'memory.high': '50331648', 'cgroup.max.depth': '2' },
  });
  t.same(host.take(), [
    'write("/nk/c1/memory.max", "67108864") <- linux.resources.memory.limit',
    'write("/nk/c1/memory.low", "33554432") <- linux.resources.memory.reservation',
    'write("/nk/c1/cpu.weight", "39") <- linux.resources.cpu.shares',
    'write("/nk/c1/cpu.max", "50000 100000") <- linux.resources.cpu.quota, linux.resources.cpu.period',
    'write("/nk/c1/cpuset.cpus", "0-1") <- linux.resources.cpu.cpus',
    'write("/nk/c1/cpuset.mems", "0") <- linux.resources.cpu.mems',
    'write("/nk/c1/cpu.max.burst", "1000") <- linux.resources.cpu.burst',
    'write("/nk/c1/cpu.idle", "1") <- linux.resources.cpu.idle',
    'write("/nk/c1/io.weight", "default 4950") <- linux.resources.blockIO.weight',
    'write("/nk/c1/io.weight", "8:0 10000") <- linux.resources.blockIO.weightDevice[0]',
    'write("/nk/c1/io.max", "8:0 rbps=1048576") <- linux.resources.blockIO.throttleReadBpsDevice[0]',
    'write("/nk/c1/io.max", "8:16 wiops=max") <- linux.resources.blockIO.throttleWriteIOPSDevice[0]',
    'write("/nk/c1/hugetlb.2MB.max", "4194304") <- linux.resources.hugepageLimits[0]',
    'write("/nk/c1/rdma.max", "mlx4_0 hca_handle=2") <- linux.resources.rdma.mlx4_0',
    'write("/nk/c1/memory.high", "50331648") <- linux.resources.unified["memory.high"]',
    'write("/nk/c1/cgroup.max.depth", "2") <- linux.resources.unified["cgroup.max.depth"]',
  ], 'shares 1024 -> weight 39 and blkio weight 500 -> io.weight 4950, as runc maps them');
  t.equal(host.read('nk/c1/memory.high'), '50331648');
  cg.destroy();
});

t.test('v2: v1-only fields, a bad unified key, and a controller not delegated are refused', async (t) => {
  const host = fakeHost(t, undefined, '+cpuset +cpu +io +memory +hugetlb +pids +rdma');
  const cg = host.open('c2', '/nk/c2');
  cg.create();
  for (const [resources, message] of [
    [{ memory: { swappiness: 10 } }, /linux.resources.memory.swappiness: cgroup v1 only/],
    [{ memory: { disableOOMKiller: true } }, /disableOOMKiller: cgroup v1 only/],
    [{ memory: { kernel: 1 } }, /memory.kernel: cgroup v1 only/],
    [{ cpu: { realtimeRuntime: 1000 } }, /cgroup v2 has no realtime CPU budget/],
    [{ network: { classID: 1 } }, /linux.resources.network: cgroup v2 has no net_cls/],
    [{ unified: { '../x.y': '1' } }, /unified\["..\/x.y"\]: must be the name of a file of the cgroup/],
    [{ unified: { nodot: '1' } }, /must be the name of a file/],
    [{ unified: { 'misc.max': '1' } }, /the misc controller is not available/],
  ] as const) {
    t.throws(() => cg.apply(resources as never), message);
  }
  host.take();
  cg.apply({ memory: { swappiness: -1 }, network: {} });
  t.same(host.take(), [], 'the "not set" values write nothing');
  cg.destroy();

  // The session's own tree passes on memory and pids only.
  const narrow = fakeHost(t);
  const c3 = narrow.open('c3');
  c3.create();
  t.throws(() => c3.apply({ cpu: { cpus: '0' } }), /linux.resources.cpu.cpus: the cpuset controller is not available/);
  c3.destroy();
});

t.test('v1 blkio weights on v2\'s io.weight scale', async (t) => {
  const { blkioWeightToIoWeight } = await import('../../src/linux/cgroups/v2');
  t.equal(blkioWeightToIoWeight(10), 1);
  t.equal(blkioWeightToIoWeight(500), 4950);
  t.equal(blkioWeightToIoWeight(1000), 10000);
  t.equal(blkioWeightToIoWeight(0), 0);
});

t.test('v2: the device allow-list is a BPF program attached to the cgroup, replaced on update', async (t) => {
  const host = fakeHost(t);
  const cg = host.open('c1', '/nk/c1');
  cg.create();
  const dir = cg.placement.dirs.unified;
  host.take();
  cg.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 200, access: 'rw' }] });
  t.same(host.take(), [
    'open("/nk/c1", 0x10000, 00) = fd #0 <- linux.resources.devices',
    'bpf(BPF_PROG_QUERY, {target_fd: #0, attach_type: BPF_CGROUP_DEVICE}) = none attached <- linux.resources.devices',
    'bpf(BPF_PROG_LOAD, {prog_type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: 55 instructions, license: "GPL", prog_name: "nk_devices"}) = fd #1 <- linux.resources.devices',
    'bpf(BPF_PROG_ATTACH, {target_fd: #0, attach_bpf_fd: #1, attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI}) <- linux.resources.devices',
    'close(#1) <- linux.resources.devices',
    'close(#0) <- linux.resources.devices',
  ], 'no file is written: v2 has no devices.allow, and the program needs no controller');
  t.same(host.fake.attached.get(dir), [1], 'one program on the container\'s cgroup');
  t.same(host.fake.allows(dir, 10, 200), [1], '/dev/net/tun, as the config allows');
  t.same(host.fake.allows(dir, 1, 3), [1], '/dev/null, one of the devices every container gets');
  t.same(host.fake.allows(dir, 1, 11), [0], '/dev/kmsg: denied');
  t.same(host.fake.allows(dir, 10, 200, 1), [0], 'creating the tun node (m) was not allowed');
  t.notOk(host.fake.attached.has(path.dirname(dir)), 'nothing on the parent');

  // update, from another process: only the saved placement is known
  const later = cgroupFromPlacement(host.kernel, JSON.parse(JSON.stringify(cg.placement)));
  later.apply({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 11, access: 'r' }] });
  t.same(host.take().map((s) => s.replace(/ <- linux.resources.devices$/, '')), [
    'open("/nk/c1", 0x10000, 00) = fd #0',
    'bpf(BPF_PROG_QUERY, {target_fd: #0, attach_type: BPF_CGROUP_DEVICE}) = program 1',
    'bpf(BPF_PROG_GET_FD_BY_ID, {prog_id: 1}) = fd #1',
    'bpf(BPF_PROG_LOAD, {prog_type: BPF_PROG_TYPE_CGROUP_DEVICE, insns: 55 instructions, license: "GPL", prog_name: "nk_devices"}) = fd #2',
    'bpf(BPF_PROG_ATTACH, {target_fd: #0, attach_bpf_fd: #2, attach_type: BPF_CGROUP_DEVICE, attach_flags: BPF_F_ALLOW_MULTI})',
    'bpf(BPF_PROG_DETACH, {target_fd: #0, attach_bpf_fd: #1, attach_type: BPF_CGROUP_DEVICE})',
    'close(#2)',
    'close(#1)',
    'close(#0)',
  ], 'the new program is attached before the old one goes: never a moment without an allow-list');
  t.same(host.fake.attached.get(dir), [2], 'only the new program is left');
  t.same(host.fake.allows(dir, 1, 11, READ), [1], '/dev/kmsg may now be read...');
  t.same(host.fake.allows(dir, 1, 11, WRITE), [0], '...not written');
  t.same(host.fake.allows(dir, 10, 200), [0], 'and the tun device is gone from the list');

  t.throws(() => later.apply({ devices: [{ allow: true, type: 'c', access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }] }), {
    name: 'UserError',
    message: /linux.resources.devices\[1\]: "deny c 1:3 rwm" cannot take access away from the wider rule "c \*:\* rwm"/,
  });
  t.same(host.take(), [], 'a list that cannot be compiled calls nothing');
  t.same(host.fake.attached.get(dir), [2], 'and leaves the program in place');
  cg.destroy();
});
