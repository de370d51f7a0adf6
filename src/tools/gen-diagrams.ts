/**
 * Draws the sequence diagram of each command in docs/commands.md from a real trace: runs
 * create, start, exec, pause, resume, kill, delete and run on the sample bundle (as root, with a
 * private --root), keeps each command's steps (NK_TRACE_FILE, a copy of what `nk-runtime trace`
 * shows, that outlives delete), normalizes pids and paths, and rewrites the blocks between
 * `<!-- diagram NAME -->` and `<!-- end diagram -->`. Run it with scripts/gen-diagrams.sh;
 * test/integration/diagrams.test.ts runs it into a copy and fails when the committed ones differ.
 *
 *   node lib/tools/gen-diagrams.js [--out FILE]     (default docs/commands.md)
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { parseTrace, type TraceLine } from '../explain/trace-format';
import { normalize, sequenceDiagram } from '../explain/diagrams';

const REPO = path.resolve(__dirname, '..', '..');
// Always the Node build: the single executable spawns itself as the init, with other arguments.
const BIN = path.join(REPO, 'bin', 'nk-runtime');
// Drawn as "demo"; unique here, as the container's cgroup (nk-ID) is shared by the whole machine.
const ID = `demo-${process.pid}`;

/** The commands drawn, in the order they run; each one's trace is its diagram. */
const COMMANDS: Array<{ name: string; args: string[] }> = [
  { name: 'create', args: ['create', '--bundle', '<long>', ID] },
  { name: 'start', args: ['start', ID] },
  { name: 'exec', args: ['exec', ID, 'true'] },
  { name: 'pause', args: ['pause', ID] },
  { name: 'resume', args: ['resume', ID] },
  { name: 'kill', args: ['kill', ID, 'KILL'] },
  { name: 'delete', args: ['delete', ID] },
  { name: 'run', args: ['run', '--bundle', '<hello>', ID] },
];

/** The host the diagrams depend on: the cgroup version and the v1 hierarchies (one mkdir each). */
export function hostSignature(): string {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'cgroup v2';
  const hierarchies = fs
    .readFileSync('/proc/self/cgroup', 'utf8')
    .split('\n')
    .map((l) => l.split(':')[1])
    .filter((c) => c)
    .sort();
  return `cgroup v1 (${hierarchies.join(' ')})`;
}

function main(): void {
  const outIndex = process.argv.indexOf('--out');
  const out = outIndex > 0 ? process.argv[outIndex + 1] : path.join(REPO, 'docs', 'commands.md');
  if (process.getuid?.() !== 0) throw new Error('gen-diagrams runs real containers: run it as root');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-diagrams-'));
  const root = path.join(dir, 'state');
  const bundles = { '<long>': bundle(dir, 'long', ['sleep', '600']), '<hello>': bundle(dir, 'hello') };
  const run = (args: string[], env: Record<string, string> = {}) => {
    const output = path.join(dir, 'output');
    const fd = fs.openSync(output, 'w'); // a file, not a pipe: the init holds it while it lives
    try {
      const r = spawnSync(BIN, ['--root', root, ...args], { stdio: ['ignore', fd, fd], env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NO_COLOR: '1', ...env }, timeout: 30_000 });
      const text = fs.readFileSync(output, 'utf8');
      if (r.status !== 0) throw new Error(`nk-runtime ${args.join(' ')} exited ${r.status}: ${text}`);
      return text;
    } finally {
      fs.closeSync(fd);
    }
  };
  const diagrams = new Map<string, string>();
  try {
    let initPid: number | undefined;
    for (const command of COMMANDS) {
      const file = path.join(dir, `${command.name}.jsonl`);
      run(command.args.map((a) => bundles[a as keyof typeof bundles] ?? a), { NK_TRACE_FILE: file });
      if (command.name === 'create') initPid = JSON.parse(run(['state', ID])).pid;
      if (command.name === 'kill') waitStopped(run);
      const lines = parseTrace(fs.readFileSync(file, 'utf8'));
      diagrams.set(command.name, sequenceDiagram(normalized(lines, { initPid, root, dir })));
    }
  } finally {
    spawnSync(BIN, ['--root', root, 'delete', '--force', ID], { stdio: 'ignore' });
    fs.rmSync(dir, { recursive: true, force: true });
  }
  fs.writeFileSync(out, withDiagrams(fs.readFileSync(out, 'utf8'), diagrams));
}

/** The sample config with its rootfs as an absolute path (and, for `long`, another program). */
function bundle(dir: string, name: string, args?: string[]): string {
  const config = JSON.parse(fs.readFileSync(path.join(REPO, 'bundle', 'config.json'), 'utf8'));
  config.root.path = path.join(REPO, 'bundle', 'rootfs');
  if (args) config.process.args = args;
  const at = path.join(dir, name);
  fs.mkdirSync(at);
  fs.writeFileSync(path.join(at, 'config.json'), JSON.stringify(config, null, 2));
  return at;
}

function waitStopped(run: (args: string[]) => string): void {
  for (let i = 0; i < 500; i++) {
    if (JSON.parse(run(['state', ID])).status === 'stopped') return;
    spawnSync('sleep', ['0.02']);
  }
  throw new Error(`container ${ID} did not stop after kill`);
}

/**
 * What differs between runs and machines, replaced by names the page explains: the init's host
 * pid ($INIT), other spawned pids ($HELPER), the runtime's own pid ($RUNTIME), this clone
 * ($REPO), the state root (/run/nk-runtime, the default), node's path, and the cgroup the runtime
 * itself sits in (dropped: the paths read as from the root cgroup).
 */
function normalized(lines: TraceLine[], where: { initPid?: number; root: string; dir: string }): TraceLine[] {
  const pids: Array<[RegExp, string]> = [];
  const word = (n: number) => new RegExp(`\\b${n}\\b`, 'g');
  if (where.initPid) pids.push([word(where.initPid), '$INIT']);
  let command = '';
  let spawnedInit = false;
  for (const l of lines) {
    if (l.type === 'command') {
      pids.push([word(l.pid), '$RUNTIME']);
      command = l.command;
    } else if (l.call === 'spawn' && /^pid \d+$/.test(l.result ?? '')) {
      // create's (and run's) first spawn is the init; any other is a helper (exec's).
      const pid = Number(l.result!.slice(4));
      const isInit: boolean = command.startsWith('create') && !spawnedInit;
      spawnedInit ||= isInit;
      if (pid !== where.initPid) pids.push([word(pid), isInit ? '$INIT' : '$HELPER']);
    }
  }
  return normalize(lines, [
    [ID, 'demo'],
    [where.root, '/run/nk-runtime'],
    [path.join(where.dir, 'long'), '/path/to/bundle'],
    [path.join(where.dir, 'hello'), '/path/to/bundle'],
    [REPO, '$REPO'],
    [process.execPath, '/usr/bin/node'],
    [/(\/sys\/fs\/cgroup\/[^/']+)(\/[^']*)?(\/nk-)/g, '$1$3'],
    ...pids,
  ]);
}

/** The page with each `<!-- diagram NAME -->` ... `<!-- end diagram -->` block redrawn. */
export function withDiagrams(page: string, diagrams: Map<string, string>): string {
  let text = page.replace(/<!-- diagrams made on: .* -->/, `<!-- diagrams made on: ${hostSignature()} -->`);
  for (const [name, diagram] of diagrams) {
    const block = new RegExp(`(<!-- diagram ${name} -->\\n)[\\s\\S]*?(<!-- end diagram -->)`);
    if (!block.test(text)) throw new Error(`no <!-- diagram ${name} --> block in the page`);
    text = text.replace(block, (_, open: string, close: string) => `${open}\`\`\`mermaid\n${diagram}\`\`\`\n${close}`);
  }
  return text;
}

if (require.main === module) {
  try {
    main();
  } catch (err) {
    process.stderr.write(`gen-diagrams: ${(err as Error).message}\n`);
    process.exit(1);
  }
}
