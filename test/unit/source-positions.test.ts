/**
 * The single executable's site table: made from a source map (src/tools/site-table.ts), read to
 * name the src/ file and line of a place in the executable (src/source-positions.ts).
 */
import t from 'tap';
import fc from 'fast-check';
import { decodeSegment, siteTable } from '../../src/tools/site-table';
import { sourceOf, withSourcePositions } from '../../src/source-positions';

/** Base64 VLQ, written the way the source map spec describes it (the inverse of decodeSegment). */
function encode(values: number[]): string {
  const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let out = '';
  for (const value of values) {
    let rest = value < 0 ? -value * 2 + 1 : value * 2;
    do {
      let digit = rest % 32;
      rest = Math.floor(rest / 32);
      if (rest > 0) digit += 32;
      out += BASE64[digit];
    } while (rest > 0);
  }
  return out;
}

t.test('base64 VLQ: the spec\'s examples, and any numbers back as they went in', async (t) => {
  t.same(decodeSegment('AAAA'), [0, 0, 0, 0]);
  t.same(decodeSegment('C'), [1]);
  t.same(decodeSegment('D'), [-1]);
  t.same(decodeSegment('gB'), [16]);
  t.same(decodeSegment('hB'), [-16]);
  t.same(decodeSegment('2HwcYAAA'), [123, 456, 12, 0, 0, 0]);
  t.throws(() => decodeSegment('A;'), /not base64 VLQ/);
  fc.assert(fc.property(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 }), { minLength: 1, maxLength: 6 }), (values) => {
    t.same(decodeSegment(encode(values)), values);
  }), { numRuns: 300 });
});

// Two generated lines. Line 1: columns 0 and 10 come from a.ts line 1, column 20 from b.ts
// line 6. Line 2: column 0 from no source, column 4 from b.ts line 7.
const map = {
  sources: ['src/a.ts', '/repo/src/b.ts'],
  mappings: [
    [encode([0, 0, 0, 0]), encode([10, 0, 0, 3]), encode([10, 1, 5, 0])].join(','),
    [encode([0]), encode([4, 0, 1, 0])].join(','),
  ].join(';'),
};

t.test('the table keeps a run only where the source file or its line changes, names sources from the repository', async (t) => {
  const table = siteTable(map, '/repo');
  t.same(table.sources, ['src/a.ts', 'src/b.ts']);
  t.same(table.lines, [[0, 0, 0, 20, 1, 5], [4, 1, 6]]);
});

t.test('a place is in the last run that began at or before it, on its line or an earlier one', async (t) => {
  const table = siteTable(map, '/repo');
  t.same(sourceOf(1, 1, table), { file: 'src/a.ts', line: 1 });
  t.same(sourceOf(1, 20, table), { file: 'src/a.ts', line: 1 });
  t.same(sourceOf(1, 21, table), { file: 'src/b.ts', line: 6 });
  t.same(sourceOf(2, 1, table), { file: 'src/b.ts', line: 6 }, 'before line 2\'s first run: line 1\'s last goes on');
  t.same(sourceOf(2, 5, table), { file: 'src/b.ts', line: 7 });
  t.same(sourceOf(9, 1, table), { file: 'src/b.ts', line: 7 }, 'past the end: the last run');
  t.equal(sourceOf(1, 1, { sources: [], lines: [] }), undefined);
});

t.test('--debug\'s stack trace names src/ files and lines instead of places in the executable', async (t) => {
  const table = siteTable(map, '/repo');
  const stack = 'Error: x\n    at f (/$bunfs/root/nk-runtime:1:25)\n    at /$bunfs/root/nk-runtime:2:5\n    at native';
  t.equal(withSourcePositions(stack, table), 'Error: x\n    at f (src/b.ts:6)\n    at src/b.ts:7\n    at native');
  const nodeStack = 'Error: x\n    at f (/repo/lib/a.js:1:2)';
  t.equal(withSourcePositions(nodeStack, table), nodeStack, 'a stack of the Node build is left as it is');
});
