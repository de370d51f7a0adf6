/**
 * Where a place in the single executable's code came from in src/. The executable holds all of
 * nk-runtime as one file, so its stack traces say "/$bunfs/root/nk-runtime:152:1071": line and
 * column in that file. -E's code sites and --debug's stack traces name the TypeScript instead,
 * through a table made from Bun's source map when the executable is built
 * (scripts/build-single.sh, src/tools/site-table.ts), kept beside it as `nk-runtime.sites`.
 *
 * Why not Bun's own source map, built in with `--sourcemap`: Bun reads it at every start, about
 * 1 ms of each process (docs/performance.md), and most commands never show a site. The table is
 * read only when something asks (once per process), and it is small: where each run of code from
 * one line of one source file begins, nothing else.
 *
 * Without the table (an executable copied without it) there are no sites, and --debug shows the
 * executable's own positions: nothing else depends on it.
 */
import { files as fs } from './linux/files';

/**
 * nk-runtime.sites, as site-table.ts writes it. `lines[i]` is line i + 1 of the executable's code:
 * triples (column where a run begins, index in `sources`, line in that source), by column, all
 * counted from 0 as in a source map.
 */
export interface SiteTable {
  sources: string[];
  lines: number[][];
}

/** The file's name, beside the executable (as nk-userns is). */
export const SITE_TABLE = 'nk-runtime.sites';

let table: SiteTable | null | undefined;

/**
 * Read the table now (undefined if there is none). The init calls this before pivot_root: after
 * it, the executable's directory is out of reach.
 */
export function loadSiteTable(): SiteTable | undefined {
  if (table === undefined) {
    try {
      table = JSON.parse(fs.readFileSync(`${process.execPath.replace(/[^/]*$/, '')}${SITE_TABLE}`, 'utf8')) as SiteTable;
    } catch {
      table = null;
    }
  }
  return table ?? undefined;
}

/** The source file and line (from 1) of a place in the executable (line and column from 1, as a stack trace says). */
export function sourceOf(line: number, column: number, sites = loadSiteTable()): { file: string; line: number } | undefined {
  if (!sites) return undefined;
  // The run that holds the place began at or before it: on its own line, or else on an earlier one.
  for (let l = line - 1; l >= 0; l--) {
    const runs = sites.lines[l] ?? [];
    const run = lastRunFrom(runs, l === line - 1 ? column - 1 : Infinity);
    if (run >= 0) return { file: sites.sources[runs[run * 3 + 1]], line: runs[run * 3 + 2] + 1 };
  }
  return undefined;
}

/** The last run of a line that begins at or before `column` (a binary search), or -1. */
function lastRunFrom(runs: number[], column: number): number {
  let found = -1;
  let low = 0;
  let high = runs.length / 3 - 1;
  while (low <= high) {
    const mid = (low + high) >> 1;
    if (runs[mid * 3] <= column) {
      found = mid;
      low = mid + 1;
    } else high = mid - 1;
  }
  return found;
}

/** A stack trace with the executable's positions replaced by src/ files and lines (--debug). */
export function withSourcePositions(stack: string, sites?: SiteTable): string {
  if (!stack.includes('/$bunfs/')) return stack;
  return stack.replace(/\/\$bunfs\/root\/[^:)\s]+:(\d+):(\d+)/g, (place, line: string, column: string) => {
    const source = sourceOf(Number(line), Number(column), sites ?? loadSiteTable());
    return source ? `${source.file}:${source.line}` : place;
  });
}
