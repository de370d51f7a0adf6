/**
 * `node lib/tools/site-table.js MAP OUT`: the single executable's site table (source-positions.ts)
 * from the source map Bun wrote for it. scripts/build-single.sh runs it.
 *
 * A source map (https://sourcemaps.info/spec.html) says, for each place in the generated code,
 * where it came from: its "mappings" are lines of the generated file, separated by ";", each a
 * list of segments separated by ",". A segment is 1, 4 or 5 numbers in base64 VLQ (below), each
 * relative to the same number of the segment before it: the generated column (back to 0 on each
 * line), the index of the source file, the line and the column in it, and a name.
 *
 * The table keeps a segment only where the source file or its line changes: our bundle has about
 * 72,000 segments, and -E's sites and --debug's lines need far fewer.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { SiteTable } from '../source-positions';

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * One segment's numbers. Base64 VLQ: each character is 6 bits, 5 of value (least significant
 * first) and a top bit that says "more follows"; the lowest bit of the whole is the sign.
 */
export function decodeSegment(text: string): number[] {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of text) {
    const digit = BASE64.indexOf(char);
    if (digit < 0) throw new Error(`not base64 VLQ: "${text}"`);
    value += (digit & 31) * 2 ** shift;
    shift += 5;
    if (digit & 32) continue;
    values.push(value % 2 ? -(value - 1) / 2 : value / 2);
    value = 0;
    shift = 0;
  }
  return values;
}

/** The table of a source map: `root` is the directory its relative sources are named from. */
export function siteTable(map: { sources: string[]; mappings: string }, root: string): SiteTable {
  const sources = map.sources.map((source) => path.relative(root, path.resolve(root, source)));
  const lines: number[][] = [];
  let source = 0;
  let sourceLine = 0;
  let kept = [-1, -1];
  for (const generated of map.mappings.split(';')) {
    const runs: number[] = [];
    let column = 0;
    for (const segment of generated.split(',')) {
      if (segment === '') continue;
      const [dColumn, dSource, dLine] = decodeSegment(segment);
      column += dColumn;
      if (dSource === undefined) continue; // a place that comes from no source
      source += dSource;
      sourceLine += dLine;
      if (source === kept[0] && sourceLine === kept[1]) continue;
      runs.push(column, source, sourceLine);
      kept = [source, sourceLine];
    }
    lines.push(runs);
  }
  return { sources, lines };
}

function main(): void {
  const [mapFile, out] = process.argv.slice(2);
  if (!mapFile || !out) throw new Error('usage: site-table MAP OUT');
  const map = JSON.parse(fs.readFileSync(mapFile, 'utf8')) as { sources: string[]; mappings: string };
  // Bun names the sources from the directory it was run in: the repository (build-single.sh).
  fs.writeFileSync(out, JSON.stringify(siteTable(map, process.cwd())) + '\n');
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`site-table: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
