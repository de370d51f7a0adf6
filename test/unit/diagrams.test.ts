/** docs/commands.md's diagrams: repeated calls drawn as loops, deterministically; values normalized. */
import t from 'tap';
import { normalize, sequenceDiagram } from '../../src/explain/diagrams';
import type { TraceLine } from '../../src/explain/trace-format';

const step = (call: string, text: string, site: string, extra: Partial<TraceLine> = {}): TraceLine =>
  ({ type: 'step', role: 'init', pid: 1, call, text, site, time: 0, ms: 0, result: '0', ...extra }) as TraceLine;

const mount = (dev: string) => [
  step('openat2', `openat2(18, "${dev}", {flags: O_PATH})`, 'rootfs.ts openDestination()', { result: 'fd 19' }),
  step('mount', `mount("tmpfs", "/proc/self/fd/19", "tmpfs", MS_NOSUID, NULL)`, 'rootfs.ts mountOne()'),
  step('close', 'close(19)', 'rootfs.ts mountOne()'),
];

t.test('a cycle of calls repeated becomes one loop, its first round shown, what varies in its title', async (t) => {
  const lines: TraceLine[] = [{ type: 'command', command: 'create demo', pid: 5, time: 0 }, ...mount('dev'), ...mount('tmp'), ...mount('run')];
  const diagram = sequenceDiagram(lines);
  t.match(diagram, '    loop 3 times: dev, tmp, run (the first shown)\n        init->>kernel: openat2(18, \'dev\', {flags: O_PATH})\n        kernel-->>init: fd 19\n');
  t.equal(diagram.match(/->>kernel/g)?.length, 3, 'one round drawn');
  t.match(diagram, /\n    end\n$/);
});

t.test('calls with other flags, or a single one, stay apart', async (t) => {
  const lines = [
    step('mount', 'mount("/p", "/p", NULL, MS_BIND, NULL)', 'ro()'),
    step('mount', 'mount(NULL, "/p", NULL, MS_RDONLY|MS_REMOUNT|MS_BIND, NULL)', 'ro()'),
    step('mount', 'mount("/q", "/q", NULL, MS_BIND, NULL)', 'ro()'),
  ];
  const diagram = sequenceDiagram(lines);
  t.notMatch(diagram, /loop/);
  t.equal(diagram.match(/->>kernel/g)?.length, 3);
});

t.test('capability drops: a loop over the names; the same input draws the same diagram', async (t) => {
  const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_ADMIN'].map((c) => step('prctl', `prctl(PR_CAPBSET_DROP, ${c})`, 'caps()'));
  t.match(sequenceDiagram(caps), 'loop 3 times: CAP_CHOWN, CAP_KILL, CAP_SYS_ADMIN (the first shown)');
  t.equal(sequenceDiagram(caps), sequenceDiagram(caps));
});

t.test('normalize: strings and patterns, in texts, results and command lines', async (t) => {
  const [c, s] = normalize(
    [{ type: 'command', command: 'create demo-42', pid: 42, time: 0 }, step('spawn', 'posix_spawn("/home/me/nk/lib/init/main.js")', 'x()', { result: 'pid 4711' })],
    [['demo-42', 'demo'], ['/home/me/nk', '$REPO'], [/\b4711\b/g, '$INIT']],
  );
  t.equal(c.type === 'command' && c.command, 'create demo');
  t.equal(s.type === 'step' && s.text, 'posix_spawn("$REPO/lib/init/main.js")');
  t.equal(s.type === 'step' && s.result, 'pid $INIT');
});

t.test('withDiagrams: redraws each marked block, keeps the rest, refuses a page without the block', async (t) => {
  const { withDiagrams } = await import('../../src/tools/gen-diagrams');
  const page = 'intro\n<!-- diagrams made on: old -->\n<!-- diagram kill -->\nstale\n<!-- end diagram -->\nafter\n';
  const out = withDiagrams(page, new Map([['kill', 'sequenceDiagram\n']]));
  t.match(out, /^intro\n<!-- diagrams made on: cgroup v[12].* -->\n<!-- diagram kill -->\n```mermaid\nsequenceDiagram\n```\n<!-- end diagram -->\nafter\n$/);
  t.throws(() => withDiagrams(page, new Map([['start', 'x\n']])), /no <!-- diagram start --> block/);
});
