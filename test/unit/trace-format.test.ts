/** `nk-runtime trace`: the timeline, and a Mermaid diagram that Mermaid's parser and a strict checker accept. */
import t from 'tap';
import { mermaidErrors } from '../tools/mermaid';
import { parseTrace, traceMermaid, traceText, type TraceLine } from '../../src/explain/trace-format';

const LINES: TraceLine[] = [
  { type: 'command', command: 'create demo', pid: 100, time: 1000 },
  { type: 'step', role: 'runtime', pid: 100, call: 'unshare', text: 'unshare(CLONE_NEWPID)', result: '0', cause: 'linux.namespaces[0]', time: 1010, ms: 0.1 },
  { type: 'step', role: 'init', pid: 1, call: 'mount', text: 'mount("proc", "/r/proc", "proc", 0, NULL)', result: '0', cause: 'mounts[0]', time: 1050, ms: 0.3 },
  { type: 'step', role: 'init', pid: 1, call: 'mount', text: 'mount("x;y", "#z", NULL, 0, NULL)', error: 'EPERM', time: 1060, ms: 0.1 },
  { type: 'command', command: 'start demo', pid: 200, time: 2000 },
  { type: 'step', role: 'exec', pid: 7, call: 'open', text: 'open("/proc/1/ns/ipc", 0x0, 00)', result: 'fd 5', time: 2100, ms: 0.1 },
];

/**
 * A strict reading of the sequenceDiagram grammar we emit: the header, participants, then
 * messages `A->>B: text` or `A-->>B: text` between declared participants, and `Note over A,B:`
 * lines; a message text may not hold ';' or '#' (Mermaid ends a statement at ';' and reads '#'
 * as an entity).
 */
function checkMermaid(text: string): string[] {
  const problems: string[] = [];
  const lines = text.trimEnd().split('\n');
  if (lines[0] !== 'sequenceDiagram') problems.push('first line must be sequenceDiagram');
  const participants = new Set<string>();
  for (const line of lines.slice(1)) {
    let m;
    if ((m = /^ {4}participant (\w+)$/.exec(line))) participants.add(m[1]);
    else if ((m = /^ {4}(\w+)(-->>|->>)(\w+): (.+)$/.exec(line))) {
      if (!participants.has(m[1]) || !participants.has(m[3])) problems.push(`undeclared participant: ${line}`);
      if (/[;#]/.test(m[4])) problems.push(`';' or '#' in a message: ${line}`);
    } else if ((m = /^ {4}Note over (\w+),(\w+): (.+)$/.exec(line))) {
      if (!participants.has(m[1]) || !participants.has(m[2])) problems.push(`undeclared participant: ${line}`);
    } else problems.push(`not a statement: ${JSON.stringify(line)}`);
  }
  return problems;
}

t.test('text: a timeline from the first line, with who, the call, the outcome and the field', async (t) => {
  const text = traceText(LINES);
  t.match(text, /^\+ {5}0 ms {2}── nk-runtime create demo \(pid 100\)$/m);
  t.match(text, /^\+ {4}10 ms {2}runtime pid 100 {4}unshare\(CLONE_NEWPID\) = 0 +linux\.namespaces\[0\]$/m);
  t.match(text, /init {4}pid 1 .*= -1 EPERM/);
  t.equal(text.trimEnd().split('\n').length, LINES.length);
});

t.test('json lines survive a round trip', async (t) => {
  t.same(parseTrace(LINES.map((l) => JSON.stringify(l)).join('\n') + '\n'), LINES);
});

t.test('mermaid: a sequence diagram the checker accepts, failures answered back', async (t) => {
  const diagram = traceMermaid(LINES);
  t.same(checkMermaid(diagram), []);
  t.match(diagram, '    Note over runtime,kernel: nk-runtime create demo\n    runtime->>kernel: unshare(CLONE_NEWPID)\n');
  t.match(diagram, 'kernel-->>init: -1 EPERM');
  t.match(diagram, 'kernel-->>exec: fd 5');
  t.notMatch(diagram, /x;y|#z/, "';' and '#' are kept out of messages");
  t.ok(checkMermaid('sequenceDiagram\n    participant a\n    a->>b: x\n').length > 0, 'the checker does reject an undeclared participant');
  const [real, broken] = mermaidErrors([diagram, 'sequenceDiagram\n    participant a\n    a->>: x\n']);
  t.equal(real, null, "Mermaid's own parser accepts the diagram");
  t.match(broken, /Parse error/, "and Mermaid's parser does reject a broken one");
});
