/**
 * Fuzzing through the real CLI: mutated configs (fast-check, a fixed seed so a failure can be
 * replayed) given to `create`. Each either makes a container (then removed with delete --force)
 * or fails with one line naming the problem; either way nothing is left on the machine.
 * NK_FUZZ_CLI_RUNS sets how many (default 25); NK_FUZZ_SEED another seed.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import t from 'tap';
import { Sandbox, machineSnapshot, processesUsing, skipReason, snapshotAdded, SAMPLE_CONFIG } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);
t.setTimeout(600_000);

const RUNS = Number(process.env.NK_FUZZ_CLI_RUNS ?? 25);
const SEED = Number(process.env.NK_FUZZ_SEED ?? 20261125);

function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const found = [at];
  if (Array.isArray(value)) value.forEach((v, i) => found.push(...paths(v, [...at, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) found.push(...paths(v, [...at, k]));
  return found;
}

const nasty = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.constantFrom('..', '../../etc', '/..', '', 'x'.repeat(300), '/proc/self/fd/3', 'nosuchfs', 'CAP_NOPE'),
  fc.constantFrom(-1, 0, 2 ** 53, 1e308, 0.5),
  fc.constant(null),
);

t.test(`${RUNS} mutated configs through create: a container or one line of error, and nothing left`, async (t) => {
  const base = JSON.parse(fs.readFileSync(SAMPLE_CONFIG, 'utf8'));
  base.process.args = ['true'];
  const all = paths(base).filter((p) => p.length > 0);
  const cases = fc.sample(fc.array(fc.record({ which: fc.nat(), remove: fc.boolean(), value: nasty }), { minLength: 1, maxLength: 3 }), { numRuns: RUNS, seed: SEED });
  const box = new Sandbox(t);
  const before = machineSnapshot();
  for (const [n, mutations] of cases.entries()) {
    const config = structuredClone(base);
    const described: string[] = [];
    for (const m of mutations) {
      const where = all[m.which % all.length];
      const parent = where.slice(0, -1).reduce((v: any, k) => (v == null ? v : v[k]), config);
      if (parent == null || typeof parent !== 'object') continue;
      const key = where[where.length - 1];
      if (m.remove) delete parent[key];
      else parent[key] = m.value;
      described.push(`${where.join('.')} ${m.remove ? 'removed' : `= ${JSON.stringify(m.value)?.slice(0, 40)}`}`);
    }
    // The rootfs must stay the sample's, and sysctl is never invented: nothing here may touch the host.
    if (config.root && typeof config.root === 'object' && typeof config.root.path === 'string') config.root.path = path.join(__dirname, '..', '..', 'bundle', 'rootfs');
    if (config.linux && typeof config.linux === 'object') delete config.linux.sysctl;
    const dir = path.join(box.dir, `case${n}`);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
    const c = `fuzz${n}-${process.pid}`;
    const r = box.run(['create', '--bundle', dir, c]);
    const label = `case ${n} (${described.join('; ')})`;
    if (r.status === 0) {
      t.equal(box.run(['delete', '--force', c]).status, 0, `${label}: created, then deleted`);
    } else {
      const lines = r.stderr.replace(/\n$/, '').split('\n').filter((l) => !l.startsWith('nk-runtime: warning:'));
      t.equal(r.status, 1, `${label}: exits 1`);
      t.ok(lines[0]?.startsWith(`nk-runtime: create ${c}: `), `${label}: one line: ${lines[0]}`);
      t.ok(lines.length <= 2 && (lines.length < 2 || lines[1].startsWith('  hint: ')), `${label}: plus at most a hint`);
      t.notMatch(r.stderr, /internal error|\n\s+at /, `${label}: no crash`);
    }
    t.notOk(fs.existsSync(path.join(box.root, c)), `${label}: no state dir`);
  }
  // Only what this test made counts: other tests may run containers at the same time.
  const ours = `-${process.pid}`;
  const added = snapshotAdded(before, machineSnapshot());
  t.same(added.cgroups.filter((c) => c.includes(`fuzz`) && c.endsWith(ours)), [], 'no cgroup left');
  t.same(processesUsing(box.dir), [], 'no process left (nothing holds files of this test)');
  t.same(added.mounts.filter((m) => m.includes(box.dir)), [], 'no mount left');
});
