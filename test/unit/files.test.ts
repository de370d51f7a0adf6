/**
 * src/linux/files.ts: node:fs's calls, under Bun through libc (files-bun.ts), because Bun's
 * node:fs costs 1.4-1.7 ms to load in every process. Two checks:
 *   - under Bun, each call behaves as Bun's node:fs does (results, errors, messages, Stats);
 *   - node:fs itself is imported only by the modules listed below, none on a container's path.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import t from 'tap';

const REPO = path.resolve(__dirname, '..', '..');
const BUN = path.join(REPO, 'node_modules', '.bin', 'bun');

t.test('under Bun, files-bun.ts answers every call as node:fs does', { skip: fs.existsSync(BUN) ? false : 'no Bun (npm ci installs it)' }, async (t) => {
  const r = spawnSync(BUN, [path.join(REPO, 'test', 'tools', 'files-bun-check.ts')], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NODE_OPTIONS: '' } });
  t.equal(r.status, 0, `the check ran: ${r.stderr}`);
  const result = JSON.parse(r.stdout) as {
    node: [string, unknown][];
    ours: [string, unknown][];
    stats: { file: string; node: unknown; ours: unknown }[];
    oursSorted: { names: string[]; sorted: string[] };
    constants: Record<string, [number | undefined, number]>;
  };
  t.ok(result.node.length > 40, 'the script made its calls');
  t.equal(result.ours.length, result.node.length);
  result.node.forEach(([what, expected], i) => t.same(result.ours[i], [what, expected], what));
  for (const s of result.stats) t.same(s.ours, s.node, `stat ${s.file}`);
  t.same(result.oursSorted.names, result.oursSorted.sorted, 'readdirSync gives the names in order, as Node does');
  for (const [name, [node, ours]] of Object.entries(result.constants)) {
    // node:fs's table has no O_CLOEXEC (nor Node's): libuv adds it to every open, as we do.
    if (name !== 'O_CLOEXEC') t.equal(ours, node, `fs.constants.${name}`);
  }
});

/**
 * Modules that may load node:fs, and when they are loaded: never while a container is made, run
 * or removed (a command's own module is loaded only for that command: cli/main.ts).
 */
const MAY_LOAD_NODE_FS: Record<string, string> = {
  'src/linux/files.ts': 'it is node:fs, under Node',
  'src/linux/libc.ts': 'under Node only (koffi)',
  'src/cli/commands/spec.ts': '`nk-runtime spec`',
  'src/cli/commands/trace.ts': '`nk-runtime trace`',
  'src/cli/commands/update.ts': '`nk-runtime update`',
  'src/explain/diagnose.ts': 'when a command fails (report.ts loads it then)',
  'src/explain/step-mode.ts': '--step',
  'src/runtime/terminal-proxy.ts': 'a terminal shown by `run` (its stream, loaded there and then)',
  'src/tools/gen-diagrams.ts': 'scripts/gen-diagrams.sh',
};

t.test('node:fs is loaded only off the hot path', async (t) => {
  const sources: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(REPO, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else if (rel.endsWith('.ts')) sources.push(rel);
    }
  };
  walk('src');
  const loaders = sources.filter((file) => {
    const text = fs.readFileSync(path.join(REPO, file), 'utf8');
    return /^import (?!type\b)[^;]*from 'node:fs'/m.test(text) || /require\('node:fs'\)/.test(text);
  });
  t.same(loaders.sort(), Object.keys(MAY_LOAD_NODE_FS).sort(), 'the modules that load node:fs are the listed ones (use src/linux/files.ts)');
});
