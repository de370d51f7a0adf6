/**
 * `nk-runtime trace ID`: the container's life so far, from the trace.jsonl every command appends
 * to (runtime/context.ts): a line per command, a line per kernel step of the runtime, the init or
 * an exec helper. Three ways to show it: a timeline (text), the lines as they are (json), and a
 * Mermaid sequence diagram (mermaid) to paste into a Markdown file.
 */
import type { Step } from '../linux/kernel';

export type TraceLine = ({ type: 'command'; command: string; pid: number; time: number }) | ({ type: 'step' } & Step);

export function parseTrace(text: string): TraceLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as TraceLine);
}

/** A timeline: milliseconds since the first line, who, the call, its result, the config field. */
export function traceText(lines: TraceLine[]): string {
  const start = lines[0]?.time ?? 0;
  const at = (time: number) => `+${String(time - start).padStart(6)} ms`;
  return lines
    .map((l) => {
      if (l.type === 'command') return `${at(l.time)}  ── nk-runtime ${l.command} (pid ${l.pid})`;
      const outcome = l.error ? `= -1 ${l.error}` : `= ${l.result}`;
      const line = `${at(l.time)}  ${l.role.padEnd(7)} pid ${String(l.pid).padEnd(6)} ${l.text} ${outcome}`;
      return l.cause ? `${line.padEnd(100)} ${l.cause}` : line;
    })
    .join('\n') + '\n';
}

/** Mermaid's message text ends at a newline or ';', and '#' starts an entity: keep them out. */
export function mermaidText(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').replace(/;/g, ',').replace(/#/g, 'no. ').replace(/"/g, "'").slice(0, 160);
}

/** A sequenceDiagram: runtime, init and exec helpers call the kernel; failures answer back. */
export function traceMermaid(lines: TraceLine[]): string {
  const out = ['sequenceDiagram', '    participant runtime', '    participant init', '    participant exec', '    participant kernel'];
  for (const l of lines) {
    if (l.type === 'command') {
      out.push(`    Note over runtime,kernel: nk-runtime ${mermaidText(l.command)}`);
      continue;
    }
    out.push(`    ${l.role}->>kernel: ${mermaidText(l.text)}`);
    if (l.error) out.push(`    kernel-->>${l.role}: -1 ${l.error}`);
    else if (l.result && l.result !== '0') out.push(`    kernel-->>${l.role}: ${mermaidText(l.result)}`);
  }
  return out.join('\n') + '\n';
}
