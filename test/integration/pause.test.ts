/**
 * pause and resume, for real: the freezer stops a counting loop, `state` says paused, resume lets
 * it count on; a paused container can be killed and deleted with --force.
 */
import t from 'tap';
import * as fs from 'node:fs';
import type { Test } from 'tap';
import { Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `${name}-${process.pid}`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A loop that counts in /dev/shm/count (a tmpfs of the container's own), read from the host. */
const COUNTER = 'i=0; while true; do i=$((i+1)); echo $i > /dev/shm/count; sleep 0.02; done';

function counter(pid: number): number {
  try {
    return Number(fs.readFileSync(`/proc/${pid}/root/dev/shm/count`, 'utf8').trim() || 0);
  } catch {
    return 0;
  }
}

async function started(t: Test, box: Sandbox, c: string): Promise<number> {
  const bundle = box.shell(COUNTER, () => undefined, c);
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0, 'create');
  t.equal(box.run(['start', c]).status, 0, 'start');
  const pid = box.state(c).pid;
  for (let waited = 0; counter(pid) < 3 && waited < 5000; waited += 20) await sleep(20);
  t.ok(counter(pid) >= 3, 'the loop counts');
  return pid;
}

t.test('pause stops the program and state says paused; resume lets it go on', async (t) => {
  const box = new Sandbox(t);
  const c = id('pause');
  const pid = await started(t, box, c);

  const paused = box.run(['pause', c]);
  t.equal(paused.status, 0, `pause: ${paused.stderr}`);
  t.equal(box.state(c).status, 'paused', 'state: paused');
  t.match(box.run(['list']).stdout, new RegExp(`${c}\\s+${pid}\\s+paused`), 'list shows paused');
  const frozenAt = counter(pid);
  await sleep(400);
  t.equal(counter(pid), frozenAt, 'the counter does not move while paused');

  const again = box.run(['pause', c]);
  t.equal(again.status, 1, 'pausing a paused container fails');
  t.match(again.stderr, `cannot pause container ${c}: it is paused, not running`);

  const resumed = box.run(['resume', c]);
  t.equal(resumed.status, 0, `resume: ${resumed.stderr}`);
  t.equal(box.state(c).status, 'running', 'state: running again');
  for (let waited = 0; counter(pid) <= frozenAt && waited < 5000; waited += 20) await sleep(20);
  t.ok(counter(pid) > frozenAt, 'the counter goes on after resume');

  const notPaused = box.run(['resume', c]);
  t.equal(notPaused.status, 1, 'resuming a running container fails');
  t.match(notPaused.stderr, `cannot resume container ${c}: it is running, not paused`);

  t.equal(box.run(['kill', c, 'KILL']).status, 0);
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0);
});

t.test('pause of a created or stopped container is refused, with the reason', async (t) => {
  const box = new Sandbox(t);
  const c = id('pausecreated');
  t.equal(box.run(['create', '--bundle', box.shell('sleep 30'), c]).status, 0);
  const r = box.run(['pause', c]);
  t.equal(r.status, 1);
  t.match(r.stderr, `cannot pause container ${c}: it is created, not running`);
  t.match(r.stderr, 'hint: start it first');
  t.equal(box.run(['delete', '--force', c]).status, 0);
  const gone = box.run(['pause', c]);
  t.equal(gone.status, 1, 'pause of a container that does not exist fails');
});

t.test('kill KILL of a paused container kills it (it is thawed after the signal)', async (t) => {
  const box = new Sandbox(t);
  const c = id('pausekill');
  await started(t, box, c);
  t.equal(box.run(['pause', c]).status, 0);
  const killed = box.run(['kill', c, 'KILL']);
  t.equal(killed.status, 0, `kill: ${killed.stderr}`);
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0, 'delete');
});

t.test('delete --force of a paused container', async (t) => {
  const box = new Sandbox(t);
  const c = id('pausedelete');
  const pid = await started(t, box, c);
  t.equal(box.run(['pause', c]).status, 0);
  const del = box.run(['delete', '--force', c]);
  t.equal(del.status, 0, `delete --force: ${del.stderr}`);
  t.equal(box.run(['state', c]).status, 1, 'gone');
  t.notOk(fs.existsSync(`/proc/${pid}/root/dev`), 'the process is gone');
});

t.test('pause and resume are narrated with -E', async (t) => {
  const box = new Sandbox(t);
  const c = id('pausenarrated');
  await started(t, box, c);
  const p = box.run(['-E', 'pause', c]);
  t.equal(p.status, 0);
  t.match(p.stderr, /write\(".*freezer\.state", "FROZEN"\)/, 'the freezer write is shown');
  const r = box.run(['-E', 'resume', c]);
  t.match(r.stderr, /write\(".*freezer\.state", "THAWED"\)/);
  t.equal(box.run(['delete', '--force', c]).status, 0);
});
