/**
 * docs/commands.md's sequence diagrams are drawn from real traces by scripts/gen-diagrams.sh.
 * This draws them again, into a copy of the page, and fails when they differ from the committed
 * ones: the page must show what the code does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import t, { type Test } from 'tap';
import { CLEAN_ENV, REPO, skipReason } from './harness';
import { mermaidErrors } from '../tools/mermaid';

// The diagrams are of the Node build (gen-diagrams always runs bin/nk-runtime): `make test`'s
// second pass, with NK_RUNTIME_BIN=dist/nk-runtime, has nothing new to check here.
const skip = skipReason() ?? (process.env.NK_RUNTIME_BIN ? 'the diagrams are drawn from the Node build, checked without NK_RUNTIME_BIN' : undefined);
if (skip) t.plan(0, skip);

const PAGE = path.join(REPO, 'docs', 'commands.md');
const REGENERATE = 'sudo ./scripts/gen-diagrams.sh, then commit docs/commands.md';

/** The diagrams depend on the host's cgroups (one mkdir per v1 hierarchy): the page says which it was made on. */
function madeOn(page: string): string | undefined {
  return /<!-- diagrams made on: (.*) -->/.exec(page)?.[1];
}

/** Mermaid's sequenceDiagram statements we emit: participants, messages, notes, loop ... end. */
function mermaidProblems(diagram: string): string[] {
  const problems: string[] = [];
  const lines = diagram.trimEnd().split('\n');
  if (lines[0] !== 'sequenceDiagram') problems.push('first line must be sequenceDiagram');
  const participants = new Set<string>();
  let depth = 0;
  for (const line of lines.slice(1)) {
    let m;
    if ((m = /^ {4}participant (\w+)$/.exec(line))) participants.add(m[1]);
    else if ((m = /^ {4}(?: {4})?(\w+)(-->>|->>)(\w+): (.+)$/.exec(line))) {
      if (!participants.has(m[1]) || !participants.has(m[3])) problems.push(`undeclared participant: ${line}`);
      if (/[;#]/.test(m[4])) problems.push(`';' or '#' in a message: ${line}`);
    } else if (/^ {4}Note over \w+,\w+: [^;#]+$/.test(line)) continue;
    else if (/^ {4}loop [^;#]+$/.test(line)) depth++;
    else if (line === '    end' && depth > 0) depth--;
    else problems.push(`not a statement: ${JSON.stringify(line)}`);
  }
  if (depth !== 0) problems.push('a loop without its end');
  return problems;
}

/** Where two texts first differ, with a few lines of each around it. */
function firstDifference(committed: string, now: string): string {
  const a = committed.split('\n');
  const b = now.split('\n');
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  const around = (lines: string[]) => lines.slice(Math.max(0, i - 2), i + 4).join('\n');
  return `committed, from line ${i + 1} of the block:\n${around(a)}\nnow:\n${around(b)}`;
}

/** Draw the page again into a copy in `dir`; returns the copy's text. */
function redraw(t: Test, dir: string, committed: string): string {
  const copy = path.join(dir, 'commands.md');
  fs.writeFileSync(copy, committed);
  // Through env -i, as the harness starts the CLI: tap's hook must not get into the runtime.
  const env = Object.entries(CLEAN_ENV).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync('/usr/bin/env', ['-i', ...env, process.execPath, path.join(REPO, 'lib', 'tools', 'gen-diagrams.js'), '--out', copy], { encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, `gen-diagrams ran: ${r.stderr}`);
  return fs.readFileSync(copy, 'utf8');
}

const DIAGRAM = /<!-- diagram (\w+) -->\n```mermaid\n([\s\S]*?)```\n<!-- end diagram -->/g;

/** The diagrams of a page by command name, each as its block's text. */
function blocks(page: string): Map<string, string> {
  return new Map([...page.matchAll(DIAGRAM)].map((m) => [m[1], m[0]]));
}

t.test('the diagrams in docs/commands.md are what the commands do today', async (t) => {
  const committed = fs.readFileSync(PAGE, 'utf8');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-diagrams-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  let redrawn = redraw(t, dir, committed);
  const diagrams = [...redrawn.matchAll(DIAGRAM)];
  t.same(diagrams.map((d) => d[1]), ['create', 'start', 'exec', 'pause', 'resume', 'kill', 'delete', 'run'], 'a diagram for each command');
  for (const [, name, diagram] of diagrams) t.same(mermaidProblems(diagram), [], `${name}: the strict checker accepts it`);
  const parsed = mermaidErrors(diagrams.map((d) => d[2]));
  diagrams.forEach(([, name], i) => t.equal(parsed[i], null, `${name}: Mermaid's own parser accepts it`));
  t.ok(mermaidProblems('sequenceDiagram\n    participant a\n    loop 2 times\n    a->>b: x\n').length === 2, 'the checker rejects an undeclared participant and a loop without end');
  if (madeOn(committed) !== madeOn(redrawn)) {
    t.skip(`the page was drawn on ${madeOn(committed)}, this host is ${madeOn(redrawn)}: the cgroup steps differ`);
    return;
  }
  if (redrawn !== committed) {
    // Once (1 run in about 45) a drawing differed and the next did not; what differed was not
    // caught. Draw once more, say what differed the first time, and judge the second drawing:
    // a change in the code differs both times.
    const first = blocks(redrawn);
    for (const [name, block] of blocks(committed)) {
      if (first.get(name) !== block) t.comment(`first drawing: the ${name} diagram differed:\n${firstDifference(block, first.get(name) ?? '')}`);
    }
    redrawn = redraw(t, dir, committed);
  }
  // One assertion per diagram, so that the failure names the command whose steps changed.
  const now = blocks(redrawn);
  for (const [name, block] of blocks(committed)) {
    const same = now.get(name) === block;
    t.ok(same, `docs/commands.md: the ${name} diagram no longer matches the code; redraw it: ${REGENERATE}${same ? '' : `\n${firstDifference(block, now.get(name) ?? '')}`}`);
  }
  t.equal(redrawn, committed, `docs/commands.md is as gen-diagrams draws it (${REGENERATE})`);
});
