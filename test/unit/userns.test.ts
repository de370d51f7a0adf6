/**
 * User namespaces without root: the config checks of uidMappings/gidMappings, the text of a map,
 * the runtime's side of nk-userns's conversation (against the fake kernel, in order), and the
 * init leaving the user namespace alone.
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { observe, type Step } from '../../src/linux/kernel';
import { FakeKernel } from '../../src/linux/fake-kernel';
import { formatCall, idMapText } from '../../src/linux/format';
import { CLONE } from '../../src/linux/constants';
import { checkRootfsReachable, checkSupported } from '../../src/runtime/requirements';
import { finishNewUserNamespace } from '../../src/runtime/spawn-init';
import { enterNamespaces } from '../../src/init/namespaces';
import { defaultSpec } from '../../src/oci/default-spec';
import type { Spec } from '../../src/oci/spec';

const MAP = [{ containerID: 0, hostID: 100000, size: 65536 }];

function withUserns(edit: (s: Spec) => void = () => undefined): Spec {
  const spec = defaultSpec();
  spec.linux!.namespaces!.push({ type: 'user' });
  spec.linux!.uidMappings = structuredClone(MAP);
  spec.linux!.gidMappings = structuredClone(MAP);
  edit(spec);
  return spec;
}

t.test('a user namespace with maps that give it a root is accepted', async (t) => {
  t.doesNotThrow(() => checkSupported(withUserns()));
  t.doesNotThrow(() => checkSupported(withUserns((s) => {
    s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 1 }, { containerID: 1, hostID: 200001, size: 1000 }];
    s.process!.user = { uid: 1000, gid: 0 };
  })), 'two ranges, the program as a mapped user');
});

const refused: Array<[string, (s: Spec) => void, RegExp]> = [
  ['no uid mappings', (s) => delete s.linux!.uidMappings, /^config\.json: linux\.uidMappings: a user namespace needs at least one mapping$/],
  ['no gid mappings', (s) => (s.linux!.gidMappings = []), /^config\.json: linux\.gidMappings: a user namespace needs at least one mapping$/],
  ['root not mapped', (s) => (s.linux!.uidMappings = [{ containerID: 1, hostID: 100001, size: 10 }]), /^config\.json: linux\.uidMappings: ID 0 is not mapped$/],
  ['size 0', (s) => (s.linux!.gidMappings![0].size = 0), /^config\.json: linux\.gidMappings\[0\]\.size: must be at least 1$/],
  ['past 2^32', (s) => (s.linux!.uidMappings![0].hostID = 4294967000), /^config\.json: linux\.uidMappings\[0\]: hostID \+ size goes past 4294967295$/],
  [
    'overlapping host ranges',
    (s) => s.linux!.uidMappings!.push({ containerID: 70000, hostID: 165000, size: 10 }),
    /^config\.json: linux\.uidMappings\[1\]: its hostID range overlaps linux\.uidMappings\[0\]'s$/,
  ],
  ['the program\'s uid unmapped', (s) => (s.process!.user = { uid: 70000, gid: 0 }), /^config\.json: process\.user\.uid: 70000 is not mapped by linux\.uidMappings$/],
  ['an extra gid unmapped', (s) => (s.process!.user = { uid: 0, gid: 0, additionalGids: [99999] }), /^config\.json: process\.user: gid 99999 is not mapped by linux\.gidMappings$/],
  ['joining a user namespace', (s) => (s.linux!.namespaces!.find((n) => n.type === 'user')!.path = '/proc/1/ns/user'), /^config\.json: linux\.namespaces\[6\]: joining an existing user namespace is not supported$/],
  [
    'proc without a PID namespace',
    (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'pid')),
    /^config\.json: mounts\[0\]: proc cannot be mounted in a user namespace that shares the host's PID namespace$/,
  ],
  [
    'sysfs without a network namespace',
    (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'network')),
    /^config\.json: mounts\[\d+\]: sysfs cannot be mounted in a user namespace that shares the host's network namespace$/,
  ],
  [
    'mappings without a user namespace',
    (s) => (s.linux!.namespaces = s.linux!.namespaces!.filter((n) => n.type !== 'user')),
    /^config\.json: linux\.uidMappings: mappings are for a user namespace, and linux\.namespaces has none$/,
  ],
];
for (const [name, edit, message] of refused) {
  t.test(`refused: ${name}`, async (t) => {
    t.throws(() => checkSupported(withUserns(edit)), { name: 'UserError', message });
  });
}

t.test('a map is written as the kernel reads it: "containerID hostID size", a line each', async (t) => {
  const two = [...MAP, { containerID: 65536, hostID: 300000, size: 5 }];
  t.equal(idMapText(two), '0 100000 65536\n65536 300000 5\n');
  t.equal(formatCall('writeIdMap', [4211, 'uid', MAP]), 'write("/proc/4211/uid_map", "0 100000 65536\\n")');
});

/**
 * nk-userns's end of the socket, played by a file: what it says is there to read. The runtime's
 * one answer is written where it has read up to: over a placeholder line of the same length,
 * which it thus never reads.
 */
function helperSays(t: any, lines: object[]): { fd: number; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-userns-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'socket');
  fs.writeFileSync(file, lines.map((l) => JSON.stringify(l) + '\n').join(''));
  const fd = fs.openSync(file, fs.constants.O_RDWR);
  t.teardown(() => fs.closeSync(fd));
  return { fd, file };
}

const helperChild = { pid: 4100, exited: new Promise<never>(() => undefined), hasExited: false, ref() {}, unref() {} };

t.test('the runtime writes the maps after nk-userns has made the namespace, then adopts the init it clones', async (t) => {
  const step = { role: 'init', pid: 4100, call: 'unshare', text: 'unshare(CLONE_NEWUSER)', result: '0', time: 0, ms: 0 };
  const socket = helperSays(t, [{ type: 'step', step }, { type: 'userns' }, { type: 'filler' }, { type: 'init', pid: 4101 }]);
  const fake = new FakeKernel();
  const k = observe(fake.ops, 'runtime', () => undefined);
  const steps: Step[] = [];
  const init = finishNewUserNamespace(k, helperChild, socket.fd, { field: 'linux.namespaces[6]', uidMappings: MAP, gidMappings: [{ containerID: 0, hostID: 200000, size: 10 }], onStep: (s) => steps.push(s) });
  t.same(fake.texts, [
    'write("/proc/4100/uid_map", "0 100000 65536\\n")',
    'write("/proc/4100/gid_map", "0 200000 10\\n")',
    'waitpid(4101, WNOHANG) (our child through clone(CLONE_PARENT))',
  ]);
  t.equal(init.pid, 4101, 'the init, not nk-userns, is the container\'s process');
  t.same(steps.map((s) => s.text), ['unshare(CLONE_NEWUSER)'], 'nk-userns\'s own steps are narrated');
  t.match(fs.readFileSync(socket.file, 'utf8'), /\{"type":"userns"\}\n\{"type":"mapped"\}\n\{"type":"init"/, 'nk-userns is told the maps are written, after it said userns');
});

t.test('an error from nk-userns stops the spawn: no map is written, nk-userns is killed', async (t) => {
  const socket = helperSays(t, [{ type: 'error', message: 'nk-userns: unshare(CLONE_NEWUSER): Invalid argument' }]);
  const fake = new FakeKernel();
  const k = observe(fake.ops, 'runtime', () => undefined);
  t.throws(() => finishNewUserNamespace(k, helperChild, socket.fd, { field: 'f', uidMappings: MAP, gidMappings: MAP, onStep: () => undefined }), {
    name: 'UserError',
    message: 'nk-userns: unshare(CLONE_NEWUSER): Invalid argument',
  });
  t.same(fake.texts, ['kill(4100, SIGKILL)']);
});

t.test('nk-userns gone without a word is an error too', async (t) => {
  const socket = helperSays(t, [{ type: 'userns' }]);
  const k = observe(new FakeKernel().ops, 'runtime', () => undefined);
  t.throws(() => finishNewUserNamespace(k, helperChild, socket.fd, { field: 'f', uidMappings: MAP, gidMappings: MAP, onStep: () => undefined }), {
    message: 'nk-userns exited before it said "init"',
  });
});

t.test('the init unshares the other namespaces, never the user namespace (nk-userns made it)', async (t) => {
  const fake = new FakeKernel();
  enterNamespaces(observe(fake.ops, 'init', () => undefined), withUserns());
  t.same(fake.texts, ['unshare(CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWNET)']);
  t.notMatch(fake.texts.join(' '), /NEWUSER|NEWPID/);
  t.equal((fake.calls[0].args[0] as number) & CLONE.NEWUSER, 0);
});

t.test('the rootfs must be reachable by the host uid of the container\'s root', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-reach-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const rootfs = path.join(dir, 'rootfs');
  fs.mkdirSync(rootfs, { mode: 0o755 });
  fs.chmodSync(dir, 0o700);
  t.throws(() => checkRootfsReachable(withUserns(), rootfs), {
    name: 'UserError',
    message: `config.json: root.path: ${rootfs} is out of reach of the container's root, host uid 100000: ${dir} is mode 0700`,
  });
  fs.chmodSync(dir, 0o711);
  t.doesNotThrow(() => checkRootfsReachable(withUserns(), rootfs), 'searchable by others is enough');
  fs.chmodSync(dir, 0o700);
  t.doesNotThrow(() => checkRootfsReachable(defaultSpec(), rootfs), 'no user namespace: no check');
});
