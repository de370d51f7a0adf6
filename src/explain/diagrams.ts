/**
 * The sequence diagrams of docs/commands.md, drawn from real traces (scripts/gen-diagrams.sh).
 * Two things make a trace fit a page, both deterministic so that a test can redraw the diagrams
 * and compare: `normalize` replaces what differs from run to run (pids, the paths of this clone
 * and of the state root), and `sequenceDiagram` draws a run of repeated calls (the same call from
 * the same function with the same flags, one call or a short cycle of them, as the mounts make)
 * as a Mermaid `loop` that shows its first round and names what changes between rounds.
 */
import { mermaidText, type TraceLine } from './trace-format';

type StepLine = Extract<TraceLine, { type: 'step' }>;

/** Replace each `from` (a path or a pid) with `to` in every text and result. */
export function normalize(lines: TraceLine[], replacements: Array<[from: string | RegExp, to: string]>): TraceLine[] {
  const fixRe = (s: string) =>
    replacements.reduce((acc, [from, to]) => (typeof from === 'string' ? acc.split(from).join(to) : acc.replace(from, to)), s);
  return lines.map((l) =>
    l.type === 'command'
      ? { ...l, command: fixRe(l.command) }
      : { ...l, text: fixRe(l.text), ...(l.result !== undefined ? { result: fixRe(l.result) } : {}) },
  );
}

/**
 * What makes two steps "the same call": who, which call, from which function, and the text with
 * its values (strings, numbers, capability names) taken out, so that the flags still count.
 */
function shape(l: StepLine): string {
  const form = l.text.replace(/"[^"]*"/g, 's').replace(/\bCAP_\w+/g, 'CAP').replace(/\b\d+\b/g, 'n');
  return `${l.role} ${l.site ?? ''} ${form} ${l.error ?? ''}`;
}

/** The longest run of repeated rounds starting at `i`: rounds of `period` steps, `times` of them. */
function repetition(steps: StepLine[], i: number): { period: number; times: number } {
  let best = { period: 1, times: 1 };
  for (let period = 1; period <= 4; period++) {
    let times = 1;
    while (
      i + (times + 1) * period <= steps.length &&
      Array.from({ length: period }, (_, j) => shape(steps[i + j]) === shape(steps[i + times * period + j])).every(Boolean)
    ) {
      times++;
    }
    // A run must repeat and cover at least three calls; the one that covers most wins, then the shorter round.
    if (times >= 2 && period * times >= 3 && period * times > best.period * best.times) best = { period, times };
  }
  return best;
}

/**
 * What changes from round to round: the first quoted string that differs, shortened to the path
 * component where the rounds differ ('/sys/fs/cgroup/cpu/nk-demo' → 'cpu').
 */
function varying(rounds: StepLine[][]): string | undefined {
  for (let j = 0; j < rounds[0].length; j++) {
    const quoted = rounds.map((r) => r[j].text.match(/"[^"]*"|\bCAP_\w+/g) ?? []);
    for (let q = 0; q < quoted[0].length; q++) {
      const values = quoted.map((qs) => (qs[q] ?? '').replace(/^"(.*)"$/, '$1'));
      if (new Set(values).size <= 1) continue;
      const parts = values.map((v) => v.split('/'));
      let at = 0;
      while (parts.every((p) => p[at] === parts[0][at])) at++;
      const names = parts.map((p) => p[at] ?? '');
      // '/proc/self/fd' and '/proc/self/fd/0' differ where one has nothing: try the next string.
      if (names.every((n) => n !== '')) return names.length <= 10 ? names.join(', ') : `${names.slice(0, 3).join(', ')} ... ${names[names.length - 1]}`;
    }
  }
  return undefined;
}

function messages(l: StepLine, indent: string): string[] {
  const out = [`${indent}${l.role}->>kernel: ${mermaidText(l.text)}`];
  if (l.error) out.push(`${indent}kernel-->>${l.role}: -1 ${l.error}`);
  else if (l.result && l.result !== '0') out.push(`${indent}kernel-->>${l.role}: ${mermaidText(l.result)}`);
  return out;
}

/** A Mermaid sequenceDiagram of the trace, repeated calls drawn as loops. */
export function sequenceDiagram(lines: TraceLine[]): string {
  const out = ['sequenceDiagram', '    participant runtime', '    participant init', '    participant exec', '    participant kernel'];
  let i = 0;
  while (i < lines.length) {
    const l = lines[i];
    if (l.type === 'command') {
      out.push(`    Note over runtime,kernel: nk-runtime ${mermaidText(l.command)}`);
      i++;
      continue;
    }
    // The steps up to the next command line.
    let end = i;
    while (end < lines.length && lines[end].type === 'step') end++;
    const steps = lines.slice(i, end) as StepLine[];
    let s = 0;
    while (s < steps.length) {
      const { period, times } = repetition(steps, s);
      if (times === 1) {
        out.push(...messages(steps[s], '    '));
        s++;
        continue;
      }
      const rounds = Array.from({ length: times }, (_, r) => steps.slice(s + r * period, s + (r + 1) * period));
      const what = varying(rounds);
      out.push(`    loop ${times} times${what ? `: ${mermaidText(what)}` : ''} (the first shown)`);
      for (const step of rounds[0]) out.push(...messages(step, '        '));
      out.push('    end');
      s += period * times;
    }
    i = end;
  }
  return out.join('\n') + '\n';
}
