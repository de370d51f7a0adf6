/**
 * linux.devices, linux.personality and linux.sysctl, seen from inside the container: the device
 * nodes the config lists (type, numbers, mode, owner), the execution domain `uname -m` reports,
 * and sysctl keys that are not namespaced refused before anything is made.
 */
import t from 'tap';
import { Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `extras-${name}-${process.pid}`;

t.test('linux.devices: character, block and FIFO nodes, with their mode and owner', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('stat -c "%n %F %t,%T %a %u:%g" /dev/fuse /dev/loop-nk /dev/sub/pipe; head -c 4 /dev/fuse >/dev/null 2>&1; echo open=$?', (c) => {
    c.linux.devices = [
      { path: '/dev/fuse', type: 'c', major: 10, minor: 229, fileMode: 0o620, uid: 0, gid: 5 },
      { path: '/dev/loop-nk', type: 'b', major: 7, minor: 0, fileMode: 0o600 },
      { path: '/dev/sub/pipe', type: 'p', fileMode: 0o644, uid: 1000, gid: 1000 },
    ];
  });
  const r = box.run(['run', '--bundle', bundle, id('devices')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^\/dev\/fuse character special file a,e5 620 0:5$/m, 'fuse: (10, 229) is (0xa, 0xe5)');
  t.match(r.stdout, /^\/dev\/loop-nk block special file 7,0 600 0:0$/m);
  t.match(r.stdout, /^\/dev\/sub\/pipe fifo 0,0 644 1000:1000$/m, 'a FIFO, its directory made');
  t.equal(r.stderr, '', 'no warning: applied');
});

t.test('linux.personality: LINUX32 makes uname -m report a 32-bit machine', async (t) => {
  const box = new Sandbox(t);
  const r = box.run(['run', '--bundle', box.shell('uname -m', (c) => (c.linux.personality = { domain: 'LINUX32' })), id('personality')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout.trim(), process.arch === 'x64' ? /^i[3-6]86$/ : /^armv[78]l$/);
  const plain = box.run(['run', '--bundle', box.shell('uname -m', (c) => (c.linux.personality = { domain: 'LINUX' }), 'linux'), id('linux')]);
  t.match(plain.stdout.trim(), process.arch === 'x64' ? /^x86_64$/ : /^aarch64$/);
});

t.test('linux.sysctl: a key no namespace keeps apart is refused; a namespaced one is set', async (t) => {
  const box = new Sandbox(t);
  const bad = box.run(['create', '--bundle', box.shell('true', (c) => (c.linux.sysctl = { 'vm.swappiness': '10' }), 'bad'), id('bad')]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, 'config.json: linux.sysctl["vm.swappiness"]: not namespaced: it would change the whole machine, not the container');
  const good = box.run(['run', '--bundle', box.shell('cat /proc/sys/kernel/shmmni', (c) => (c.linux.sysctl = { 'kernel.shmmni': '1234' }), 'good'), id('good')]);
  t.equal(good.status, 0, good.stderr);
  t.equal(good.stdout.trim(), '1234', 'set in the container\'s IPC namespace');
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n', 'nothing left');
});
