/**
 * Property-based fuzzing (fast-check): thousands of broken configs, JSON texts and command lines.
 * Whatever comes in, the answer is a valid result or one UserError of one line that names where
 * the problem is: never a crash, a stack trace or another kind of error.
 *
 * NK_FUZZ_RUNS sets the number of cases per property (default 1500; `make fuzz` runs more).
 */
import t from 'tap';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { UserError } from '../../src/errors';
import { validateSpec } from '../../src/oci/validate';
import { parseJson } from '../../src/oci/json';
import { parseHot } from '../../src/cli/argv';
import { defaultSpec } from '../../src/oci/default-spec';

const RUNS = Number(process.env.NK_FUZZ_RUNS ?? 1500);
const SAMPLE = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'bundle', 'config.json'), 'utf8'));

/** Every path to a value in a JSON tree: ['process', 'args', 0], ... */
function paths(value: unknown, at: (string | number)[] = []): (string | number)[][] {
  const found = [at];
  if (Array.isArray(value)) value.forEach((v, i) => found.push(...paths(v, [...at, i])));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) found.push(...paths(v, [...at, k]));
  return found;
}

/** Values that break things: wrong types, huge and odd numbers, odd strings, paths that climb. */
const nasty = fc.oneof(
  fc.anything(),
  fc.string(),
  fc.constantFrom('..', '../../etc', '/..', '/proc/self/fd/3', '', ' ', '\u0000', 'a\nb', '\u202e', 'x'.repeat(5000), 'CAP_NOPE', 'SCMP_ACT_WHAT'),
  fc.constantFrom(-1, 0, 2 ** 53, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER + 2, 0.5, -0),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.anything(), { maxLength: 5 }),
  fc.dictionary(fc.string(), fc.anything(), { maxKeys: 4 }),
);

/** One mutation of a config: replace a value, delete a key, or add an unknown one. */
const mutation = fc.record({ which: fc.nat(), action: fc.constantFrom('replace', 'delete', 'add'), value: nasty, key: fc.string() });

function mutate(config: any, m: { which: number; action: string; value: unknown; key: string }): any {
  const copy = structuredClone(config);
  const all = paths(copy);
  const where = all[m.which % all.length];
  if (where.length === 0) return m.action === 'replace' ? m.value : copy;
  const parent = where.slice(0, -1).reduce((v: any, k) => v[k], copy);
  const key = where[where.length - 1];
  if (m.action === 'replace') parent[key] = m.value;
  else if (m.action === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(key), 1);
    else delete parent[key];
  } else if (parent && typeof parent === 'object' && !Array.isArray(parent)) parent[m.key] = m.value;
  return copy;
}

/** The error contract: a UserError, one line, naming config.json and a field. */
function checkError(err: unknown): boolean {
  if (!(err instanceof UserError)) throw err;
  if (err.message.includes('\n')) throw new Error(`more than one line: ${JSON.stringify(err.message)}`);
  if (!err.message.startsWith('config.json')) throw new Error(`does not say where: ${err.message}`);
  return true;
}

t.test('mutated configs: valid, or one UserError naming the field', async (t) => {
  for (const [name, base] of [['the sample bundle', SAMPLE], ['nk-runtime spec', defaultSpec()]] as const) {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 4 }), (ms) => {
        const config = ms.reduce(mutate, base);
        try {
          validateSpec(config);
          return true;
        } catch (err) {
          return checkError(err);
        }
      }),
      { numRuns: RUNS },
    );
    t.pass(`${name}: ${RUNS} cases`);
  }
});

t.test('broken JSON text: parsed, or one UserError saying where', async (t) => {
  const text = JSON.stringify(SAMPLE, null, 2);
  const broken = fc.oneof(
    fc.string(),
    fc.tuple(fc.nat(text.length), fc.nat(text.length)).map(([a, b]) => text.slice(0, Math.min(a, b)) + text.slice(Math.max(a, b))),
    fc.tuple(fc.nat(text.length), fc.string({ maxLength: 3 })).map(([at, s]) => text.slice(0, at) + s + text.slice(at)),
  );
  fc.assert(
    fc.property(broken, (s) => {
      try {
        parseJson(s, 'config.json');
        return true;
      } catch (err) {
        return checkError(err) && /config\.json: invalid JSON/.test((err as Error).message);
      }
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} texts`);
});

t.test('command lines: the hot parser reads them or hands them to yargs; it never throws', async (t) => {
  const token = fc.oneof(
    fc.constantFrom('create', 'start', 'run', 'state', 'kill', 'delete', 'exec', 'list', '--bundle', '-b', '--root', '--pid-file', '--console-socket', '--preserve-fds', '--force', '-f', '--all', '-E', '-EE', '--step', '--log', '--log-format', '--log-format=json', '--detach', '-d', '--tty', '-t', '--', '-', 'KILL', '9', 'SIGTERM'),
    fc.string({ maxLength: 12 }),
  );
  fc.assert(
    fc.property(fc.array(token, { maxLength: 8 }), (argv) => {
      const parsed = parseHot(argv);
      return parsed === undefined || typeof parsed.command === 'string';
    }),
    { numRuns: RUNS },
  );
  t.pass(`${RUNS} command lines`);
});
