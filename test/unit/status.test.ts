/** Status is derived from state.json, the init process and exec.fifo: each case, without root. */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { deriveStatus, processStartTime } from '../../src/runtime/status';
import { StateStore, type SavedState } from '../../src/runtime/state-store';

function setup(t: any) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-status-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new StateStore(root);
  const container = store.reserve('c1');
  const base: SavedState = { ociVersion: '1.2.0', id: 'c1', bundle: '/b', rootfs: '/b/rootfs', created: new Date().toISOString() };
  return { container, base };
}

t.test('processStartTime reads field 22 of /proc/PID/stat, and nothing for a missing pid', async (t) => {
  const mine = processStartTime(process.pid);
  t.match(mine, /^\d+$/);
  t.equal(processStartTime(process.pid), mine, 'stable for one process');
  t.equal(processStartTime(2 ** 22 + 12345), undefined, 'no such process');
});

t.test('a process whose name has spaces and parentheses is parsed right', async (t) => {
  // The name (field 2) is "(...)" and may contain both: the parser reads after the last ")".
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-comm-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const odd = path.join(dir, 'a) b (c');
  fs.symlinkSync('/bin/sleep', odd);
  const child = spawn(odd, ['5']);
  t.teardown(() => child.kill('SIGKILL'));
  await new Promise((r) => child.once('spawn', r));
  const stat = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  t.match(stat, '(a) b (c)', 'the name really has them');
  t.equal(processStartTime(child.pid!), stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
});

t.test('created, running, stopped, and a reused pid', async (t) => {
  const { container, base } = setup(t);
  const alive = { ...base, pid: process.pid, pidStartTime: processStartTime(process.pid) };
  fs.writeFileSync(container.execFifo, '');
  t.equal(deriveStatus(container, alive), 'created', 'init alive and exec.fifo there');
  fs.rmSync(container.execFifo);
  t.equal(deriveStatus(container, alive), 'running', 'init alive, exec.fifo consumed');
  t.equal(deriveStatus(container, { ...alive, pidStartTime: '1' }), 'stopped', 'same pid, another start time: the pid was reused');
  t.equal(deriveStatus(container, { ...base, pid: 2 ** 22 + 12345, pidStartTime: '5' }), 'stopped', 'init gone');
});

t.test('creating, and a create that died half-way', async (t) => {
  const { container, base } = setup(t);
  t.equal(deriveStatus(container, { ...base, creating: true, pid: process.pid }), 'creating');
  t.equal(deriveStatus(container, { ...base, creating: true }), 'stopped', 'no init was spawned: nothing runs');
  t.equal(deriveStatus(container, { ...base, creating: true, pid: 2 ** 22 + 12345 }), 'stopped', 'its init is gone');
});

t.test('a zombie is stopped: it runs nothing any more', async (t) => {
  const { container, base } = setup(t);
  const child = spawn('/bin/true');
  const pid = child.pid!;
  const start = processStartTime(pid) ?? '0';
  // Until Node reaps it, the exited child is a zombie; the 'exit' event comes after the reaping,
  // so look while it may still be one and accept either outcome as stopped.
  await new Promise((r) => setTimeout(r, 100));
  t.equal(deriveStatus(container, { ...base, pid, pidStartTime: start }), 'stopped');
});

t.test('the state store: reserve is exclusive, state.json is written whole', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-store-'));
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }));
  const store = new StateStore(root);
  const c = store.reserve('one');
  t.throws(() => store.reserve('one'), { message: 'container one already exists' });
  t.throws(() => store.existing('two'), { message: 'container two does not exist' });
  const state: SavedState = { ociVersion: '1.2.0', id: 'one', bundle: '/b', rootfs: '/r', created: 'now' };
  c.writeState(state);
  t.same(c.readState(), state);
  t.same(fs.readdirSync(c.dir), ['state.json'], 'no temporary file left beside it');
  t.same(store.ids(), ['one']);
  c.remove();
  t.same(store.ids(), []);
});
