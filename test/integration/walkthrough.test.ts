/**
 * docs/walkthrough-sandbox.md quotes -E output of the ram-only-job recipe. This runs the
 * walkthrough's command and fails when a quoted step no longer appears: the document must say what
 * the code does. Numbers (step numbers, pids, fds) may differ; "..." in a quote stands for any text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { BIN, REPO, SAMPLE_ROOTFS, Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const DOC = path.join(REPO, 'docs', 'walkthrough-sandbox.md');

/** The quoted steps: lines like ` [49] init    pid 1      openat2(...) = fd 19 mounts[2]`, without the number, role and pid. */
function quotedSteps(): string[] {
  return fs
    .readFileSync(DOC, 'utf8')
    .split('\n')
    .map((line) => /^\s*\[\d+\]\s+(?:runtime|init|exec)\s+pid \d+\s+(.*)$/.exec(line)?.[1])
    .filter((step): step is string => step !== undefined);
}

/** A quote as a pattern: numbers are any numbers, "..." is any text, runs of spaces any spaces. */
function pattern(quote: string): RegExp {
  const escaped = quote.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/\\\.\\\.\\\./g, '.*?').replace(/\d+/g, '\\d+').replace(/\s+/g, '\\s+'));
}

t.test('every step docs/walkthrough-sandbox.md quotes is in the -E output of its command', async (t) => {
  const box = new Sandbox(t);
  const dir = path.join(box.dir, 'ram-only-job');
  fs.mkdirSync(dir);
  const config = JSON.parse(fs.readFileSync(path.join(REPO, 'examples', 'ram-only-job', 'config.json'), 'utf8'));
  config.root.path = SAMPLE_ROOTFS;
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config));
  const id = `walk-${process.pid}`;
  const r = box.run(['-E', 'run', '--bundle', dir, id], { input: 'echo hello from the job\n', env: { NO_COLOR: '1' } });
  t.equal(r.status, 0, r.stderr.slice(-500));
  t.equal(r.stdout, 'hello from the job\n', 'the job ran');
  // The walkthrough ran the Node build from /usr/bin/node as container "walk".
  const runtimeExe = BIN.endsWith('bin/nk-runtime') ? process.execPath : BIN;
  const narration = r.stderr.split(runtimeExe).join('/usr/bin/node').split(id).join('walk');
  const quotes = quotedSteps();
  t.ok(quotes.length >= 20, `${quotes.length} quoted steps`);
  // The walkthrough was written on cgroup v1; v2 names its files otherwise (memory.max, ...).
  const v2 = fs.existsSync('/sys/fs/cgroup/cgroup.controllers');
  for (const quote of quotes) {
    if (v2 && /\/sys\/fs\/cgroup|\.\.\.\/nk-walk/.test(quote)) continue;
    t.match(narration, pattern(quote), `still true: ${quote.trim().slice(0, 100)}`);
  }
});
