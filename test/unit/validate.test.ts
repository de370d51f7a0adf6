import t from 'tap';
import { validateSpec } from '../../src/oci/validate';
import { UserError } from '../../src/errors';

/** A small config that passes, made fresh for each case. */
function goodConfig(): any {
  return {
    ociVersion: '1.2.0',
    process: {
      user: { uid: 0, gid: 0 },
      args: ['sh', '-c', 'echo hi'],
      env: ['PATH=/bin', 'EMPTY='],
      cwd: '/',
      rlimits: [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: 1024 }],
      noNewPrivileges: true,
    },
    root: { path: 'rootfs', readonly: true },
    hostname: 'box',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc' },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'mode=755'] },
    ],
    linux: {
      namespaces: [{ type: 'pid' }, { type: 'mount' }, { type: 'uts' }, { type: 'network', path: '/proc/1/ns/net' }],
      resources: { memory: { limit: 104857600 }, pids: { limit: 64 } },
      cgroupsPath: 'nk/demo',
      rootfsPropagation: 'rprivate',
    },
  };
}

/** The message validateSpec throws for a good config changed by `change`. */
function errorAfter(change: (config: any) => void): string {
  const config = goodConfig();
  change(config);
  try {
    validateSpec(config);
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  return '(accepted)';
}

t.test('a good config passes and comes back as it was', async (t) => {
  const config = goodConfig();
  t.equal(validateSpec(config), config);
});

t.test('unknown fields are allowed', async (t) => {
  t.equal(errorAfter((c) => { c.futureField = { x: 1 }; c.process.somethingNew = true; c.linux.netDevices = {}; }), '(accepted)');
});

t.test('optional parts may be left out', async (t) => {
  t.equal(errorAfter((c) => { delete c.mounts; delete c.linux; delete c.hostname; delete c.process.env; delete c.process.rlimits; }), '(accepted)');
});

t.test('limits of -1 mean unlimited', async (t) => {
  t.equal(errorAfter((c) => { c.linux.resources.memory = { limit: -1, swap: -1 }; c.linux.resources.cpu = { quota: -1 }; c.linux.resources.pids.limit = -1; }), '(accepted)');
});

// Each bad config, and the exact message: the JSON path of the first problem, what was expected, what was found.
const cases: [string, (c: any) => void, string][] = [
  ['ociVersion missing', (c) => { delete c.ociVersion; }, 'config.json: ociVersion: must be a string, found nothing'],
  ['ociVersion a number', (c) => { c.ociVersion = 1.2; }, 'config.json: ociVersion: must be a string, found 1.2'],
  ['process missing', (c) => { delete c.process; }, 'config.json: process: must be an object, found nothing'],
  ['process an array', (c) => { c.process = []; }, 'config.json: process: must be an object, found []'],
  ['args empty', (c) => { c.process.args = []; }, 'config.json: process.args: must be a non-empty array of strings, found []'],
  ['args missing', (c) => { delete c.process.args; }, 'config.json: process.args: must be a non-empty array of strings, found nothing'],
  ['args a string', (c) => { c.process.args = 'sh -c true'; }, 'config.json: process.args: must be a non-empty array of strings, found "sh -c true"'],
  ['args with a number', (c) => { c.process.args = ['sleep', 10]; }, 'config.json: process.args[1]: must be a string, found 10'],
  ['args[0] empty', (c) => { c.process.args = ['']; }, 'config.json: process.args[0]: must name the program to run, found ""'],
  ['cwd relative', (c) => { c.process.cwd = 'tmp'; }, 'config.json: process.cwd: must be an absolute path, found "tmp"'],
  ['cwd missing', (c) => { delete c.process.cwd; }, 'config.json: process.cwd: must be an absolute path, found nothing'],
  ['user missing', (c) => { delete c.process.user; }, 'config.json: process.user: must be an object, found nothing'],
  ['uid negative', (c) => { c.process.user.uid = -1; }, 'config.json: process.user.uid: must be an integer from 0 to 4294967295, found -1'],
  ['gid a string', (c) => { c.process.user.gid = '0'; }, 'config.json: process.user.gid: must be an integer from 0 to 4294967295, found "0"'],
  ['uid a fraction', (c) => { c.process.user.uid = 1.5; }, 'config.json: process.user.uid: must be an integer from 0 to 4294967295, found 1.5'],
  ['additionalGids bad', (c) => { c.process.user.additionalGids = [5, 'x']; }, 'config.json: process.user.additionalGids[1]: must be an integer from 0 to 4294967295, found "x"'],
  ['env without =', (c) => { c.process.env = ['PATH=/bin', 'FOO']; }, 'config.json: process.env[1]: must be a "KEY=VALUE" string, found "FOO"'],
  ['env with empty key', (c) => { c.process.env = ['=x']; }, 'config.json: process.env[0]: must be a "KEY=VALUE" string, found "=x"'],
  ['env not an array', (c) => { c.process.env = { PATH: '/bin' }; }, 'config.json: process.env: must be an array, found {"PATH":"/bin"}'],
  ['terminal a string', (c) => { c.process.terminal = 'yes'; }, 'config.json: process.terminal: must be true or false, found "yes"'],
  ['noNewPrivileges a number', (c) => { c.process.noNewPrivileges = 1; }, 'config.json: process.noNewPrivileges: must be true or false, found 1'],
  ['oomScoreAdj too big', (c) => { c.process.oomScoreAdj = 2000; }, 'config.json: process.oomScoreAdj: must be an integer from -1000 to 1000, found 2000'],
  ['capabilities set not an array', (c) => { c.process.capabilities = { bounding: 'CAP_KILL' }; }, 'config.json: process.capabilities.bounding: must be an array, found "CAP_KILL"'],
  ['rlimit unknown', (c) => { c.process.rlimits[0].type = 'RLIMIT_FOO'; }, 'config.json: process.rlimits[0].type: must be a resource Linux knows, like "RLIMIT_NOFILE", found "RLIMIT_FOO"'],
  ['rlimit without prefix', (c) => { c.process.rlimits[0].type = 'NOFILE'; }, 'config.json: process.rlimits[0].type: must be a resource Linux knows, like "RLIMIT_NOFILE", found "NOFILE"'],
  ['rlimit named after Object', (c) => { c.process.rlimits[0].type = 'constructor'; }, 'config.json: process.rlimits[0].type: must be a resource Linux knows, like "RLIMIT_NOFILE", found "constructor"'],
  ['rlimit soft negative', (c) => { c.process.rlimits[0].soft = -5; }, 'config.json: process.rlimits[0].soft: must be a non-negative integer, found -5'],
  ['rlimit hard missing', (c) => { delete c.process.rlimits[0].hard; }, 'config.json: process.rlimits[0].hard: must be a non-negative integer, found nothing'],
  ['rlimit soft above hard', (c) => { c.process.rlimits[0] = { type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }; }, 'config.json: process.rlimits[0].soft: must be at most hard (1024), found 2048'],
  [
    'rlimit twice',
    (c) => { c.process.rlimits.push({ type: 'RLIMIT_CORE', soft: 0, hard: 0 }, { type: 'RLIMIT_NOFILE', soft: 1, hard: 1 }); },
    'config.json: process.rlimits[2].type: must not repeat process.rlimits[0].type, found "RLIMIT_NOFILE"',
  ],
  ['root missing', (c) => { delete c.root; }, 'config.json: root: must be an object, found nothing'],
  ['root.path empty', (c) => { c.root.path = ''; }, 'config.json: root.path: must be a non-empty string, found ""'],
  ['root.readonly a string', (c) => { c.root.readonly = 'true'; }, 'config.json: root.readonly: must be true or false, found "true"'],
  ['hostname a number', (c) => { c.hostname = 7; }, 'config.json: hostname: must be a string, found 7'],
  ['mounts an object', (c) => { c.mounts = { '/proc': 'proc' }; }, 'config.json: mounts: must be an array, found {"/proc":"proc"}'],
  ['mount destination relative', (c) => { c.mounts.push({ destination: 'data', type: 'bind', source: '/srv' }); }, 'config.json: mounts[2].destination: must be an absolute path, found "data"'],
  ['mount destination missing', (c) => { delete c.mounts[1].destination; }, 'config.json: mounts[1].destination: must be an absolute path, found nothing'],
  ['mount options not strings', (c) => { c.mounts[1].options = ['nosuid', 755]; }, 'config.json: mounts[1].options[1]: must be a string, found 755'],
  ['mount is null', (c) => { c.mounts[0] = null; }, 'config.json: mounts[0]: must be an object, found null'],
  ['hook path relative', (c) => { c.hooks = { poststop: [{ path: 'cleanup.sh' }] }; }, 'config.json: hooks.poststop[0].path: must be an absolute path, found "cleanup.sh"'],
  ['hook timeout zero', (c) => { c.hooks = { createRuntime: [{ path: '/bin/true', timeout: 0 }] }; }, 'config.json: hooks.createRuntime[0].timeout: must be a positive integer, found 0'],
  ['annotation not a string', (c) => { c.annotations = { 'org.example.n': 3 }; }, 'config.json: annotations["org.example.n"]: must be a string, found 3'],
  ['linux an array', (c) => { c.linux = []; }, 'config.json: linux: must be an object, found []'],
  ['namespace type unknown', (c) => { c.linux.namespaces[1].type = 'net'; }, 'config.json: linux.namespaces[1].type: must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", found "net"'],
  ['namespace twice', (c) => { c.linux.namespaces.push({ type: 'pid' }); }, 'config.json: linux.namespaces[4].type: must not repeat linux.namespaces[0].type, found "pid"'],
  ['namespace path relative', (c) => { c.linux.namespaces[3].path = 'ns/net'; }, 'config.json: linux.namespaces[3].path: must be an absolute path, found "ns/net"'],
  ['hostname without uts', (c) => { c.linux.namespaces.splice(2, 1); }, 'config.json: hostname: can only be set with a "uts" namespace in linux.namespaces, found "box"'],
  ['hostname without linux', (c) => { delete c.linux; }, 'config.json: hostname: can only be set with a "uts" namespace in linux.namespaces, found "box"'],
  ['cgroupsPath a number', (c) => { c.linux.cgroupsPath = 5; }, 'config.json: linux.cgroupsPath: must be a string, found 5'],
  ['rootfsPropagation unknown', (c) => { c.linux.rootfsPropagation = 'rshare'; }, 'config.json: linux.rootfsPropagation: must be one of "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable", found "rshare"'],
  ['sysctl value a number', (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': 1 }; }, 'config.json: linux.sysctl["net.ipv4.ip_forward"]: must be a string, found 1'],
  ['sysctl not namespaced', (c) => { c.linux.sysctl = { 'vm.swappiness': '10' }; }, 'config.json: linux.sysctl["vm.swappiness"]: not namespaced: it would change the whole machine, not the container'],
  ['sysctl without its namespace', (c) => { c.linux.sysctl = { 'net.ipv4.ip_forward': '1' }; c.linux.namespaces = c.linux.namespaces.filter((n: { type: string }) => n.type !== 'network'); }, 'config.json: linux.sysctl["net.ipv4.ip_forward"]: needs a "network" namespace in linux.namespaces, or it would change the host\'s'],
  ['maskedPaths relative', (c) => { c.linux.maskedPaths = ['/proc/kcore', 'proc/keys']; }, 'config.json: linux.maskedPaths[1]: must be an absolute path, found "proc/keys"'],
  ['memory limit a string', (c) => { c.linux.resources.memory.limit = '100M'; }, 'config.json: linux.resources.memory.limit: must be a non-negative integer or -1 (unlimited), found "100M"'],
  ['memory limit -2', (c) => { c.linux.resources.memory.limit = -2; }, 'config.json: linux.resources.memory.limit: must be a non-negative integer or -1 (unlimited), found -2'],
  ['memory limit fractional', (c) => { c.linux.resources.memory.limit = 1.5e3 + 0.5; }, 'config.json: linux.resources.memory.limit: must be a non-negative integer or -1 (unlimited), found 1500.5'],
  ['swappiness too big', (c) => { c.linux.resources.memory.swappiness = 101; }, 'config.json: linux.resources.memory.swappiness: must be an integer from 0 to 100, found 101'],
  ['cpu shares negative', (c) => { c.linux.resources.cpu = { shares: -1 }; }, 'config.json: linux.resources.cpu.shares: must be a non-negative integer, found -1'],
  ['cpu cpus a number', (c) => { c.linux.resources.cpu = { cpus: 0 }; }, 'config.json: linux.resources.cpu.cpus: must be a string, found 0'],
  ['pids limit missing', (c) => { c.linux.resources.pids = {}; }, 'config.json: linux.resources.pids.limit: must be a non-negative integer or -1 (unlimited), found nothing'],
  ['blockIO weight too big', (c) => { c.linux.resources.blockIO = { weight: 70000 }; }, 'config.json: linux.resources.blockIO.weight: must be an integer from 0 to 65535, found 70000'],
  [
    'throttle rate missing',
    (c) => { c.linux.resources.blockIO = { throttleReadBpsDevice: [{ major: 8, minor: 0 }] }; },
    'config.json: linux.resources.blockIO.throttleReadBpsDevice[0].rate: must be a non-negative integer, found nothing',
  ],
  ['hugepage limit bad', (c) => { c.linux.resources.hugepageLimits = [{ pageSize: '2MB', limit: '1G' }]; }, 'config.json: linux.resources.hugepageLimits[0].limit: must be a non-negative integer, found "1G"'],
  ['network classID bad', (c) => { c.linux.resources.network = { classID: -1 }; }, 'config.json: linux.resources.network.classID: must be an integer from 0 to 4294967295, found -1'],
  ['rdma bad', (c) => { c.linux.resources.rdma = { mlx5_1: { hcaHandles: 'x' } }; }, 'config.json: linux.resources.rdma["mlx5_1"].hcaHandles: must be an integer from 0 to 4294967295, found "x"'],
  ['unified value a number', (c) => { c.linux.resources.unified = { 'memory.high': 5 }; }, 'config.json: linux.resources.unified["memory.high"]: must be a string, found 5'],
  ['device rule without allow', (c) => { c.linux.resources.devices = [{ access: 'rwm' }]; }, 'config.json: linux.resources.devices[0].allow: must be true or false, found nothing'],
  ['device rule bad access', (c) => { c.linux.resources.devices = [{ allow: false, access: 'rwx' }]; }, 'config.json: linux.resources.devices[0].access: must be made of the letters r, w and m, found "rwx"'],
  ['device bad type', (c) => { c.linux.devices = [{ path: '/dev/fuse', type: 'x', major: 10, minor: 229 }]; }, 'config.json: linux.devices[0].type: must be one of "c", "b", "u", "p", found "x"'],
  ['device without major', (c) => { c.linux.devices = [{ path: '/dev/fuse', type: 'c', minor: 229 }]; }, 'config.json: linux.devices[0].major: must be a non-negative integer, found nothing'],
  ['seccomp without action', (c) => { c.linux.seccomp = { syscalls: [] }; }, 'config.json: linux.seccomp.defaultAction: must be one of "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP", "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_ALLOW", found nothing'],
  ['seccomp notify', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_NOTIFY' }; }, 'config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY is not supported: it hands calls to a seccomp agent (listenerPath), which nk-runtime does not have'],
  ['seccomp arch', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['x86_64'] }; }, 'config.json: linux.seccomp.architectures[0]: must be an architecture like "SCMP_ARCH_X86_64", found "x86_64"'],
  ['seccomp flag', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_FAST'] }; }, 'config.json: linux.seccomp.flags[0]: must be one of "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW", found "SECCOMP_FILTER_FLAG_FAST"'],
  ['seccomp errnoRet', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', errnoRet: -1 }] }; }, 'config.json: linux.seccomp.syscalls[0].errnoRet: must be an integer from 0 to 65535, found -1'],
  ['seccomp arg value', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 'x', op: 'SCMP_CMP_EQ' }] }] }; }, 'config.json: linux.seccomp.syscalls[0].args[0].value: must be a non-negative integer, found "x"'],
  ['seccomp names not strings', (c) => { c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: [1], action: 'SCMP_ACT_ERRNO' }] }; }, 'config.json: linux.seccomp.syscalls[0].names[0]: must be a string, found 1'],
  ['uidMappings bad', (c) => { c.linux.uidMappings = [{ containerID: 0, hostID: 1000 }]; }, 'config.json: linux.uidMappings[0].size: must be an integer from 0 to 4294967295, found nothing'],
];

for (const [name, change, expected] of cases) {
  t.test(name, async (t) => {
    t.equal(errorAfter(change), expected);
  });
}

t.test('the top level must be an object', async (t) => {
  t.throws(() => validateSpec([]), new UserError('config.json: must be an object, found []'));
  t.throws(() => validateSpec('hello'), new UserError('config.json: must be an object, found "hello"'));
  t.throws(() => validateSpec(null), new UserError('config.json: must be an object, found null'));
});

t.test('the FIRST problem is reported', async (t) => {
  t.equal(
    errorAfter((c) => { c.process.args = []; c.linux.namespaces[0].type = 'bad'; }),
    'config.json: process.args: must be a non-empty array of strings, found []',
  );
});

t.test('long values are shortened in messages', async (t) => {
  const message = errorAfter((c) => { c.process.cwd = 'x'.repeat(200); });
  t.equal(message, `config.json: process.cwd: must be an absolute path, found "${'x'.repeat(35)}..."`);
  t.equal(errorAfter((c) => { c.mounts = { a: 'x'.repeat(100) }; }), 'config.json: mounts: must be an array, found an object');
  t.equal(errorAfter((c) => { c.process.args = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]; }), 'config.json: process.args[0]: must be a string, found 1');
});
