/**
 * Bad input: a one-line error, a non-zero exit, nothing left behind.
 *
 * Every failure is checked for its shape (`nk-runtime: <command> <id>: <reason>`, at most one
 * `  hint:` line, no stack trace, exit status 1, nothing on stdout) and every failed create for
 * what it left: no state dir, no cgroup, no process, no mount.
 */
import t from 'tap';
import type { Test } from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  BIN,
  REPO,
  SAMPLE_CONFIG,
  Sandbox,
  copyRootfs,
  machineSnapshot,
  processesUsing,
  skipReason,
  snapshotAdded,
  type MachineSnapshot,
  type Result,
} from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const tag = `-${process.pid}`;
const id = (name: string) => `${name}${tag}`;

// One private copy of the rootfs for this file: a mount a failed create leaks onto it would be ours.
const work = skip ? '' : fs.mkdtempSync(path.join(os.tmpdir(), 'nk-errors-'));
const rootfs = skip ? '' : copyRootfs(work);
t.teardown(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

/** A bundle of `box` on our rootfs copy, the sample config changed by `edit`. */
function bundle(box: Sandbox, edit: (config: any) => void = () => undefined, name?: string): string {
  return box.bundle((c) => {
    c.root.path = rootfs;
    edit(c);
  }, name);
}

/** How the CLI shows an id in its first line: control characters as JSON escapes. */
const shown = (s: string) => s.replace(/[\x00-\x1f\x7f]/g, (c) => JSON.stringify(c).slice(1, -1));

/**
 * The failure has the shape of every nk-runtime error: exit 1, nothing on stdout, and on stderr
 * one line `nk-runtime: <what>: <reason>`, perhaps one `  hint: ` line, no stack trace.
 * Returns the reason (the first line after the prefix).
 */
function expectFailure(t: Test, r: Result, what: string, reason: RegExp | string): string {
  t.equal(r.status, 1, `${shown(what)}: exits 1`);
  t.equal(r.stdout, '', 'prints nothing on stdout');
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  const prefix = `nk-runtime: ${shown(what)}: `;
  t.ok(lines[0].startsWith(prefix), `stderr starts with ${JSON.stringify(prefix)}: ${JSON.stringify(r.stderr.slice(0, 300))}`);
  t.ok(lines.length === 1 || (lines.length === 2 && lines[1].startsWith('  hint: ')), `one line, plus at most a hint: ${JSON.stringify(r.stderr.slice(0, 400))}`);
  t.notOk(/\n\s+at /.test(r.stderr), 'no stack trace');
  t.notMatch(r.stderr, 'internal error', 'not reported as a bug of nk-runtime');
  const message = lines[0].slice(prefix.length);
  if (typeof reason === 'string') t.ok(message.includes(reason), `the reason says ${JSON.stringify(reason)}: ${JSON.stringify(message)}`);
  else t.match(message, reason, 'the reason');
  return message;
}

interface Before {
  machine: MachineSnapshot;
  processes: number[];
  states: string[];
}

const statesIn = (box: Sandbox) => (fs.existsSync(box.root) ? fs.readdirSync(box.root).sort() : []);

/** What is there before a command: to compare with after it failed. */
function before(box: Sandbox): Before {
  return { machine: machineSnapshot(), processes: [...processesUsing(box.dir), ...processesUsing(work)], states: statesIn(box) };
}

/** After a failed create of `cid`: no state dir, cgroup, process or mount more than `then`. */
function nothingLeft(t: Test, box: Sandbox, cid: string, then: Before): void {
  const after = machineSnapshot();
  const added = snapshotAdded(then.machine, after);
  t.same(statesIn(box), then.states, 'no state dir left');
  const plain = /^[A-Za-z0-9_+.-]+$/.test(cid) && cid !== '.' && cid !== '..';
  if (plain && !then.states.includes(cid)) t.notOk(fs.existsSync(path.join(box.root, cid)), `no ${path.join(box.root, cid)}`);
  t.same(
    added.cgroups.filter((c) => c.includes(tag)),
    [],
    'no cgroup dir left',
  );
  if (!then.states.includes(cid)) t.same(after.cgroups.filter((c) => path.basename(c) === `nk-${cid}`), [], `no nk-${cid} cgroup anywhere`);
  const processes = [...processesUsing(box.dir), ...processesUsing(work)].filter((p) => !then.processes.includes(p));
  t.same(processes, [], 'no process left (nothing holds files of this test)');
  t.same(
    added.inits.filter((pid) => processes.includes(Number(pid))),
    [],
    'no init left',
  );
  t.same(
    added.mounts.filter((m) => m.includes(work) || m.includes(box.dir)),
    [],
    'no mount left',
  );
}

/** Run a create that must fail with `reason`, and check its message and that it left nothing. */
function failedCreate(t: Test, box: Sandbox, cid: string, bundleDir: string, reason: RegExp | string, extra: string[] = []): string {
  const then = before(box);
  const r = box.run([...extra, 'create', '--bundle', bundleDir, cid]);
  const message = expectFailure(t, r, `create ${cid}`, reason);
  nothingLeft(t, box, cid, then);
  return message;
}

t.test('not root: every command that changes something says it must be run as root', async (t) => {
  const box = new Sandbox(t);
  const b = bundle(box);
  // A clean environment, set by env(1) at the last moment: the test runner adds its own to every
  // child (NODE_OPTIONS), which would make node, as nobody, write into the runner's files first.
  const PATH = `${path.dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
  const asNobody = (args: string[]) =>
    spawnSync('/usr/bin/env', ['-i', `PATH=${PATH}`, 'LANG=C', BIN, ...args], { uid: 65534, gid: 65534, cwd: '/', encoding: 'utf8', timeout: 30_000 });
  // Can nobody run node and read the compiled CLI at all? If not, the test would only show that.
  const probe = asNobody(['--version']);
  if (probe.status !== 0) {
    t.skip(`user 65534 cannot run node on ${REPO} (${(probe.stderr || String(probe.error)).trim().split('\n')[0]}): cannot test the non-root case`);
    return;
  }
  const c = id('notroot');
  for (const args of [['create', '--bundle', b, c], ['run', '--bundle', b, c], ['start', c], ['kill', c], ['delete', c], ['delete', '--force', c]]) {
    const then = before(box);
    const r = asNobody(['--root', box.root, ...args]);
    const what = args[0] === 'delete' ? `delete ${c}` : `${args[0]} ${c}`;
    const message = expectFailure(t, { status: r.status, stdout: r.stdout, stderr: r.stderr }, what, 'must be run as root');
    t.equal(message, 'must be run as root');
    t.match(r.stderr, /\n {2}hint: .*root/, 'with a hint that says why');
    if (args[0] === 'create' || args[0] === 'run') t.match(r.stderr, /hint: .*, or --dry-run to see every call it would make, without root\n/, 'and names --dry-run');
    nothingLeft(t, box, c, then);
  }
  t.notOk(fs.existsSync(box.root), 'not even the state root was made');
});

t.test('the bundle directory is missing, or not a directory', async (t) => {
  const box = new Sandbox(t);
  const missing = path.join(box.dir, 'no-such-bundle');
  failedCreate(t, box, id('nobundle'), missing, `bundle ${missing}: no such directory`);
  const file = path.join(box.dir, 'a-file');
  fs.writeFileSync(file, 'not a bundle');
  failedCreate(t, box, id('filebundle'), file, `bundle ${file}: not a directory`);
  // run fails the same way
  expectFailure(t, box.run(['run', '--bundle', missing, id('nobundle')]), `run ${id('nobundle')}`, 'no such directory');
});

t.test('config.json is missing', async (t) => {
  const box = new Sandbox(t);
  const empty = path.join(box.dir, 'empty');
  fs.mkdirSync(empty);
  const message = failedCreate(t, box, id('noconfig'), empty, `bundle ${empty}: has no config.json`);
  t.equal(message, `bundle ${empty}: has no config.json`);
});

/** Line and column (from 1) of `offset` in `text`. */
function lineColumn(text: string, offset: number) {
  const before = text.slice(0, offset);
  return { line: before.split('\n').length, column: offset - (before.lastIndexOf('\n') + 1) + 1 };
}

t.test('invalid JSON: the message says where, in lines and columns', async (t) => {
  const box = new Sandbox(t);
  const config = JSON.parse(fs.readFileSync(SAMPLE_CONFIG, 'utf8'));
  config.root.path = rootfs;
  const good = JSON.stringify(config, null, 2);
  // Each case: the broken text, and the place JSON stops making sense (the first wrong character).
  const cases: Array<{ name: string; text: string; at: (text: string) => number; reason: RegExp }> = [
    {
      name: 'missing comma',
      text: good.replace('"terminal": false,', '"terminal": false'),
      at: (s) => s.indexOf('"user"'),
      reason: /expected ',' or '}' after a property value/,
    },
    {
      name: 'bad value',
      text: good.replace('"uid": 0', '"uid": zero'),
      at: (s) => s.indexOf('zero'),
      reason: /unexpected character "z"/,
    },
    {
      name: 'trailing comma',
      text: good.replace('"gid": 0\n', '"gid": 0,\n'),
      at: (s) => s.indexOf('}', s.indexOf('"gid": 0,')),
      reason: /property name/,
    },
    {
      name: 'bad token deep in the file',
      text: good.replace('"mode=755"', "'mode=755'"),
      at: (s) => s.indexOf("'mode=755'"),
      reason: /unexpected character "'"/,
    },
  ];
  for (const c of cases) {
    t.not(c.text, good, `${c.name}: the text was changed`);
    const dir = path.join(box.dir, c.name.replace(/ /g, '-'));
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'config.json'), c.text);
    const { line, column } = lineColumn(c.text, c.at(c.text));
    const message = failedCreate(t, box, id('json'), dir, `config.json: invalid JSON at line ${line}, column ${column}: `);
    t.match(message, c.reason, `${c.name}: says what is wrong`);
  }
  // Cut short: it says the file ends too early, still with a place.
  const dir = path.join(box.dir, 'cut');
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, 'config.json'), good.slice(0, good.indexOf('"mounts"')));
  failedCreate(t, box, id('json'), dir, /^config\.json: invalid JSON at line \d+, column \d+: /);
  // An empty file
  fs.writeFileSync(path.join(dir, 'config.json'), '');
  failedCreate(t, box, id('json'), dir, 'config.json: invalid JSON: the file is empty');
});

t.test('schema violations: the JSON path, what was expected, what was found', async (t) => {
  const box = new Sandbox(t);
  const cases: Array<[string, (c: any) => void, string]> = [
    ['no ociVersion', (c) => delete c.ociVersion, 'config.json: ociVersion: must be a string, found nothing'],
    ['args a string', (c) => (c.process.args = 'sh'), 'config.json: process.args: must be a non-empty array of strings, found "sh"'],
    ['args empty', (c) => (c.process.args = []), 'config.json: process.args: must be a non-empty array of strings, found []'],
    ['args with a number', (c) => (c.process.args = ['sh', 1]), 'config.json: process.args[1]: must be a string, found 1'],
    ['negative uid', (c) => (c.process.user.uid = -1), 'config.json: process.user.uid: must be an integer from 0 to 4294967295, found -1'],
    ['uid a string', (c) => (c.process.user.uid = '0'), 'config.json: process.user.uid: must be an integer from 0 to 4294967295, found "0"'],
    ['relative destination', (c) => (c.mounts[2].destination = 5), 'config.json: mounts[2].destination: must be an absolute path, found 5'],
    [
      'unknown namespace',
      (c) => (c.linux.namespaces[1].type = 'net'),
      'config.json: linux.namespaces[1].type: must be one of "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", found "net"',
    ],
    ['env not KEY=VALUE', (c) => (c.process.env = ['A=1', 2]), 'config.json: process.env[1]: must be a "KEY=VALUE" string, found 2'],
    ['root null', (c) => (c.root = null), 'config.json: root: must be an object, found null'],
  ];
  for (const [name, edit, expected] of cases) {
    const message = failedCreate(t, box, id('schema'), bundle(box, edit, name.replace(/ /g, '-')), expected);
    t.equal(message, expected, name);
  }
  // The whole file of the wrong type: no path, just the file.
  const arr = path.join(box.dir, 'array');
  fs.mkdirSync(arr);
  fs.writeFileSync(path.join(arr, 'config.json'), '[1]');
  t.equal(failedCreate(t, box, id('schema'), arr, 'config.json: must be an object, found [1]'), 'config.json: must be an object, found [1]');
});

t.test('the rootfs is missing, or not a directory', async (t) => {
  const box = new Sandbox(t);
  const missing = path.join(box.dir, 'no-rootfs');
  failedCreate(t, box, id('norootfs'), bundle(box, (c) => (c.root.path = missing), 'a'), `config.json: root.path: ${missing} does not exist`);
  // relative to the bundle, not to our working directory
  const rel = bundle(box, (c) => (c.root.path = 'rootfs'), 'rel');
  failedCreate(t, box, id('norootfs'), rel, `config.json: root.path: ${path.join(rel, 'rootfs')} does not exist`);
  const file = path.join(box.dir, 'rootfs-file');
  fs.writeFileSync(file, '');
  failedCreate(t, box, id('norootfs'), bundle(box, (c) => (c.root.path = file), 'f'), `config.json: root.path: ${file} is not a directory`);
});

t.test('process.args[0] missing or not executable in the rootfs: create reports it, nothing is lost', async (t) => {
  const box = new Sandbox(t);
  const cases: Array<[string, string[], string]> = [
    ['not found on PATH', ['no-such-program-here'], 'process.args[0]: "no-such-program-here" not found in the rootfs (searched PATH)'],
    ['absolute path missing', ['/bin/no-such-program'], 'process.args[0]: "/bin/no-such-program" not found in the rootfs'],
    ['not executable', ['/etc/passwd'], 'process.args[0]: /etc/passwd is not executable in the rootfs'],
  ];
  t.ok(fs.statSync(path.join(rootfs, 'etc', 'passwd')).isFile(), '/etc/passwd exists in the rootfs');
  t.equal(fs.statSync(path.join(rootfs, 'etc', 'passwd')).mode & 0o111, 0, 'and is not executable');
  for (const [name, args, expected] of cases) {
    const c = id('prog');
    const message = failedCreate(t, box, c, bundle(box, (cfg) => (cfg.process.args = args), name.replace(/ /g, '-')), expected);
    t.equal(message, expected, `${name}: the message`);
    // not lost: there is no container whose start would fail later
    expectFailure(t, box.run(['state', c]), `state ${c}`, `container ${c} does not exist`);
    // run reports it the same way
    const then = before(box);
    expectFailure(t, box.run(['run', '--bundle', path.join(box.dir, name.replace(/ /g, '-')), c]), `run ${c}`, expected);
    nothingLeft(t, box, c, then);
  }
});

t.test('a bind mount whose source does not exist: reported by create (by the init), nothing left', async (t) => {
  const box = new Sandbox(t);
  const source = path.join(box.dir, 'no-such-source');
  const b = bundle(box, (c) => c.mounts.push({ destination: '/mnt', type: 'bind', source, options: ['rbind'] }));
  failedCreate(t, box, id('bind'), b, `mounts[7] (bind on /mnt): bind source ${source} does not exist`);
});

t.test('--systemd-cgroup with a systemd unit as cgroupsPath: refused with what to configure instead', async (t) => {
  const box = new Sandbox(t);
  const b = bundle(box, (c) => (c.linux.cgroupsPath = 'system.slice:nk:abc'));
  failedCreate(t, box, id('systemd'), b, 'config.json: linux.cgroupsPath: "system.slice:nk:abc" names a systemd unit (--systemd-cgroup)', ['--systemd-cgroup']);
  t.match(box.run(['--systemd-cgroup', 'create', '--bundle', b, id('systemd2')]).stderr, 'hint: configure the client for cgroupfs: containerd SystemdCgroup = false');
  const plain = bundle(box, () => undefined, 'plain');
  const r = box.run(['--systemd-cgroup', 'run', '--bundle', plain, id('systemd3')]);
  t.equal(r.status, 0, `--systemd-cgroup with a plain (or no) cgroupsPath: cgroupfs, as without it: ${r.stderr}`);
});

t.test('a mount destination inside /proc is refused (the runc CVE-2019-16884 class), nothing left', async (t) => {
  const box = new Sandbox(t);
  const b = bundle(box, (c) => c.mounts.push({ destination: '/proc/self/attr', type: 'tmpfs', source: 'tmpfs' }));
  failedCreate(t, box, id('procmnt'), b, 'mounts[7] (tmpfs on /proc/self/attr): destination /proc/self/attr is (through a symlink in the rootfs, /proc/1/attr) inside /proc');
});

t.test('no proc at /proc: refused before anything is made (the init needs /proc/self/fd to reach exec.fifo)', async (t) => {
  const box = new Sandbox(t);
  const b = bundle(box, (c) => (c.mounts.find((m: { type: string }) => m.type === 'proc').destination = '/scratch/proc'));
  failedCreate(t, box, id('noproc'), b, 'config.json: mounts: the container needs a proc filesystem mounted at /proc');
  t.match(box.run(['run', '--bundle', b, id('noproc2')]).stderr, 'hint: after pivot_root the init reaches exec.fifo through /proc/self/fd');
});

t.test('invalid IDs are refused by every command, and nothing is made', async (t) => {
  const box = new Sandbox(t);
  const b = bundle(box);
  const invalid: Array<[string, string, RegExp]> = [
    ['empty', '', /^container id must not be empty$/],
    ['slash', '/', /^container id "\/" contains "\/"/],
    ['a path', 'a/b', /^container id "a\/b" contains "\/"/],
    ['dot dot', '..', /^container id "\.\." is not allowed/],
    ['dot', '.', /^container id "\." is not allowed/],
    ['newline', `a\nb${tag}`, /^container id "a\\nb-\d+" contains a control character$/],
    ['tab', `a\tb${tag}`, /^container id "a\\tb-\d+" contains a control character$/],
    ['escape', `a\x1b[31mb${tag}`, /contains a control character$/],
    ['DEL', `a\x7fb${tag}`, /contains a control character$/],
    ['over 1024 bytes', 'a'.repeat(1025), /^container id is 1025 bytes long; at most 1024 are allowed$/],
    ['over 1024 bytes, counted in UTF-8', 'é'.repeat(513), /^container id is 1026 bytes long; at most 1024 are allowed$/],
  ];
  for (const [name, bad, reason] of invalid) {
    t.test(name, async (t) => {
      const then = before(box);
      expectFailure(t, box.run(['create', '--bundle', b, bad]), `create ${bad}`, reason);
      t.notOk(fs.existsSync(box.root), 'not even the state root was made');
      nothingLeft(t, box, bad, then);
      // Every command refuses it the same way (for a few kinds: each run of the CLI takes time).
      if (!['', '..', 'a/b', `a\nb${tag}`, 'é'.repeat(513)].includes(bad)) return;
      for (const command of [['state'], ['start'], ['kill'], ['delete'], ['delete', '--force']]) {
        expectFailure(t, box.run([...command, bad]), `${command[0]} ${bad}`, reason);
      }
    });
  }
  // An id is a name in the state root, never a path: "../x" reaches nothing outside it.
  t.test('an id cannot reach outside the state root', async (t) => {
    fs.mkdirSync(box.root, { recursive: true });
    const victim = path.join(box.dir, 'victim');
    fs.mkdirSync(victim);
    const state = { ociVersion: '1.2.0', id: 'victim', bundle: b, rootfs, created: new Date().toISOString() };
    fs.writeFileSync(path.join(victim, 'state.json'), JSON.stringify(state));
    for (const command of [['state'], ['start'], ['kill'], ['delete'], ['delete', '--force']]) {
      expectFailure(t, box.run([...command, '../victim']), `${command[0]} ../victim`, 'container id "../victim" contains "/"');
      t.ok(fs.existsSync(path.join(victim, 'state.json')), `${command.join(' ')} ../victim left ${victim} alone`);
    }
  });
});

t.test('a duplicate ID: the second create fails, the first container is intact', async (t) => {
  const box = new Sandbox(t);
  const c = id('dup');
  t.equal(box.run(['create', '--bundle', bundle(box, (cfg) => (cfg.process.args = ['sleep', '30'])), c]).status, 0, 'the first create');
  const first = box.state(c);
  const message = failedCreate(t, box, c, bundle(box, (cfg) => (cfg.process.args = ['sleep', '31']), 'other'), `container ${c} already exists`);
  t.equal(message, `container ${c} already exists`);
  const now = box.state(c);
  t.equal(now.status, 'created', 'the first container is still created');
  t.equal(now.pid, first.pid, 'with the same init');
  t.equal(now.bundle, first.bundle, 'and its own bundle');
  const saved = JSON.parse(fs.readFileSync(path.join(box.root, c, 'config.json'), 'utf8'));
  t.same(saved.process.args, ['sleep', '30'], 'its config was not overwritten');
  expectFailure(t, box.run(['run', '--bundle', path.join(box.dir, 'other'), c]), `run ${c}`, `container ${c} already exists`);
  t.equal(box.state(c).status, 'created', 'a failed run did not touch it either');
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('an unknown ID, for every command; delete --force of one exits 0', async (t) => {
  const box = new Sandbox(t);
  const c = id('unknown');
  for (const command of ['state', 'start', 'kill', 'delete']) {
    const message = expectFailure(t, box.run([command, c]), `${command} ${c}`, `container ${c} does not exist`);
    t.equal(message, `container ${c} does not exist`);
  }
  // also when the state root holds other containers, and with a signal or --all given
  t.equal(box.run(['create', '--bundle', bundle(box, (cfg) => (cfg.process.args = ['sleep', '30'])), id('other')]).status, 0);
  expectFailure(t, box.run(['kill', c, 'KILL']), `kill ${c}`, `container ${c} does not exist`);
  expectFailure(t, box.run(['kill', '--all', c, '9']), `kill ${c}`, `container ${c} does not exist`);
  const forced = box.run(['delete', '--force', c]);
  t.equal(forced.status, 0, 'delete --force of an unknown ID exits 0 (containerd sends it after the container is gone)');
  t.equal(forced.stderr, '', 'and says nothing');
  t.equal(box.state(id('other')).status, 'created', 'the other container was not touched');
  t.equal(box.run(['delete', '--force', id('other')]).status, 0);
  t.same(statesIn(box), [], 'the state root is empty again');
});

t.test('--debug adds the stack trace, naming our source files (the single executable\'s through its source map)', async (t) => {
  const box = new Sandbox(t);
  const c = id('debug');
  const r = box.run(['--debug', 'state', c]);
  t.equal(r.status, 1);
  t.match(r.stderr, `nk-runtime: state ${c}: container ${c} does not exist`);
  // Node: lib/runtime/state-store.js:LINE:COLUMN; the single executable: src/runtime/state-store.ts:LINE:COLUMN.
  t.match(r.stderr, /\n\s+at notFound \(\S*(lib\/runtime\/state-store\.js|src\/runtime\/state-store\.ts):\d+/, 'the frame that made the error');
  t.notMatch(r.stderr, /at notFound \(\/\$bunfs/, 'not a place in the executable');
});

t.test('a program setting the kernel refuses: the init makes them after create, so start reports it; delete cleans up', async (t) => {
  const box = new Sandbox(t);
  const c = id('settle');
  // chdir fails in the init after "ready" (program.ts settleProcess): create has already succeeded.
  const b = bundle(box, (cfg) => {
    cfg.process.cwd = '/no-such-dir';
  });
  const then = before(box);
  t.equal(box.run(['create', '--bundle', b, c]).status, 0, 'create succeeds: the settings come after "ready"');
  const message = expectFailure(t, box.run(['start', c]), `start ${c}`, 'chdir("/no-such-dir"): ENOENT');
  t.match(message, /^the container's program did not start: /, 'said as the program failing to start');
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0, 'delete of the stopped container');
  nothingLeft(t, box, c, then);
});

t.test('wrong state: start twice, delete while running, kill when stopped', async (t) => {
  const box = new Sandbox(t);
  const c = id('state');
  // The program exits when /tmp/go appears in its (writable, private) /tmp: we decide when it stops.
  const b = bundle(box, (cfg) => {
    cfg.process.args = ['sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.05; done'];
    cfg.mounts.push({ destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'nodev'] });
  });
  t.equal(box.run(['create', '--bundle', b, c]).status, 0, 'create');
  const pid = box.state(c).pid;
  t.equal(box.run(['start', c]).status, 0, 'start');

  const twice = expectFailure(t, box.run(['start', c]), `start ${c}`, `cannot start container ${c}: it is running`);
  t.equal(twice, `cannot start container ${c}: it is running`);
  t.equal(box.state(c).status, 'running', 'still running after the second start');

  const del = box.run(['delete', c]);
  expectFailure(t, del, `delete ${c}`, `cannot delete container ${c}: it is running`);
  t.match(del.stderr, /\n {2}hint: .*--force/, 'the hint names --force');
  t.equal(box.state(c).status, 'running', 'delete without --force left it running');
  t.ok(fs.existsSync(`/proc/${pid}`), 'its process is alive');
  t.ok(fs.existsSync(path.join(box.root, c, 'state.json')), 'and its state is there');

  // Let the program end by itself: its /tmp, seen through its root.
  fs.writeFileSync(`/proc/${pid}/root/tmp/go`, '');
  await box.waitFor(c, 'stopped');

  for (const signal of [[], ['KILL'], ['--all', '9']]) {
    const k = box.run(['kill', ...signal.filter((s) => s === '--all'), c, ...signal.filter((s) => s !== '--all')]);
    const message = expectFailure(t, k, `kill ${c}`, 'container not running');
    t.equal(message, `cannot kill container ${c}: container not running`, `kill ${signal.join(' ')} of a stopped container`);
  }
  expectFailure(t, box.run(['start', c]), `start ${c}`, `cannot start container ${c}: it is stopped`);
  t.equal(box.run(['delete', c]).status, 0, 'delete of the stopped container');
  t.same(statesIn(box), [], 'gone');
});

t.test('--log FILE --log-format json: the error, as a JSON line containerd reads', async (t) => {
  const box = new Sandbox(t);
  const log = path.join(box.dir, 'log.json');
  const c = id('log');
  const prog = bundle(box, (cfg) => (cfg.process.args = ['no-such-program-here']));
  const reason = 'process.args[0]: "no-such-program-here" not found in the rootfs';
  const t0 = Date.now();
  failedCreate(t, box, c, prog, reason, ['--log', log, '--log-format', 'json']);
  // The same in one token, and an early error (the bundle) too: each appends one line.
  failedCreate(t, box, c, path.join(box.dir, 'nope'), 'no such directory', [`--log=${log}`, '--log-format=json']);
  const lines = fs.readFileSync(log, 'utf8').split('\n');
  t.equal(lines.pop(), '', 'the file ends with a newline');
  t.equal(lines.length, 2, 'one line per failure');
  const entries = lines.map((l) => JSON.parse(l));
  for (const e of entries) {
    t.same(Object.keys(e).sort(), ['level', 'msg', 'time'], 'level, msg and time');
    t.equal(e.level, 'error');
    const time = Date.parse(e.time);
    t.ok(time >= t0 - 1000 && time <= Date.now() + 1000, `time is now, as RFC 3339 (${e.time})`);
    t.notMatch(e.msg, /\n/, 'msg is one line');
  }
  t.ok(entries[0].msg.includes(reason), `msg holds the reason: ${entries[0].msg}`);
  t.ok(entries[0].msg.startsWith(`create ${c}: `), 'and what failed');
  t.match(entries[1].msg, /no such directory/);

  // text format, the default
  const text = path.join(box.dir, 'log.txt');
  failedCreate(t, box, c, prog, reason, ['--log', text]);
  t.match(fs.readFileSync(text, 'utf8'), /^time="[^"]+" level=error msg=".*not found in the rootfs.*"\n$/, 'logfmt-style text line');

  // a bad --log-format is a usage error
  const bad = box.run(['--log', log, '--log-format', 'xml', 'create', '--bundle', prog, c]);
  t.equal(bad.status, 2, 'an unknown --log-format is a usage error (exit 2)');
  t.match(bad.stderr, /^nk-runtime: Invalid values: .*log-format.*"xml".*\n {2}hint: [^\n]*\n$/, 'in one line, and a hint');
});

t.test('usage errors: one line, a hint, exit 2', async (t) => {
  const box = new Sandbox(t);
  for (const args of [['create'], ['start'], ['kill'], ['delete'], ['state'], ['no-such-command', 'x'], []]) {
    const r = box.run(args);
    t.equal(r.status, 2, `nk-runtime ${args.join(' ')}: exit 2`);
    const lines = r.stderr.replace(/\n$/, '').split('\n');
    t.ok(lines[0].startsWith('nk-runtime: '), `starts with "nk-runtime: ": ${JSON.stringify(r.stderr)}`);
    t.ok(lines.length <= 2 && (lines.length === 1 || lines[1].startsWith('  hint: ')), 'one line and a hint');
    t.notOk(/\n\s+at /.test(r.stderr), 'no stack trace');
  }
  t.notOk(fs.existsSync(box.root), 'nothing made');
});
