/**
 * The config's hooks (runtime-spec config.md "Hooks"): each runs at its point of the container's
 * life, in the namespaces the spec says, with the container's state on stdin; a failure before
 * the program starts fails the command and leaves nothing; poststart and poststop failures are
 * warnings.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

/** A host script that appends "NAME mnt=<its mount ns> pid=<its pid ns> state=<stdin>" to `log`. */
function recorder(box: Sandbox, log: string): string {
  const script = path.join(box.dir, 'record-hook.sh');
  fs.writeFileSync(script, `#!/bin/sh\necho "$1 mnt=$(readlink /proc/self/ns/mnt) pid=$(readlink /proc/self/ns/pid) state=$(cat)" >> ${log}\n`, { mode: 0o755 });
  return script;
}

t.test('every hook runs at its point, in its namespaces, with the state on stdin', async (t) => {
  const box = new Sandbox(t);
  const log = path.join(box.dir, 'hooks.log');
  const script = recorder(box, log);
  const hook = (name: string) => ({ path: script, args: ['record-hook.sh', name] });
  const c = `hooks-${process.pid}`;
  const bundle = box.shell('cat /tmp/started; echo program', (config) => {
    // startContainer's path is resolved inside the container: busybox's sh, writing to a tmpfs.
    config.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid'] });
    config.hooks = {
      prestart: [hook('prestart')],
      createRuntime: [hook('createRuntime')],
      createContainer: [hook('createContainer')],
      startContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'echo startContainer-ran > /tmp/started'] }],
      poststart: [hook('poststart')],
      poststop: [hook('poststop')],
    };
  });
  const r = box.run(['run', '--bundle', bundle, c]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'startContainer-ran\nprogram\n', 'startContainer ran inside the container, before the program');
  t.notMatch(r.stderr, 'warning', 'no warnings: hooks are applied, not ignored');
  const lines = fs.readFileSync(log, 'utf8').trim().split('\n');
  t.same(lines.map((l) => l.split(' ')[0]), ['prestart', 'createRuntime', 'createContainer', 'poststart', 'poststop'], 'in the order of the spec');
  const field = (line: string, name: string) => new RegExp(`${name}=(\\S+)`).exec(line)![1];
  const hostMnt = fs.readlinkSync('/proc/self/ns/mnt');
  const hostPid = fs.readlinkSync('/proc/self/ns/pid');
  const [prestart, createRuntime, createContainer, poststart, poststop] = lines;
  for (const line of [prestart, createRuntime, poststart, poststop]) {
    t.equal(field(line, 'mnt'), hostMnt, `${line.split(' ')[0]} runs in the host's mount namespace`);
    t.equal(field(line, 'pid'), hostPid, `${line.split(' ')[0]} runs in the host's PID namespace`);
  }
  t.not(field(createContainer, 'mnt'), hostMnt, "createContainer runs in the container's mount namespace");
  t.not(field(createContainer, 'pid'), hostPid, "and in its PID namespace");
  const state = (line: string) => JSON.parse(line.slice(line.indexOf('state=') + 6));
  t.match(state(createRuntime), { id: c, status: 'creating', bundle, pid: Number });
  t.match(state(createContainer), { id: c, status: 'creating', pid: state(createRuntime).pid });
  t.match(state(poststart), { id: c, status: 'running', pid: state(createRuntime).pid });
  t.match(state(poststop), { id: c, status: 'stopped' });
  t.equal(state(poststop).pid, undefined, 'a stopped container has no pid');
});

t.test('a failing hook before the program fails create, says which and why, and leaves nothing', async (t) => {
  const box = new Sandbox(t);
  const cases: [string, object, RegExp][] = [
    ['createRuntime', { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo no network for you >&2; exit 7'] }] }, /hooks\.createRuntime\[0\]: \/bin\/sh exited with code 7: no network for you/],
    ['createContainer', { createContainer: [{ path: '/bin/false' }] }, /hooks\.createContainer\[0\]: \/bin\/false exited with code 1/],
    ['timeout', { prestart: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] }, /hooks\.prestart\[0\]: \/bin\/sleep did not finish within its timeout of 1 s/],
    ['missing', { createRuntime: [{ path: '/no/such/hook' }] }, /hooks\.createRuntime\[0\]: \/no\/such\/hook could not be run: ENOENT/],
  ];
  for (const [name, hooks, expected] of cases) {
    const bundle = box.shell('echo should not run', (c) => (c.hooks = hooks), name);
    const started = Date.now();
    const r = box.run(['create', '--bundle', bundle, `${name}-${process.pid}`]);
    t.equal(r.status, 1, `${name}: create fails`);
    t.match(r.stderr, expected, `${name}: the error names the hook`);
    if (name === 'timeout') t.ok(Date.now() - started < 8000, 'the hook was killed at its timeout');
  }
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n', 'no container left');
});

t.test('poststart and poststop failures are warnings: the container runs and is deleted', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('echo ran', (c) => {
    c.hooks = { poststart: [{ path: '/bin/false' }], poststop: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 3'] }] };
  });
  const r = box.run(['run', '--bundle', bundle, `post-${process.pid}`]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, 'ran\n');
  t.match(r.stderr, /warning: start .*hooks\.poststart\[0\]: \/bin\/false exited with code 1/);
  t.match(r.stderr, /warning: delete .*hooks\.poststop\[0\]: \/bin\/sh exited with code 3/);
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n');
});
