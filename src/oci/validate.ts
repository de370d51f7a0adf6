/**
 * Checking config.json by hand, field by field.
 *
 * JSON.parse gives an `unknown`. validateSpec walks every field nk-runtime uses, and either returns
 * the same value typed as a Spec, or throws a UserError about the FIRST problem it meets, naming
 * the field by its JSON path:
 *
 *   config.json: process.args: must be a non-empty array of strings, found []
 *   config.json: linux.namespaces[1].type: must be one of "pid", "network", ..., found "net"
 *
 * Fields it does not know are left alone: a newer version of the specification may add some.
 * No schema library: each check is a small function that takes the path and the value.
 */
import { UserError } from '../errors';
import { CAPABILITIES } from '../linux/capabilities';
import { RLIMIT } from '../linux/constants';
import { ACTIONS, COMPARISONS, FILTER_FLAGS } from '../linux/seccomp/actions';
import { NAMESPACE_TYPES, type ValidatedSpec } from './spec';

/** A JSON object, before we know what is in it. */
type JsonObject = Record<string, unknown>;

/** Check `value` and return it typed as a Spec, or throw a UserError about its first problem. */
export function validateSpec(value: unknown): ValidatedSpec {
  const spec = expectObject('', value); // '' is the path of the whole file
  expectString('ociVersion', spec.ociVersion);
  checkProcess('process', spec.process);
  checkRoot('root', spec.root);
  optional('hostname', spec.hostname, expectString);
  optional('domainname', spec.domainname, expectString);
  optional('mounts', spec.mounts, checkMounts);
  optional('hooks', spec.hooks, checkHooks);
  optional('annotations', spec.annotations, expectStringMap);
  optional('linux', spec.linux, checkLinux);
  checkUtsNamespaceFor('hostname', spec);
  checkUtsNamespaceFor('domainname', spec);
  checkSysctlNamespaces(spec);
  return value as ValidatedSpec;
}

// ---------------------------------------------------------------------------------------------
// Reporting

/** Throw the one-line error: `config.json: <path>: <expected>, found <found>`. */
function fail(path: string, expected: string, found: unknown): never {
  const where = path === '' ? 'config.json' : `config.json: ${path}`;
  throw new UserError(`${where}: ${expected}, found ${describe(found)}`);
}

/** A short, one-line picture of a value: "sh", 1.5, [], null, an object, nothing. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  if (json.length <= 40) return json;
  if (typeof value === 'string') return `${json.slice(0, 36)}..."`;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  return 'an object';
}

/** The path of a key in a map: `linux.sysctl["net.ipv4.ip_forward"]`. */
function keyPath(path: string, key: string): string {
  return `${path}[${JSON.stringify(key)}]`;
}

// ---------------------------------------------------------------------------------------------
// Small checks, each (path, value) => the value with its type

/** Run a check only when the field is there: most fields are optional. */
function optional(path: string, value: unknown, check: (path: string, value: unknown) => unknown): void {
  if (value !== undefined) check(path, value);
}

function expectObject(path: string, value: unknown): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(path, 'must be an object', value);
  return value as JsonObject;
}

function expectArray(path: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) fail(path, 'must be an array', value);
  return value;
}

function expectString(path: string, value: unknown): string {
  if (typeof value !== 'string') fail(path, 'must be a string', value);
  return value;
}

function expectNonEmptyString(path: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') fail(path, 'must be a non-empty string', value);
  return value;
}

function expectBoolean(path: string, value: unknown): boolean {
  if (typeof value !== 'boolean') fail(path, 'must be true or false', value);
  return value;
}

function expectAbsolutePath(path: string, value: unknown): string {
  if (typeof value !== 'string' || !value.startsWith('/')) fail(path, 'must be an absolute path', value);
  return value;
}

function expectOneOf(path: string, value: unknown, choices: readonly string[]): string {
  if (typeof value !== 'string' || !choices.includes(value)) {
    fail(path, `must be one of ${choices.map((c) => JSON.stringify(c)).join(', ')}`, value);
  }
  return value;
}

function expectStringArray(path: string, value: unknown): string[] {
  expectArray(path, value).forEach((item, i) => expectString(`${path}[${i}]`, item));
  return value as string[];
}

function expectAbsolutePaths(path: string, value: unknown): string[] {
  expectArray(path, value).forEach((item, i) => expectAbsolutePath(`${path}[${i}]`, item));
  return value as string[];
}

/** An object whose values are all strings, like annotations or sysctl. */
function expectStringMap(path: string, value: unknown): Record<string, string> {
  for (const [key, item] of Object.entries(expectObject(path, value))) expectString(keyPath(path, key), item);
  return value as Record<string, string>;
}

/** Run `check` on every element of an array, with paths like `mounts[3]`. */
function eachItem(path: string, value: unknown, check: (path: string, value: unknown) => unknown): void {
  expectArray(path, value).forEach((item, i) => check(`${path}[${i}]`, item));
}

// Integers. JSON has only "numbers"; the specification's int64/uint32/... are ranges of them.

function expectIntegerIn(path: string, value: unknown, min: number, max: number, words: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    fail(path, `must be ${words}`, value);
  }
  return value;
}

function expectInteger(path: string, value: unknown): number {
  return expectIntegerIn(path, value, -Infinity, Infinity, 'an integer');
}

function expectNonNegativeInteger(path: string, value: unknown): number {
  return expectIntegerIn(path, value, 0, Infinity, 'a non-negative integer');
}

function expectPositiveInteger(path: string, value: unknown): number {
  return expectIntegerIn(path, value, 1, Infinity, 'a positive integer');
}

function expectUint32(path: string, value: unknown): number {
  return expectIntegerIn(path, value, 0, 0xffffffff, 'an integer from 0 to 4294967295');
}

function expectUint16(path: string, value: unknown): number {
  return expectIntegerIn(path, value, 0, 0xffff, 'an integer from 0 to 65535');
}

/** A cgroup limit: a number of bytes (or tasks, or microseconds), or -1 for "unlimited". */
function expectLimit(path: string, value: unknown): number {
  return expectIntegerIn(path, value, -1, Infinity, 'a non-negative integer or -1 (unlimited)');
}

// ---------------------------------------------------------------------------------------------
// root and process

function checkRoot(path: string, value: unknown): void {
  const root = expectObject(path, value);
  expectNonEmptyString(`${path}.path`, root.path);
  optional(`${path}.readonly`, root.readonly, expectBoolean);
}

function checkProcess(path: string, value: unknown): void {
  const proc = expectObject(path, value);
  optional(`${path}.terminal`, proc.terminal, expectBoolean);
  optional(`${path}.consoleSize`, proc.consoleSize, checkConsoleSize);
  checkUser(`${path}.user`, proc.user);
  checkArgs(`${path}.args`, proc.args);
  optional(`${path}.env`, proc.env, checkEnv);
  expectAbsolutePath(`${path}.cwd`, proc.cwd);
  optional(`${path}.capabilities`, proc.capabilities, checkCapabilities);
  optional(`${path}.rlimits`, proc.rlimits, checkRlimits);
  optional(`${path}.noNewPrivileges`, proc.noNewPrivileges, expectBoolean);
  optional(`${path}.apparmorProfile`, proc.apparmorProfile, expectString);
  optional(`${path}.oomScoreAdj`, proc.oomScoreAdj, (p, v) => expectIntegerIn(p, v, -1000, 1000, 'an integer from -1000 to 1000'));
  optional(`${path}.selinuxLabel`, proc.selinuxLabel, expectString);
  optional(`${path}.scheduler`, proc.scheduler, expectObject);
  optional(`${path}.ioPriority`, proc.ioPriority, expectObject);
}

function checkConsoleSize(path: string, value: unknown): void {
  const box = expectObject(path, value);
  expectUint32(`${path}.height`, box.height);
  expectUint32(`${path}.width`, box.width);
}

function checkUser(path: string, value: unknown): void {
  const user = expectObject(path, value);
  expectUint32(`${path}.uid`, user.uid);
  expectUint32(`${path}.gid`, user.gid);
  optional(`${path}.umask`, user.umask, expectUint32);
  optional(`${path}.additionalGids`, user.additionalGids, (p, v) => eachItem(p, v, expectUint32));
}

/** args is execve's argv: at least the program, all strings. */
function checkArgs(path: string, value: unknown): void {
  if (!Array.isArray(value) || value.length === 0) fail(path, 'must be a non-empty array of strings', value);
  expectStringArray(path, value);
  if (value[0] === '') fail(`${path}[0]`, 'must name the program to run', value[0]);
}

/** An environment: "KEY=VALUE" strings, as execve wants them. */
function checkEnv(path: string, value: unknown): void {
  eachItem(path, value, (itemPath, item) => {
    const isKeyValue = typeof item === 'string' && item.indexOf('=') > 0 && !item.includes('\0');
    if (!isKeyValue) fail(itemPath, 'must be a "KEY=VALUE" string', item);
  });
}

function checkCapabilities(path: string, value: unknown): void {
  const caps = expectObject(path, value);
  for (const set of ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']) {
    optional(`${path}.${set}`, caps[set], (p, v) =>
      expectStringArray(p, v).forEach((name, i) => {
        if (!(CAPABILITIES as readonly string[]).includes(name)) fail(`${p}[${i}]`, 'must be a capability name like "CAP_KILL" (man 7 capabilities)', name);
      }),
    );
  }
}

/** Each rlimit names a resource Linux knows, once, with soft <= hard. */
function checkRlimits(path: string, value: unknown): void {
  const seen = new Map<string, string>(); // type -> path where it was first seen
  eachItem(path, value, (itemPath, item) => {
    const rlimit = expectObject(itemPath, item);
    const type = rlimit.type;
    if (typeof type !== 'string' || !Object.hasOwn(RLIMIT, type)) {
      fail(`${itemPath}.type`, 'must be a resource Linux knows, like "RLIMIT_NOFILE"', type);
    }
    const earlier = seen.get(type);
    if (earlier) fail(`${itemPath}.type`, `must not repeat ${earlier}.type`, type);
    seen.set(type, itemPath);
    const soft = expectNonNegativeInteger(`${itemPath}.soft`, rlimit.soft);
    const hard = expectNonNegativeInteger(`${itemPath}.hard`, rlimit.hard);
    if (soft > hard) fail(`${itemPath}.soft`, `must be at most hard (${hard})`, soft);
  });
}

// ---------------------------------------------------------------------------------------------
// mounts and hooks

function checkMounts(path: string, value: unknown): void {
  eachItem(path, value, (itemPath, item) => {
    const mount = expectObject(itemPath, item);
    expectAbsolutePath(`${itemPath}.destination`, mount.destination);
    optional(`${itemPath}.type`, mount.type, expectString);
    optional(`${itemPath}.source`, mount.source, expectString);
    optional(`${itemPath}.options`, mount.options, expectStringArray);
    optional(`${itemPath}.uidMappings`, mount.uidMappings, checkIdMappings);
    optional(`${itemPath}.gidMappings`, mount.gidMappings, checkIdMappings);
  });
}

function checkIdMappings(path: string, value: unknown): void {
  eachItem(path, value, (itemPath, item) => {
    const mapping = expectObject(itemPath, item);
    expectUint32(`${itemPath}.containerID`, mapping.containerID);
    expectUint32(`${itemPath}.hostID`, mapping.hostID);
    expectUint32(`${itemPath}.size`, mapping.size);
  });
}

const HOOK_NAMES = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

function checkHooks(path: string, value: unknown): void {
  const hooks = expectObject(path, value);
  for (const name of HOOK_NAMES) optional(`${path}.${name}`, hooks[name], (p, v) => eachItem(p, v, checkHook));
}

function checkHook(path: string, value: unknown): void {
  const hook = expectObject(path, value);
  expectAbsolutePath(`${path}.path`, hook.path);
  optional(`${path}.args`, hook.args, expectStringArray);
  optional(`${path}.env`, hook.env, checkEnv);
  optional(`${path}.timeout`, hook.timeout, expectPositiveInteger);
}

// ---------------------------------------------------------------------------------------------
// linux

const ROOTFS_PROPAGATIONS = ['private', 'rprivate', 'slave', 'rslave', 'shared', 'rshared', 'unbindable', 'runbindable'];

function checkLinux(path: string, value: unknown): void {
  const linux = expectObject(path, value);
  optional(`${path}.namespaces`, linux.namespaces, checkNamespaces);
  optional(`${path}.uidMappings`, linux.uidMappings, checkIdMappings);
  optional(`${path}.gidMappings`, linux.gidMappings, checkIdMappings);
  optional(`${path}.sysctl`, linux.sysctl, expectStringMap);
  optional(`${path}.resources`, linux.resources, checkResources);
  optional(`${path}.cgroupsPath`, linux.cgroupsPath, expectString);
  optional(`${path}.devices`, linux.devices, checkDevices);
  optional(`${path}.seccomp`, linux.seccomp, checkSeccomp);
  optional(`${path}.rootfsPropagation`, linux.rootfsPropagation, (p, v) => expectOneOf(p, v, ROOTFS_PROPAGATIONS));
  optional(`${path}.maskedPaths`, linux.maskedPaths, expectAbsolutePaths);
  optional(`${path}.readonlyPaths`, linux.readonlyPaths, expectAbsolutePaths);
  optional(`${path}.mountLabel`, linux.mountLabel, expectString);
  optional(`${path}.personality`, linux.personality, (p, v) => {
    const personality = expectObject(p, v);
    expectOneOf(`${p}.domain`, personality.domain, ['LINUX', 'LINUX32']);
    optional(`${p}.flags`, personality.flags, (fp, fv) => {
      // The runtime-spec defines no flags yet.
      if (expectArray(fp, fv).length > 0) fail(fp, 'must be empty (the runtime-spec defines no personality flags)', fv);
    });
  });
}

/** Each namespace has a known type, at most once, and maybe the absolute path of one to join. */
function checkNamespaces(path: string, value: unknown): void {
  const seen = new Map<string, string>(); // type -> path where it was first seen
  eachItem(path, value, (itemPath, item) => {
    const namespace = expectObject(itemPath, item);
    const type = expectOneOf(`${itemPath}.type`, namespace.type, NAMESPACE_TYPES);
    const earlier = seen.get(type);
    if (earlier) fail(`${itemPath}.type`, `must not repeat ${earlier}.type`, type);
    seen.set(type, itemPath);
    optional(`${itemPath}.path`, namespace.path, expectAbsolutePath);
  });
}

/** Device nodes to create: mknod(2) needs a type, and a major and minor unless it is a FIFO. */
function checkDevices(path: string, value: unknown): void {
  eachItem(path, value, (itemPath, item) => {
    const device = expectObject(itemPath, item);
    expectAbsolutePath(`${itemPath}.path`, device.path);
    const type = expectOneOf(`${itemPath}.type`, device.type, ['c', 'b', 'u', 'p']);
    if (type !== 'p') {
      expectNonNegativeInteger(`${itemPath}.major`, device.major);
      expectNonNegativeInteger(`${itemPath}.minor`, device.minor);
    }
    optional(`${itemPath}.fileMode`, device.fileMode, expectUint32);
    optional(`${itemPath}.uid`, device.uid, expectUint32);
    optional(`${itemPath}.gid`, device.gid, expectUint32);
  });
}

/**
 * Seccomp: actions, comparisons and flags must be ones the filter compiler knows
 * (src/linux/seccomp/actions.ts). System call names are not checked: names this machine does not
 * have are skipped when the filter is made, as runc does.
 */
function checkSeccomp(path: string, value: unknown): void {
  const seccomp = expectObject(path, value);
  checkSeccompAction(`${path}.defaultAction`, seccomp.defaultAction);
  optional(`${path}.defaultErrnoRet`, seccomp.defaultErrnoRet, expectUint16);
  optional(`${path}.architectures`, seccomp.architectures, (p, v) =>
    expectArray(p, v).forEach((arch, i) => {
      if (typeof arch !== 'string' || !/^SCMP_ARCH_[A-Z0-9_]+$/.test(arch)) fail(`${p}[${i}]`, 'must be an architecture like "SCMP_ARCH_X86_64"', arch);
    }),
  );
  optional(`${path}.flags`, seccomp.flags, (p, v) => expectArray(p, v).forEach((flag, i) => expectOneOf(`${p}[${i}]`, flag, Object.keys(FILTER_FLAGS))));
  optional(`${path}.syscalls`, seccomp.syscalls, (p, v) =>
    eachItem(p, v, (itemPath, item) => {
      const rule = expectObject(itemPath, item);
      expectStringArray(`${itemPath}.names`, rule.names);
      checkSeccompAction(`${itemPath}.action`, rule.action);
      optional(`${itemPath}.errnoRet`, rule.errnoRet, expectUint16);
      optional(`${itemPath}.args`, rule.args, (ap, av) =>
        eachItem(ap, av, (argPath, arg) => {
          const condition = expectObject(argPath, arg);
          expectIntegerIn(`${argPath}.index`, condition.index, 0, 5, 'an argument number from 0 to 5');
          expectNonNegativeInteger(`${argPath}.value`, condition.value);
          optional(`${argPath}.valueTwo`, condition.valueTwo, expectNonNegativeInteger);
          expectOneOf(`${argPath}.op`, condition.op, COMPARISONS);
        }),
      );
    }),
  );
}

function checkSeccompAction(path: string, value: unknown): void {
  if (value === 'SCMP_ACT_NOTIFY') {
    throw new UserError(`config.json: ${path}: SCMP_ACT_NOTIFY is not supported: it hands calls to a seccomp agent (listenerPath), which nk-runtime does not have`);
  }
  expectOneOf(path, value, Object.keys(ACTIONS));
}

// ---------------------------------------------------------------------------------------------
// linux.resources: the cgroup settings

function checkResources(path: string, value: unknown): void {
  const resources = expectObject(path, value);
  optional(`${path}.devices`, resources.devices, checkDeviceRules);
  optional(`${path}.memory`, resources.memory, checkMemory);
  optional(`${path}.cpu`, resources.cpu, checkCpu);
  optional(`${path}.pids`, resources.pids, checkPids);
  optional(`${path}.blockIO`, resources.blockIO, checkBlockIO);
  optional(`${path}.hugepageLimits`, resources.hugepageLimits, checkHugepageLimits);
  optional(`${path}.network`, resources.network, checkNetwork);
  optional(`${path}.rdma`, resources.rdma, checkRdma);
  optional(`${path}.unified`, resources.unified, expectStringMap);
}

/** Rules of the devices controller: allow or deny a type, major, minor and access. */
function checkDeviceRules(path: string, value: unknown): void {
  eachItem(path, value, (itemPath, item) => {
    const rule = expectObject(itemPath, item);
    expectBoolean(`${itemPath}.allow`, rule.allow);
    optional(`${itemPath}.type`, rule.type, (p, v) => expectOneOf(p, v, ['a', 'b', 'c']));
    optional(`${itemPath}.major`, rule.major, expectInteger);
    optional(`${itemPath}.minor`, rule.minor, expectInteger);
    optional(`${itemPath}.access`, rule.access, (p, v) => {
      if (typeof v !== 'string' || !/^[rwm]*$/.test(v)) fail(p, 'must be made of the letters r, w and m', v);
    });
  });
}

function checkMemory(path: string, value: unknown): void {
  const memory = expectObject(path, value);
  for (const field of ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP']) {
    optional(`${path}.${field}`, memory[field], expectLimit);
  }
  optional(`${path}.swappiness`, memory.swappiness, (p, v) => expectIntegerIn(p, v, 0, 100, 'an integer from 0 to 100'));
  for (const field of ['disableOOMKiller', 'useHierarchy', 'checkBeforeUpdate']) {
    optional(`${path}.${field}`, memory[field], expectBoolean);
  }
}

function checkCpu(path: string, value: unknown): void {
  const cpu = expectObject(path, value);
  optional(`${path}.shares`, cpu.shares, expectNonNegativeInteger);
  optional(`${path}.quota`, cpu.quota, expectLimit);
  optional(`${path}.burst`, cpu.burst, expectNonNegativeInteger);
  optional(`${path}.period`, cpu.period, expectNonNegativeInteger);
  optional(`${path}.realtimeRuntime`, cpu.realtimeRuntime, expectInteger);
  optional(`${path}.realtimePeriod`, cpu.realtimePeriod, expectNonNegativeInteger);
  optional(`${path}.cpus`, cpu.cpus, expectString);
  optional(`${path}.mems`, cpu.mems, expectString);
  optional(`${path}.idle`, cpu.idle, expectInteger);
}

function checkPids(path: string, value: unknown): void {
  const pids = expectObject(path, value);
  expectLimit(`${path}.limit`, pids.limit);
}

const THROTTLES = ['throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice'];

function checkBlockIO(path: string, value: unknown): void {
  const blockIO = expectObject(path, value);
  optional(`${path}.weight`, blockIO.weight, expectUint16);
  optional(`${path}.leafWeight`, blockIO.leafWeight, expectUint16);
  optional(`${path}.weightDevice`, blockIO.weightDevice, (p, v) =>
    eachItem(p, v, (itemPath, item) => {
      const device = checkBlockDevice(itemPath, item);
      optional(`${itemPath}.weight`, device.weight, expectUint16);
      optional(`${itemPath}.leafWeight`, device.leafWeight, expectUint16);
    }),
  );
  for (const throttle of THROTTLES) {
    optional(`${path}.${throttle}`, blockIO[throttle], (p, v) =>
      eachItem(p, v, (itemPath, item) => {
        const device = checkBlockDevice(itemPath, item);
        expectNonNegativeInteger(`${itemPath}.rate`, device.rate);
      }),
    );
  }
}

/** A block device, by major and minor number. */
function checkBlockDevice(path: string, value: unknown): JsonObject {
  const device = expectObject(path, value);
  expectNonNegativeInteger(`${path}.major`, device.major);
  expectNonNegativeInteger(`${path}.minor`, device.minor);
  return device;
}

function checkHugepageLimits(path: string, value: unknown): void {
  eachItem(path, value, (itemPath, item) => {
    const limit = expectObject(itemPath, item);
    expectNonEmptyString(`${itemPath}.pageSize`, limit.pageSize);
    expectNonNegativeInteger(`${itemPath}.limit`, limit.limit);
  });
}

function checkNetwork(path: string, value: unknown): void {
  const network = expectObject(path, value);
  optional(`${path}.classID`, network.classID, expectUint32);
  optional(`${path}.priorities`, network.priorities, (p, v) =>
    eachItem(p, v, (itemPath, item) => {
      const priority = expectObject(itemPath, item);
      expectNonEmptyString(`${itemPath}.name`, priority.name);
      expectUint32(`${itemPath}.priority`, priority.priority);
    }),
  );
}

function checkRdma(path: string, value: unknown): void {
  for (const [device, item] of Object.entries(expectObject(path, value))) {
    const limits = expectObject(keyPath(path, device), item);
    optional(`${keyPath(path, device)}.hcaHandles`, limits.hcaHandles, expectUint32);
    optional(`${keyPath(path, device)}.hcaObjects`, limits.hcaObjects, expectUint32);
  }
}

// ---------------------------------------------------------------------------------------------
// Rules between fields

/** A hostname (or domainname) is set in the container's own UTS namespace, so it needs one. */
/**
 * linux.sysctl may only set what a namespace of the container's own keeps apart: writing any
 * other key under /proc/sys changes the whole machine. The namespaced ones, as runc lists them:
 * the IPC limits and fs.mqueue.* (ipc namespace), net.* (network namespace), kernel.hostname and
 * kernel.domainname (uts namespace).
 */
const IPC_SYSCTLS = ['kernel.msgmax', 'kernel.msgmnb', 'kernel.msgmni', 'kernel.sem', 'kernel.shmall', 'kernel.shmmax', 'kernel.shmmni', 'kernel.shm_rmid_forced'];

function sysctlNamespace(key: string): string | undefined {
  if (IPC_SYSCTLS.includes(key) || key.startsWith('fs.mqueue.')) return 'ipc';
  if (key.startsWith('net.')) return 'network';
  if (key === 'kernel.hostname' || key === 'kernel.domainname') return 'uts';
  return undefined;
}

function checkSysctlNamespaces(spec: JsonObject): void {
  const linux = spec.linux as { sysctl?: Record<string, string>; namespaces?: { type: string; path?: string }[] } | undefined;
  const own = new Set((linux?.namespaces ?? []).filter((n) => !n.path).map((n) => n.type));
  const joined = new Set((linux?.namespaces ?? []).filter((n) => n.path).map((n) => n.type));
  for (const key of Object.keys(linux?.sysctl ?? {})) {
    const where = `linux.sysctl[${JSON.stringify(key)}]`;
    const namespace = sysctlNamespace(key.replace(/\//g, '.'));
    if (!namespace) throw new UserError(`config.json: ${where}: not namespaced: it would change the whole machine, not the container`, 'only the ipc, net.* and uts settings a container keeps apart may be set (man 7 namespaces)');
    if (!own.has(namespace) && !joined.has(namespace)) {
      throw new UserError(`config.json: ${where}: needs a "${namespace}" namespace in linux.namespaces, or it would change the host's`);
    }
  }
}

function checkUtsNamespaceFor(field: 'hostname' | 'domainname', spec: JsonObject): void {
  if (spec[field] === undefined || spec[field] === '') return;
  const linux = spec.linux as { namespaces?: { type: string }[] } | undefined;
  const hasUts = (linux?.namespaces ?? []).some((namespace) => namespace.type === 'uts');
  if (!hasUts) fail(field, 'can only be set with a "uts" namespace in linux.namespaces', spec[field]);
}
