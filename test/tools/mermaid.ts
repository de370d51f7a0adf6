/**
 * Check diagrams with Mermaid's real parser (test/tools/mermaid-parse.mjs, in a Node process of
 * its own). Returns, for each diagram, null when Mermaid accepts it, or its parse error.
 */
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export function mermaidErrors(diagrams: string[]): (string | null)[] {
  const script = path.join(__dirname, 'mermaid-parse.mjs');
  // Only PATH: tap's NODE_OPTIONS loaders are not wanted in that process.
  const r = spawnSync(process.execPath, [script], { input: JSON.stringify(diagrams), encoding: 'utf8', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  if (r.status !== 0) throw new Error(`mermaid-parse.mjs failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
