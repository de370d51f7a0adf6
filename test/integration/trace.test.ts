/** Every container keeps its steps: `nk-runtime trace ID` shows create, start, exec and kill. */
import t from 'tap';
import { Sandbox, skipReason } from './harness';
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
