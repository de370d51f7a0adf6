/**
 * `create -E` and `run -E` end with the table of config fields (src/explain/coverage.ts): every
 * field present in the bundle's config, and what nk-runtime did with it.
 */
import t from 'tap';
import type { Test } from 'tap';
import * as fs from 'node:fs';
import { SAMPLE_CONFIG, Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const HEADING = 'What nk-runtime did with each field of config.json (applied, ignored and why, unsupported):';

/** The table at the end of `stderr`: field -> "status: what". Checks it is last and aligned. */
function table(t: Test, stderr: string): Record<string, string> {
  const at = stderr.lastIndexOf(HEADING);
  t.ok(at >= 0, 'the table is there');
  const lines = stderr.slice(at + HEADING.length).split('\n').filter(Boolean);
  t.match(lines[0], /^ {6}field +status +what nk-runtime did$/, 'a header line');
  const column = lines[0].indexOf('status');
  const rows: Record<string, string> = {};
  for (const line of lines.slice(1)) {
    t.match(line.slice(column), /^(applied|ignored|unsupported) +\S/, `aligned: ${line}`);
    rows[line.slice(0, column).trim()] = line.slice(column).replace(/^(\S+) +/, '$1: ');
  }
  t.notMatch(stderr.slice(at), /\n \[\d+\] /, 'no step after it: it ends the narration');
  return rows;
}

t.test('create -E: the sample bundle, every present field applied', async (t) => {
  const box = new Sandbox(t);
  const c = `cov-${process.pid}`;
  const r = box.run(['-E', 'create', '--bundle', box.bundle(), c], { env: { NO_COLOR: '1' } });
  t.equal(r.status, 0, r.stderr.slice(-2000));
  const rows = table(t, r.stderr);
  const config = JSON.parse(fs.readFileSync(SAMPLE_CONFIG, 'utf8'));
  const expected = [
    'ociVersion', 'root.path',
    ...Object.keys(config.process).map((k) => `process.${k}`),
    ...config.mounts.map((_: unknown, i: number) => `mounts[${i}]`),
    ...config.linux.namespaces.map((_: unknown, i: number) => `linux.namespaces[${i}]`),
    ...(config.hostname !== undefined ? ['hostname'] : []),
  ];
  for (const field of expected) t.match(rows[field], /^applied: /, `${field}: ${rows[field]}`);
  t.same(Object.entries(rows).filter(([, v]) => !v.startsWith('applied')), [], 'nothing ignored or unsupported in the sample');
  t.match(rows['linux.namespaces[0]'], /a new one \(unshare\)|joined/);
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('run -E: ignored, unsupported and unknown fields, each with why', async (t) => {
  const box = new Sandbox(t);
  const c = `covrun-${process.pid}`;
  const bundle = box.shell('echo ran', (config) => {
    config.process.apparmorProfile = 'nk-test-profile';
    config.process.consoleSize = { height: 24, width: 80 };
    config.linux.resources = { pids: { limit: 64 }, memory: { useHierarchy: true } };
    config.windows = { layerFolders: ['C:\\layers'] };
    config.frobnicate = true;
  });
  const r = box.run(['-E', 'run', '--bundle', bundle, c], { env: { NO_COLOR: '1' } });
  t.equal(r.status, 0, r.stderr.slice(-2000));
  t.equal(r.stdout, 'ran\n', 'the program ran');
  const rows = table(t, r.stderr);
  t.match(rows, {
    'process.apparmorProfile': /^unsupported: not applied yet/,
    'process.consoleSize': /^ignored: process\.terminal is false/,
    'linux.resources.pids.limit': /^applied: /,
    'linux.resources.memory.useHierarchy': /^unsupported: not applied yet/,
    windows: /^ignored: windows settings: nk-runtime runs Linux containers/,
    frobnicate: /^ignored: not a field nk-runtime knows/,
    'process.args': /^applied: execve/,
  });
  // The unsupported ones were warned about too, as without -E.
  t.match(r.stderr, /warning: create \S+: config\.json: process\.apparmorProfile: not applied yet/);
  // The table comes after the run: after the container was deleted.
  t.ok(r.stderr.lastIndexOf('rmdir(') < r.stderr.indexOf('What nk-runtime did with each field'), 'after the delete steps');
});

t.test('without -E, no table', async (t) => {
  const box = new Sandbox(t);
  const r = box.run(['run', '--bundle', box.shell('true'), `covquiet-${process.pid}`]);
  t.equal(r.status, 0, r.stderr);
  t.notMatch(r.stderr, 'What nk-runtime did');
});
