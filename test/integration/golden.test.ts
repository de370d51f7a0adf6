/**
 * Golden files of -E: the whole narration of `create`, `start` and `delete` of the sample bundle,
 * compared with test/integration/golden/*.txt, so that a change of the narration (a step more or
 * less, another order, other words) is always a deliberate one, seen in the diff of those files.
 *
 * What differs from run to run is normalized first (see `normalize`): pids, paths of the checkout
 * and of the test's --root, the container ID, the caller's own cgroup, the machine's CPUs.
 *
 * After a deliberate change, regenerate the files and commit them with it:
 *
 *   NK_GOLDEN_UPDATE=1 npx tap test/integration/golden.test.ts     (or: make golden)
 *
 * The files are those of the Node build: under the single executable (NK_RUNTIME_BIN) the
 * executable's path, its fds and the init's argv differ, and this test is skipped.
 */
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, Sandbox, skipReason } from './harness';

const GOLDEN = path.join(__dirname, 'golden');
const UPDATE = process.env.NK_GOLDEN_UPDATE === '1';

const skip = skipReason() ?? (process.env.NK_RUNTIME_BIN ? 'the golden files are of the Node build (NK_RUNTIME_BIN is set)' : undefined);
if (skip) t.plan(0, skip);

interface Run {
  /** The test's --root and its private dir (the root is inside it). */
  root: string;
  dir: string;
  id: string;
  /** The init's host pid. */
  initPid: number;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The narration with what varies between runs (and machines) replaced by names in <>. */
function normalize(text: string, run: Run): string {
  const node = [...new Set([fs.realpathSync(process.execPath), process.execPath])];
  let out = text
    .split(run.root).join('<root>')
    .split(run.dir).join('<tmp>')
    .split(REPO).join('<repo>');
  for (const exe of node) out = out.split(exe).join('<node>');
  out = out
    // Our own cgroup, where the container's is made, differs from shell to shell: "…".
    .replace(new RegExp(`/sys/fs/cgroup/([^/"\\s]+)/(?:[^"\\s]*/)?nk-${escape(run.id)}`, 'g'), '/sys/fs/cgroup/$1/…/nk-<id>')
    .split(run.id).join('<id>')
    .replace(/\bruntime pid \d+/g, 'runtime pid <pid>')
    .replace(new RegExp(`(= pid |host pid |")${run.initPid}\\b`, 'g'), '$1<init pid>')
    // A new cpuset cgroup gets its parent's CPUs: the machine's.
    .replace(/(cpuset\.cpus", )"[^"]*"/g, '$1"<cpus>"');
  // The columns of a step's first line move with the lengths of what was replaced.
  return out.split('\n').map((line) => (/^ \[\d+\] /.test(line) ? line.replace(/ {2,}/g, ' ') : line)).join('\n');
}

/** Compare with golden/<name>.txt, or write it (NK_GOLDEN_UPDATE=1). */
function golden(t: Test, name: string, actual: string): void {
  const file = path.join(GOLDEN, `${name}.txt`);
  if (UPDATE) {
    fs.mkdirSync(GOLDEN, { recursive: true });
    fs.writeFileSync(file, actual);
    t.pass(`wrote ${path.relative(REPO, file)}`);
    return;
  }
  if (!fs.existsSync(file)) {
    t.fail(`${path.relative(REPO, file)} is missing: NK_GOLDEN_UPDATE=1 npx tap test/integration/golden.test.ts makes it`);
    return;
  }
  t.equal(actual, fs.readFileSync(file, 'utf8'), `-E of ${name} is as ${path.relative(REPO, file)} says (a deliberate change? NK_GOLDEN_UPDATE=1 npx tap ${path.relative(REPO, __filename)})`);
}

t.test('create -E, start -E and delete -E of the sample bundle narrate as the golden files say', async (t) => {
  const box = new Sandbox(t);
  const id = `golden-${process.pid}`;
  const bundle = path.join(REPO, 'bundle');
  const created = box.run(['-E', 'create', '--bundle', bundle, id]);
  t.equal(created.status, 0, created.stderr.slice(-1000));
  const initPid = box.state(id).pid as number;
  const started = box.run(['-E', 'start', id]);
  t.equal(started.status, 0, started.stderr.slice(-1000));
  await box.waitFor(id, 'stopped');
  const deleted = box.run(['-E', 'delete', id]);
  t.equal(deleted.status, 0, deleted.stderr.slice(-1000));

  const run = { root: box.root, dir: box.dir, id, initPid };
  for (const [name, stderr] of [['create', created.stderr], ['start', started.stderr], ['delete', deleted.stderr]] as const) {
    const text = normalize(stderr, run);
    // What varies must all be gone, or the file would differ on the next run.
    t.notMatch(text, new RegExp(`${escape(box.dir)}|${escape(id)}|(host|runtime|=) pid \\d|"${initPid}"`), `${name}: no pid, path or ID of this run is left`);
    golden(t, name, text);
  }
});
