/**
 * The device allow-list: which device nodes the container's processes may open (r, w) or create
 * (m), whatever the file permissions say, root or not.
 *
 * On cgroup v1 (Documentation/admin-guide/cgroup-v1/devices.rst), each rule is one line, written
 * to devices.allow or devices.deny:
 *
 *   "a"              every device (type a: all), every access
 *   "c 1:3 rwm"      the character device 1:3 (/dev/null)
 *   "c 136:* rw"     every minor of major 136 (/dev/pts/N)
 *
 * The rules of linux.resources.devices are written in order (a config usually starts with
 * "deny all"), then, as runc does, the devices every container needs: /dev/null, zero, full,
 * random, urandom, tty, the pty master and its slaves.
 *
 * cgroup v2 has no such files: there the kernel runs a BPF_PROG_TYPE_CGROUP_DEVICE program,
 * compiled from the same rules (device-program.ts) and attached to the cgroup with bpf(2).
 */
import { files as fs } from '../files';
import * as path from 'node:path';
import { UserError } from '../../errors';
import type { LinuxDeviceCgroup } from '../../oci/spec';
import { BPF_ATTACH_TYPE, BPF_F, BPF_PROG_TYPE } from '../constants';
import { errnoDescription } from '../errno';
import { KernelError, type Kernel } from '../kernel';
import type { DeviceRule } from './device-program';
import { cgroupError, writeCgroupFile } from './files';

/** runc's AllowedDevices (libcontainer/specconv): what a container's /dev holds. */
export const DEFAULT_ALLOWED: LinuxDeviceCgroup[] = [
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // /dev/null
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // /dev/zero
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // /dev/full
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // /dev/random
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // /dev/urandom
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // /dev/tty
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // /dev/ptmx
  { allow: true, type: 'c', major: 136, access: 'rwm' }, // /dev/pts/*
];

/** The type and access of a rule, defaults filled in ("a", "rwm"), checked. */
function typeAndAccess(rule: LinuxDeviceCgroup, field: string): { type: 'a' | 'b' | 'c'; access: string } {
  const type = rule.type ?? 'a';
  const access = rule.access ?? 'rwm';
  if (!['a', 'b', 'c'].includes(type)) throw new UserError(`${field}.type: "${type}" must be a, b or c`);
  if (!/^[rwm]{1,3}$/.test(access)) throw new UserError(`${field}.access: "${access}" must be made of r, w and m`);
  return { type: type as 'a' | 'b' | 'c', access };
}

/** One rule as devices.allow/deny read it: "c 1:3 rwm", or "a" for all. */
export function deviceRuleLine(rule: LinuxDeviceCgroup, field: string): string {
  const { type, access } = typeAndAccess(rule, field);
  const id = (n: number | undefined) => (n === undefined || n === -1 ? '*' : String(n));
  // "a" alone means every device with every access; "a *:* rwm" means the same, and is what
  // the kernel prints in devices.list.
  if (type === 'a' && rule.major === undefined && rule.minor === undefined && access === 'rwm') return 'a';
  return `${type} ${id(rule.major)}:${id(rule.minor)} ${access}`;
}

/** The config's rules, then the devices every container needs, each with its config field. */
function withDefaults(rules: LinuxDeviceCgroup[]): { rule: LinuxDeviceCgroup; field: string }[] {
  return [...rules.map((rule, i) => ({ rule, field: `linux.resources.devices[${i}]` })), ...DEFAULT_ALLOWED.map((rule) => ({ rule, field: 'linux.resources.devices' }))];
}

/** v1: write each rule to devices.allow or devices.deny. */
export function applyDeviceRules(kernel: Kernel, rules: LinuxDeviceCgroup[] | undefined, dir: string | undefined): void {
  if (!rules || rules.length === 0) return;
  if (!dir) throw new UserError('linux.resources.devices: this host has no cgroup v1 devices hierarchy mounted');
  const all = withDefaults(rules);
  for (const { rule, field } of all) {
    const line = deviceRuleLine(rule, field);
    const file = path.join(dir, rule.allow ? 'devices.allow' : 'devices.deny');
    const note = field === 'linux.resources.devices' ? 'a device every container needs (as runc)' : undefined;
    writeCgroupFile(kernel, field, file, line, note);
  }
}

/**
 * A rule as the device program needs it. Its numbers must fit the program's 32-bit signed
 * constants (runc's too); a real device's are far smaller (12 bits of major, 20 of minor).
 */
export function deviceRule(rule: LinuxDeviceCgroup, field: string): DeviceRule {
  const { type, access } = typeAndAccess(rule, field);
  const number = (key: 'major' | 'minor') => {
    const n = rule[key];
    if (n === undefined || n === -1) return -1;
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new UserError(`${field}.${key}: ${n} is not a device number (or -1 for any)`);
    return n;
  };
  return { allow: rule.allow, type, major: number('major'), minor: number('minor'), access };
}

/** The program's license: the kernel lets only GPL-compatible programs call some helpers (ours calls none). */
const LICENSE = 'GPL';

/**
 * v2: compile the rules into a BPF_PROG_TYPE_CGROUP_DEVICE program, load it, and attach it to the
 * cgroup directory `dir` (open as an fd), as runc does. Any program attached there before (the
 * one create attached, when this is an update) is detached once the new one is in place: in
 * between both run, and a device must pass both, so the cgroup is never without an allow-list.
 */
export function applyDeviceProgram(kernel: Kernel, rules: LinuxDeviceCgroup[] | undefined, dir: string): void {
  if (!rules || rules.length === 0) return;
  // The compiler and the eBPF assembler are loaded only here: most commands never build a program.
  const { compileDeviceProgram, describeAllowList, emulateDeviceRules } = require('./device-program') as typeof import('./device-program');
  const all = withDefaults(rules);
  const list = emulateDeviceRules(all.map(({ rule, field }) => deviceRule(rule, field)), all.map(({ field }) => field));
  const program = compileDeviceProgram(list);
  const field = 'linux.resources.devices';
  const k = kernel.because(field);
  const fds: number[] = [];
  let doing = `opening ${dir}`; // for the error, if a step fails
  try {
    const note = `The cgroup, open: bpf(2) names it by fd. Its allow-list, to compile into a program: ${describeAllowList(list)}.`;
    const dirFd = kernel.because(field, note).open(dir, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY, 0);
    fds.push(dirFd);
    doing = 'asking which device programs it has';
    const oldIds = k.bpfProgQuery(dirFd, BPF_ATTACH_TYPE.CGROUP_DEVICE);
    doing = 'opening its old device program';
    const oldFds: number[] = [];
    for (const id of oldIds) {
      const fd = k.bpfProgGetFdById(id);
      oldFds.push(fd);
      fds.push(fd);
    }
    doing = 'loading the device program';
    const progFd = k.bpfProgLoad(BPF_PROG_TYPE.CGROUP_DEVICE, program, LICENSE, 'nk_devices');
    fds.push(progFd);
    doing = 'attaching the device program';
    k.bpfProgAttach(dirFd, progFd, BPF_ATTACH_TYPE.CGROUP_DEVICE, BPF_F.ALLOW_MULTI);
    doing = 'detaching the old device program';
    for (const old of oldFds) k.bpfProgDetach(dirFd, old, BPF_ATTACH_TYPE.CGROUP_DEVICE);
  } catch (err) {
    throw deviceProgramError(doing, err, dir);
  } finally {
    // The attachment keeps the program alive; our fds are not needed any more.
    for (const fd of fds.reverse()) k.close(fd);
  }
}

/** A refused bpf(2) call, for people: what was being done, and the verifier's log when there is one. */
function deviceProgramError(doing: string, err: unknown, dir: string): unknown {
  if (!(err instanceof KernelError) || !err.call.startsWith('bpf')) return cgroupError(`${doing} (linux.resources.devices)`, err, dir);
  const message = `linux.resources.devices: ${doing} for ${dir}: bpf(2) failed: ${err.code} (${errnoDescription(err.code)})`;
  if (err.detail) {
    const lines = err.detail.split('\n');
    return new UserError(message, `the BPF verifier said:\n${lines.slice(-12).join('\n')}`);
  }
  if (err.code === 'EPERM' || err.code === 'EACCES') {
    return new UserError(message, 'loading and attaching BPF programs needs root (CAP_BPF and CAP_SYS_ADMIN), outside a user namespace');
  }
  if (err.code === 'ENOSYS' || err.code === 'EINVAL') {
    return new UserError(message, 'this kernel cannot attach device programs to cgroups (it needs Linux 4.15 or later, built with CONFIG_CGROUP_BPF)');
  }
  return new UserError(message);
}
