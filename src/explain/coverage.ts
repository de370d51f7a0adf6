/**
 * -E ends `create` (and `run`) with a table: every field present in config.json, and what
 * nk-runtime did with it.
 *
 *   process.args                applied      execve at start (found in the rootfs during create)
 *   linux.intelRdt              unsupported  not applied yet (create warned)
 *   windows                     ignored      Windows settings: nk-runtime runs Linux containers
 *
 * One list, FIELDS, gives every field of the OCI config a status: `applied` (nk-runtime acts on
 * it), `ignored` (it has nothing to do here, and says why), `unsupported` (nk-runtime does not do
 * it yet; create warns). A field the list does not know, say a typo, is shown as ignored: nothing
 * is ignored silently. test/unit/coverage.test.ts checks that every field of src/oci/spec.ts has
 * its entry, so a field added there without one fails the test.
 *
 * Loaded only with -E.
 */
import type { Capabilities, Spec } from '../oci/spec';
import type { Narrator } from './narrator';
import { ungrantable } from '../linux/capabilities';
import { APPLIED_RESOURCES, NOT_APPLIED_LINUX, NOT_APPLIED_MOUNT, NOT_APPLIED_PROCESS } from '../runtime/not-applied';

export type Status = 'applied' | 'ignored' | 'unsupported';

export interface Verdict {
  status: Status;
  /** What was done, or why not. */
  how: string;
}

/** What the table needs to know of the host, beyond the config. */
export interface CoverageHost {
  /** The cgroup version the container's cgroup is on. */
  cgroupVersion?: 1 | 2;
}

type Judge = Verdict | ((value: unknown, spec: Spec, host: CoverageHost) => Verdict);

/**
 * One field. `path` is dotted, `[]` for the items of an array, `*` for the values of a map:
 * "mounts[].uidMappings", "linux.resources.rdma". Kinds:
 *   group  no row of its own: its fields get theirs (process, linux);
 *   row    one row for the field; `covers` names the fields below it that the row speaks for
 *          ('*': all of them); any other field below gets a row of its own;
 *   each   an array: one row per item ("mounts[2]"), with `covers` for the items' fields.
 */
export interface Field {
  path: string;
  kind: 'group' | 'row' | 'each';
  judge?: Judge;
  covers?: string[] | '*';
}

const applied = (how: string): Verdict => ({ status: 'applied', how });
const ignored = (how: string): Verdict => ({ status: 'ignored', how });
const unsupported = (how: string): Verdict => ({ status: 'unsupported', how });
const NOT_YET = unsupported('not applied yet (create warned)');

const group = (path: string): Field => ({ path, kind: 'group' });
const row = (path: string, judge: Judge, covers?: string[] | '*'): Field => ({ path, kind: 'row', judge, covers });
const each = (path: string, judge: Judge, covers?: string[] | '*'): Field => ({ path, kind: 'each', judge, covers });

const count = (value: unknown, one: string, many = `${one}s`) => {
  const n = Array.isArray(value) ? value.length : Object.keys((value ?? {}) as object).length;
  return `${n} ${n === 1 ? one : many}`;
};
const hasNamespace = (spec: Spec, type: string) => (spec.linux?.namespaces ?? []).some((n) => n.type === type);

/** A resource control: applied if src/linux/cgroups writes it (not-applied.ts says which). */
function resource(group: string, key?: string): Field {
  const path = `linux.resources.${group}${key ? `.${key}` : ''}`;
  const known = APPLIED_RESOURCES[group];
  const done = known === true || (key !== undefined && Array.isArray(known) && known.includes(key));
  return row(path, done ? applied("written to the container's cgroup") : NOT_YET, '*');
}

const resources = (group: string, keys: string[]) => keys.map((key) => resource(group, key));

const HOOK_POINTS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

export const FIELDS: Field[] = [
  row('ociVersion', (v) => applied(`${v}: checked, recorded in state.json`)),
  group('root'),
  row('root.path', applied('bind-mounted onto itself, then made / with pivot_root (chroot with --no-pivot)')),
  row('root.readonly', (v) => applied(v ? 'remounted read-only at the end of create' : 'false: the rootfs stays writable')),
  row('hostname', applied('sethostname in the new UTS namespace')),
  row('domainname', applied('setdomainname in the new UTS namespace')),
  row('annotations', applied("recorded in state.json and in the hooks' state; nk-runtime reads none itself"), '*'),

  group('process'),
  row('process.terminal', (v) => applied(v ? 'a pseudo-terminal as stdio, its master sent to the console socket' : 'false: stdio is passed on as it is')),
  row('process.consoleSize', (_v, spec) => (spec.process?.terminal ? applied('set on the terminal (ioctl TIOCSWINSZ)') : ignored('process.terminal is false: there is no terminal to size')), '*'),
  row('process.user', applied('setgroups, setgid, setuid and umask, before start'), ['uid', 'gid', 'umask', 'additionalGids']),
  row('process.args', applied('execve at start (found in the rootfs during create)')),
  row('process.env', applied("the program's environment")),
  row('process.cwd', applied('chdir, before start')),
  row('process.capabilities', (v) => {
    const missing = ungrantable(v as Capabilities);
    return applied(`capset before execve${missing.length ? `; left out, not held by nk-runtime: ${missing.join(', ')}` : ''}`);
  }, ['bounding', 'effective', 'inheritable', 'permitted', 'ambient']),
  row('process.rlimits', (v) => applied(`setrlimit before start (${count(v, 'limit')})`), '*'),
  row('process.noNewPrivileges', (v) => applied(v ? 'prctl(PR_SET_NO_NEW_PRIVS) before execve' : 'false: nothing to set')),
  row('process.oomScoreAdj', applied('written to /proc/self/oom_score_adj')),
  ...NOT_APPLIED_PROCESS.map((key) => row(`process.${key}`, NOT_YET, '*')),

  each('mounts', (v) => {
    const m = v as { type?: string; source?: string; destination: string };
    const what = !m.source || m.source === m.type ? m.type : `${m.type ?? 'bind'} ${m.source}`;
    return applied(`${what} mounted on ${m.destination}`);
  }, ['destination', 'type', 'source', 'options']),
  ...NOT_APPLIED_MOUNT.map((key) => row(`mounts[].${key}`, unsupported('idmapped mounts are not applied yet (create warned)'), '*')),

  group('hooks'),
  ...HOOK_POINTS.map((point) => row(`hooks.${point}`, (v) => applied(`${count(v, 'hook')} run at ${point}`), '*')),

  group('linux'),
  row('linux.uidMappings', (_v, spec) => (hasNamespace(spec, 'user') ? applied("the user namespace's uid_map") : ignored('no user namespace in linux.namespaces')), '*'),
  row('linux.gidMappings', (_v, spec) => (hasNamespace(spec, 'user') ? applied("the user namespace's gid_map") : ignored('no user namespace in linux.namespaces')), '*'),
  row('linux.sysctl', (v) => applied(`written under /proc/sys (${count(v, 'key')})`), '*'),
  row('linux.cgroupsPath', applied("the container's cgroup")),
  each('linux.namespaces', (v) => {
    const ns = v as { type: string; path?: string };
    return applied(ns.path ? `${ns.type}: joined ${ns.path} (setns)` : `${ns.type}: a new one (unshare)`);
  }, ['type', 'path']),
  row('linux.devices', (v) => applied(`${count(v, 'device node')} made in the container's /dev`), '*'),
  row('linux.seccomp', applied('compiled to a BPF filter, installed just before execve'), ['defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'syscalls']),
  row('linux.seccomp.listenerPath', ignored('no seccomp agent: an SCMP_ACT_NOTIFY rule is refused')),
  row('linux.seccomp.listenerMetadata', ignored('no seccomp agent: an SCMP_ACT_NOTIFY rule is refused')),
  row('linux.rootfsPropagation', (v) => applied(`/ made ${v} at the end of create`)),
  row('linux.maskedPaths', applied('each covered by /dev/null or an empty read-only tmpfs'), '*'),
  row('linux.readonlyPaths', applied('each bind-mounted read-only'), '*'),
  row('linux.personality', applied('personality(2) before execve'), '*'),
  ...NOT_APPLIED_LINUX.map((key) => row(`linux.${key}`, NOT_YET, '*')),

  group('linux.resources'),
  row('linux.resources.devices', (_v, _s, host) => applied(host.cgroupVersion === 2 ? 'compiled to an eBPF device program, attached to the cgroup with bpf(2)' : "written to the devices cgroup's allow and deny lists"), '*'),
  group('linux.resources.memory'),
  ...resources('memory', ['limit', 'reservation', 'swap', 'kernel', 'kernelTCP', 'swappiness', 'disableOOMKiller', 'useHierarchy']),
  row('linux.resources.memory.checkBeforeUpdate', (v) => applied(v ? 'update refuses a memory limit below the usage' : 'update lets the kernel reclaim to a lower limit')),
  group('linux.resources.cpu'),
  ...resources('cpu', ['shares', 'quota', 'burst', 'period', 'realtimeRuntime', 'realtimePeriod', 'cpus', 'mems', 'idle']),
  group('linux.resources.pids'),
  ...resources('pids', ['limit']),
  group('linux.resources.blockIO'),
  ...resources('blockIO', ['weight', 'leafWeight', 'weightDevice', 'throttleReadBpsDevice', 'throttleWriteBpsDevice', 'throttleReadIOPSDevice', 'throttleWriteIOPSDevice']),
  resource('hugepageLimits'),
  group('linux.resources.network'),
  ...resources('network', ['classID', 'priorities']),
  resource('rdma'),
  row('linux.resources.unified', (v, _s, host) => (host.cgroupVersion === 2 ? applied("written as files of the container's cgroup") : ignored(Object.keys(v as object).length ? 'cgroup v2 files, and this host is on v1' : 'empty')), '*'),

  // Sections for other platforms (runtime-spec config.md, "Platform-specific configuration").
  ...['windows', 'solaris', 'vm', 'zos'].map((key) => row(key, ignored(`${key} settings: nk-runtime runs Linux containers`), '*')),
];

export interface CoverageRow {
  /** The field as it is in this config: "mounts[2]", "linux.resources.memory.limit". */
  field: string;
  status: Status;
  how: string;
}

const BY_PATH = new Map(FIELDS.map((f) => [f.path, f]));

/** The rows for this config: its present fields, in the order they appear in it. */
export function coverage(spec: Spec, host: CoverageHost = {}): CoverageRow[] {
  const rows: CoverageRow[] = [];
  const add = (field: string, verdict: Verdict) => rows.push({ field, ...verdict });
  const judge = (f: Field, value: unknown): Verdict => (typeof f.judge === 'function' ? f.judge(value, spec, host) : f.judge!);

  /** The fields of `value` (an object), found at `pattern` (for the list) and `shown` (for the table). */
  function walk(value: unknown, pattern: string, shown: string, covered: string[] | '*' = []): void {
    if (covered === '*' || value === null || typeof value !== 'object' || Array.isArray(value)) return;
    for (const [key, child] of Object.entries(value)) {
      if (child === undefined) continue;
      const path = pattern ? `${pattern}.${key}` : key;
      const field = shown ? `${shown}.${key}` : key;
      const f = BY_PATH.get(path);
      if (!f) {
        if (!covered.includes(key)) add(field, ignored('not a field nk-runtime knows (OCI runtime-spec 1.2): left alone'));
        continue;
      }
      if (f.kind === 'group') walk(child, path, field);
      else if (f.kind === 'row') {
        add(field, judge(f, child));
        walk(child, path, field, f.covers);
      } else {
        (Array.isArray(child) ? child : []).forEach((item, i) => {
          add(`${field}[${i}]`, judge(f, item));
          walk(item, `${path}[]`, `${field}[${i}]`, f.covers);
        });
      }
    }
  }
  walk(spec, '', '');
  return rows;
}

/** The rows as an aligned table, one line each, with a heading line. */
export function formatCoverage(rows: CoverageRow[]): string[] {
  const width = Math.max(5, ...rows.map((r) => r.field.length));
  return [`${'field'.padEnd(width)}  ${'status'.padEnd(11)}  what nk-runtime did`, ...rows.map((r) => `${r.field.padEnd(width)}  ${r.status.padEnd(11)}  ${r.how}`)];
}

/** Print the table through the narrator (-E), after a heading. */
export function narrateCoverage(narrator: Narrator, spec: Spec, host: CoverageHost): void {
  narrator.heading('What nk-runtime did with each field of config.json (applied, ignored and why, unsupported):');
  for (const line of formatCoverage(coverage(spec, host))) narrator.say(line);
}
