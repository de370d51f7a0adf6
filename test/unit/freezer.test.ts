/**
 * pause/resume's files, without root: the freezer of a fake v1 and a fake v2 cgroup (plain files
 * in a temp dir), written through the real kernel layer so each step can be asserted.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { freeze, isFrozen, thaw } from '../../src/linux/cgroups/freezer';
import type { CgroupPlacement } from '../../src/linux/cgroups';
import { observe, type Step } from '../../src/linux/kernel';
import { LinuxKernel } from '../../src/linux/linux-kernel';
import { deriveStatus } from '../../src/runtime/status';
import { StateStore, type SavedState } from '../../src/runtime/state-store';
import { processStartTime } from '../../src/runtime/status';

/** cgroup v2 sets "frozen 1" in cgroup.events once every process has stopped: this one at once. */
class FakeFreeze2 extends LinuxKernel {
  writeFile(file: string, data: string): void {
    super.writeFile(file, data);
    if (path.basename(file) === 'cgroup.freeze') {
      fs.writeFileSync(path.join(path.dirname(file), 'cgroup.events'), `populated 1\nfrozen ${data}\n`);
    }
  }
}

function tmp(t: { teardown(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-freezer-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

t.test('v1: FROZEN and THAWED in freezer.state, attributed to the command', async (t) => {
  const dir = tmp(t);
  fs.writeFileSync(path.join(dir, 'freezer.state'), 'THAWED\n');
  const steps: Step[] = [];
  const kernel = observe(new LinuxKernel(), 'runtime', (s) => steps.push(s));
  const placement: CgroupPlacement = { version: 1, dirs: { freezer: dir, memory: '/nowhere' }, created: [] };
  t.notOk(isFrozen(placement));
  freeze(kernel, placement, 'pause');
  t.equal(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim(), 'FROZEN');
  t.ok(isFrozen(placement), 'frozen');
  thaw(kernel, placement, 'resume');
  t.equal(fs.readFileSync(path.join(dir, 'freezer.state'), 'utf8').trim(), 'THAWED');
  t.notOk(isFrozen(placement));
  t.same(steps.map((s) => [s.text, s.cause]), [
    [`write("${dir}/freezer.state", "FROZEN")`, 'pause'],
    [`write("${dir}/freezer.state", "THAWED")`, 'resume'],
  ]);
});

t.test('v1 without a freezer hierarchy: pause is refused with the reason', async (t) => {
  const kernel = observe(new LinuxKernel(), 'runtime', () => undefined);
  const placement: CgroupPlacement = { version: 1, dirs: { memory: '/nowhere' }, created: [] };
  t.notOk(isFrozen(placement));
  t.throws(() => freeze(kernel, placement), /no cgroup v1 freezer hierarchy/);
});

t.test('v2: 1 and 0 in cgroup.freeze, waiting for cgroup.events', async (t) => {
  const dir = tmp(t);
  fs.writeFileSync(path.join(dir, 'cgroup.freeze'), '0\n');
  fs.writeFileSync(path.join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
  const steps: Step[] = [];
  const kernel = observe(new FakeFreeze2(), 'runtime', (s) => steps.push(s));
  const placement: CgroupPlacement = { version: 2, dirs: { unified: dir }, created: [] };
  freeze(kernel, placement);
  t.ok(isFrozen(placement));
  thaw(kernel, placement);
  t.notOk(isFrozen(placement));
  t.same(steps.map((s) => s.text), [`write("${dir}/cgroup.freeze", "1")`, `write("${dir}/cgroup.freeze", "0")`]);
});

t.test('status: a running container whose cgroup is frozen is paused', async (t) => {
  const dir = tmp(t);
  const freezer = path.join(dir, 'freezer');
  fs.mkdirSync(freezer);
  fs.writeFileSync(path.join(freezer, 'freezer.state'), 'FROZEN\n');
  const store = new StateStore(path.join(dir, 'state'));
  const container = store.reserve('c1');
  const state: SavedState = {
    ociVersion: '1.2.0', id: 'c1', bundle: '/b', rootfs: '/b/rootfs', created: new Date().toISOString(),
    pid: process.pid, pidStartTime: processStartTime(process.pid),
    cgroup: { version: 1, dirs: { freezer }, created: [] },
  };
  t.equal(deriveStatus(container, state), 'paused');
  fs.writeFileSync(path.join(freezer, 'freezer.state'), 'THAWED\n');
  t.equal(deriveStatus(container, state), 'running');
  t.equal(deriveStatus(container, { ...state, pid: 2 ** 22 + 1 }), 'stopped', 'a dead init is stopped, frozen or not');
});
