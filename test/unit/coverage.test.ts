/**
 * The -E table of config fields (src/explain/coverage.ts): every field of the OCI types nk-runtime
 * knows (src/oci/spec.ts) has a status, and a config gets one row per present field, unknown
 * fields included.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIELDS, coverage, formatCoverage, type Field } from '../../src/explain/coverage';
import { defaultSpec } from '../../src/oci/default-spec';
import { notApplied } from '../../src/runtime/not-applied';

/**
 * Every field path of src/oci/spec.ts, from `Spec` down: "process.user.uid", "mounts[].options",
 * "linux.resources.rdma.*.hcaHandles". Read from the source, so that a field added to an
 * interface there is a path here at once.
 */
function specPaths(): string[] {
  const source = fs.readFileSync(path.join(__dirname, '../../src/oci/spec.ts'), 'utf8');
  const interfaces = new Map<string, [string, string][]>();
  for (const match of source.matchAll(/export interface (\w+) \{\n([\s\S]*?)\n\}/g)) {
    const fields: [string, string][] = [];
    for (const line of match[2].split('\n')) {
      const field = /^ {2}(\w+)\??: (.+);$/.exec(line);
      if (field) fields.push([field[1], field[2]]);
    }
    interfaces.set(match[1], fields);
  }
  const paths: string[] = [];
  const walk = (name: string, prefix: string) => {
    for (const [field, type] of interfaces.get(name) ?? []) {
      const here = prefix ? `${prefix}.${field}` : field;
      paths.push(here);
      const map = /^Record<string, (\w+)>$/.exec(type);
      const array = /^(\w+)\[\]$/.exec(type);
      if (map && interfaces.has(map[1])) walk(map[1], `${here}.*`);
      else if (array && interfaces.has(array[1])) walk(array[1], `${here}[]`);
      else if (interfaces.has(type)) walk(type, here);
    }
  };
  walk('Spec', '');
  return paths;
}

const byPath = new Map(FIELDS.map((f) => [f.path, f]));

/** A path has a status: its own entry, or an entry above it whose row speaks for it. */
function hasStatus(p: string): boolean {
  if (byPath.has(p)) return true;
  const parts = p.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const above = parts.slice(0, i).join('.');
    const next = parts[i].replace(/\[\]$/, '');
    const f: Field | undefined = byPath.get(above) ?? byPath.get(above.replace(/\[\]$/, ''));
    if (f && f.kind !== 'group' && (f.covers === '*' || f.covers?.includes(next))) return true;
  }
  return false;
}

t.test('every field of the OCI types has a status', async (t) => {
  const paths = specPaths();
  t.ok(paths.length > 100, `src/oci/spec.ts read: ${paths.length} field paths`);
  for (const p of ['ociVersion', 'process.user.uid', 'mounts[].uidMappings', 'linux.resources.memory.limit', 'linux.seccomp.listenerPath']) {
    t.ok(paths.includes(p), `found ${p}`);
  }
  const missing = paths.filter((p) => !hasStatus(p));
  t.same(missing, [], 'fields without a status: add them to FIELDS in src/explain/coverage.ts');
  // And no entry for a field that does not exist (a typo there would hide the real one).
  const extra = FIELDS.map((f) => f.path).filter((p) => !paths.includes(p) && !paths.includes(p.replace(/\[\]$/, '')));
  t.same(extra, ['process.execCPUAffinity', 'windows', 'solaris', 'vm', 'zos'], 'only fields outside spec.ts: a newer process field, other platforms');
  for (const f of FIELDS) t.ok(f.kind === 'group' || f.judge !== undefined, `${f.path}: a row has a status`);
});

t.test("the default config: one row per present field, all applied", async (t) => {
  const rows = coverage(defaultSpec(), { cgroupVersion: 1 });
  const fields = rows.map((r) => r.field);
  for (const f of ['ociVersion', 'root.path', 'process.args', 'process.capabilities', 'mounts[0]', 'linux.namespaces[0]', 'linux.maskedPaths']) t.ok(fields.includes(f), f);
  t.notOk(fields.includes('process'), 'groups have no row');
  t.notOk(fields.some((f) => f.startsWith('mounts[0].')), "a mount's fields are in its row");
  t.same(rows.filter((r) => r.status !== 'applied'), [], 'nothing ignored or unsupported');
  t.equal(new Set(fields).size, fields.length, 'each field once');
});

t.test('ignored and unsupported fields, each with a reason, and unknown fields too', async (t) => {
  const spec = defaultSpec() as any;
  spec.linux.intelRdt = { closID: 'x' };
  spec.process.apparmorProfile = 'p';
  spec.process.consoleSize = { height: 10, width: 20 };
  spec.process.terminal = false;
  spec.linux.resources = { memory: { limit: 1 << 20, useHierarchy: true }, devices: [{ allow: false, access: 'rwm' }], misc: {} };
  spec.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/run/agent.sock' };
  spec.mounts.push({ destination: '/scratch', type: 'bind', source: '/tmp', options: ['rbind'], uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], colour: 'blue' });
  spec.windows = { layerFolders: [] };
  spec.frobnicate = true;
  spec.linux.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  const on = (version: 1 | 2) => Object.fromEntries(coverage(spec, { cgroupVersion: version }).map((r) => [r.field, `${r.status}: ${r.how}`]));
  const v1 = on(1);
  const last = spec.mounts.length - 1;
  t.match(v1, {
    'linux.intelRdt': /^unsupported: not applied yet/,
    'process.apparmorProfile': /^unsupported: not applied yet/,
    'process.consoleSize': /^ignored: process\.terminal is false/,
    'linux.resources.memory.limit': /^applied/,
    'linux.resources.memory.useHierarchy': /^unsupported/,
    'linux.resources.misc': /^ignored: not a field nk-runtime knows/,
    'linux.resources.devices': /^applied/,
    'linux.seccomp': /^applied/,
    'linux.seccomp.listenerPath': /^ignored: no seccomp agent/,
    [`mounts[${last}]`]: /^applied: bind \/tmp mounted on \/scratch$/,
    [`mounts[${last}].uidMappings`]: /^unsupported: idmapped mounts/,
    [`mounts[${last}].colour`]: /^ignored: not a field/,
    windows: /^ignored: windows settings: nk-runtime runs Linux containers/,
    frobnicate: /^ignored: not a field/,
    'linux.uidMappings': /^ignored: no user namespace/,
  });
  t.match(on(2)['linux.resources.devices'], /^applied: compiled to an eBPF device program/);
  // Every "not applied" warning of create is an unsupported row of the table.
  const unsupported = Object.keys(v1).filter((f) => v1[f].startsWith('unsupported'));
  for (const warning of notApplied(spec)) {
    const field = /^config\.json: (\S+):/.exec(warning)![1];
    t.ok(unsupported.includes(field) || v1[field]?.startsWith('ignored'), `warned and in the table: ${field}`);
  }
});

t.test('the table is aligned: the status column starts at the same place on every line', async (t) => {
  const lines = formatCoverage(coverage(defaultSpec()));
  t.match(lines[0], /^field +status +what nk-runtime did$/);
  const column = lines[0].indexOf('status');
  for (const line of lines.slice(1)) t.match(line.slice(column), /^(applied|ignored|unsupported) /, line);
});
