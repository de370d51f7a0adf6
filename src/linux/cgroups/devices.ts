/**
 * The device allow-list of cgroup v1 (Documentation/admin-guide/cgroup-v1/devices.rst): which
 * device nodes the container's processes may open (r, w) or create (m), whatever the file
 * permissions say. Each rule is one line, written to devices.allow or devices.deny:
 *
 *   "a"              every device (type a: all), every access
 *   "c 1:3 rwm"      the character device 1:3 (/dev/null)
 *   "c 136:* rw"     every minor of major 136 (/dev/pts/N)
 *
 * The rules of linux.resources.devices are written in order (a config usually starts with
 * "deny all"), then, as runc does, the devices every container needs: /dev/null, zero, full,
 * random, urandom, tty, the pty master and its slaves.
 *
 * cgroup v2 has no such files: there the kernel asks a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, which nk-runtime does not load yet (create says so).
 */
import * as path from 'node:path';
import { UserError } from '../../errors';
import type { LinuxDeviceCgroup } from '../../oci/spec';
import type { Kernel } from '../kernel';
import { writeCgroupFile } from './files';

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

/** One rule as devices.allow/deny read it: "c 1:3 rwm", or "a" for all. */
export function deviceRuleLine(rule: LinuxDeviceCgroup, field: string): string {
  const type = rule.type ?? 'a';
  const access = rule.access ?? 'rwm';
  if (!['a', 'b', 'c'].includes(type)) throw new UserError(`${field}.type: "${type}" must be a, b or c`);
  if (!/^[rwm]{1,3}$/.test(access)) throw new UserError(`${field}.access: "${access}" must be made of r, w and m`);
  const id = (n: number | undefined) => (n === undefined || n === -1 ? '*' : String(n));
  // "a" alone means every device with every access; "a *:* rwm" means the same, and is what
  // the kernel prints in devices.list.
  if (type === 'a' && rule.major === undefined && rule.minor === undefined && access === 'rwm') return 'a';
  return `${type} ${id(rule.major)}:${id(rule.minor)} ${access}`;
}

export function applyDeviceRules(kernel: Kernel, rules: LinuxDeviceCgroup[] | undefined, dir: string | undefined): void {
  if (!rules || rules.length === 0) return;
  if (!dir) throw new UserError('linux.resources.devices: this host has no cgroup v1 devices hierarchy mounted');
  const all = [...rules.map((rule, i) => ({ rule, field: `linux.resources.devices[${i}]` })), ...DEFAULT_ALLOWED.map((rule) => ({ rule, field: 'linux.resources.devices' }))];
  for (const { rule, field } of all) {
    const line = deviceRuleLine(rule, field);
    const file = path.join(dir, rule.allow ? 'devices.allow' : 'devices.deny');
    const note = field === 'linux.resources.devices' ? 'a device every container needs (as runc)' : undefined;
    writeCgroupFile(kernel, field, file, line, note);
  }
}
