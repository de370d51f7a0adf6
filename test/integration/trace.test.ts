/** Every container keeps its steps: `nk-runtime trace ID` shows create, start, exec and kill. */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO, Sandbox, skipReason } from './harness';
import { mermaidErrors } from '../tools/mermaid';

const skip = skipReason();
if (skip) t.plan(0, skip);

t.test('trace: the whole life so far, from the runtime and the init, in order, in three formats', async (t) => {
  const box = new Sandbox(t);
  const c = `trace-${process.pid}`;
  t.equal(box.run(['create', '--bundle', box.shell('sleep 30'), c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  t.equal(box.run(['exec', c, 'true']).status, 0);
  t.equal(box.run(['kill', c, 'KILL']).status, 0);
  const text = box.run(['trace', c]);
  t.equal(text.status, 0, text.stderr);
  const order = [
    /── nk-runtime create /,
    /runtime pid \d+ +unshare\(CLONE_NEWPID\)/,
    /init +pid 1 +pivot_root\("\.", "\."\) = 0/,
    /── nk-runtime start /,
    /init +pid 1 +execve\("\/bin\/sh"/,
    /── nk-runtime exec .* true/,
    /exec +pid \d+ +setns\(/,
    /── nk-runtime kill /,
    /runtime pid \d+ +kill\(\d+, SIGKILL\) = 0/,
  ];
  let from = 0;
  for (const pattern of order) {
    const m = pattern.exec(text.stdout.slice(from));
    t.ok(m, `in order: ${pattern.source}`);
    if (m) from += m.index + m[0].length;
  }
  const json = box.run(['trace', '--format', 'json', c]);
  const lines = json.stdout.trim().split('\n').map((l) => JSON.parse(l));
  t.same([...new Set(lines.filter((l) => l.type === 'step').map((l) => l.role))].sort(), ['exec', 'init', 'runtime']);
  const mermaid = box.run(['trace', '--format', 'mermaid', c]);
  t.match(mermaid.stdout, /^sequenceDiagram\n/);
  t.match(mermaid.stdout, /init->>kernel: pivot_root\('\.', '\.'\)/);
  t.same(mermaidErrors([mermaid.stdout]), [null], "Mermaid's own parser accepts the container's whole life");
  t.equal(box.run(['delete', '--force', c]).status, 0);
  t.match(box.run(['trace', c]).stderr, `container ${c} does not exist`, 'the trace goes with the container');
});

t.test('every kernel step of a container\'s life names what caused it: a config field, or the runtime\'s own reason', async (t) => {
  const box = new Sandbox(t);
  const c = `cause-${process.pid}`;
  // A config that reaches more of the code: a terminal-less exec with a user, rlimits, a sysctl,
  // seccomp and capabilities from `spec`'s defaults, a device, and pause/resume.
  const bundle = box.shell('sleep 30', (config) => {
    config.linux.sysctl = { 'net.ipv4.ip_forward': '0' };
    config.linux.devices = [{ path: '/dev/nk-null', type: 'c', major: 1, minor: 3, fileMode: 0o666 }];
    config.linux.resources = { pids: { limit: 64 }, memory: { limit: 64 * 1024 * 1024 } };
  });
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  t.equal(box.run(['exec', '--user', '1000:1000', '--env', 'A=1', c, 'true']).status, 0);
  t.equal(box.run(['pause', c]).status, 0);
  t.equal(box.run(['resume', c]).status, 0);
  t.equal(box.run(['update', '--pids-limit', '32', c]).status, 0);
  t.equal(box.run(['kill', c, 'KILL']).status, 0);
  const steps = box.run(['trace', '--format', 'json', c]).stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'step');
  t.ok(steps.length > 100, `${steps.length} steps`);
  const uncaused = steps.filter((s) => !s.cause).map((s) => `${s.role} ${s.text}`);
  t.same(uncaused, [], 'no step without its cause');
  // And the config's own fields are named where they are the cause.
  const causes = new Set(steps.map((s) => s.cause));
  for (const field of ['linux.namespaces[0]', 'mounts[0]', 'root.path', 'hostname', 'process.rlimits[0]', 'process.args', 'linux.sysctl.net.ipv4.ip_forward', 'linux.devices[0]']) {
    t.ok(causes.has(field), `a step caused by ${field}`);
  }
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('a step names the code that made it when somebody watches (-E), and not in a plain run, which is spared the stack trace', async (t) => {
  const box = new Sandbox(t);
  const plain = `plain-${process.pid}`;
  const watched = `watched-${process.pid}`;
  const bundle = box.shell('true');
  t.equal(box.run(['create', '--bundle', bundle, plain]).status, 0);
  t.equal(box.run(['-E', 'create', '--bundle', bundle, watched]).status, 0);
  const steps = (id: string) => box.run(['trace', '--format', 'json', id]).stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'step');
  const unwatched = steps(plain);
  t.ok(unwatched.length > 50, `${unwatched.length} steps`);
  t.same(unwatched.filter((s) => s.site !== undefined).map((s) => s.site), [], 'no sites without -E');
  const narrated = steps(watched);
  t.same([...new Set(narrated.map((s) => s.role))].sort(), ['init', 'runtime']);
  // "src/init/rootfs.ts pivotToRootfs()": a file of src/ (under the single executable too, through
  // its source map), and the function when it has a name.
  const wrong = narrated.filter((s) => !/^src\/[\w/.-]+\.ts( [\w.$]+\(\))?$/.test(s.site ?? '') || !fs.existsSync(path.join(REPO, s.site.split(' ')[0])));
  t.same(wrong.map((s) => `${s.role} ${s.text}: ${s.site}`), [], 'every step of -E names its file in src/');
  t.ok(narrated.some((s) => s.site === 'src/init/rootfs.ts pivotToRootfs()'), 'pivot_root: src/init/rootfs.ts pivotToRootfs()');
  for (const id of [plain, watched]) t.equal(box.run(['delete', '--force', id]).status, 0);
});
