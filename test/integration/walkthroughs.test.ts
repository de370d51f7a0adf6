/**
 * Every ```sh block of docs/walkthroughs.md and QUICKSTART.md is run here, in order, so the docs
 * never say what the code no longer does. Each block runs with `bash -e` (every command must
 * succeed) in a private directory that holds `bundle/` (the sample config, its rootfs linked),
 * with HOME and TMPDIR inside it, and `nk-runtime` on PATH: a wrapper around bin/nk-runtime (or
 * NK_RUNTIME_BIN) that adds a private `--root`, so the docs never write one. A line
 * `# expect: TEXT` says what the block prints: its output (stdout and stderr) must hold each
 * TEXT in the block's order ("..." stands for any text). Every container is deleted at the end,
 * even when a block fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { BIN, CLEAN_ENV, REPO, SAMPLE_CONFIG, SAMPLE_ROOTFS, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

interface Block {
  /** The line of the opening fence, 1-based, for failure messages. */
  line: number;
  script: string;
  expects: string[];
}

/** The ```sh blocks of a Markdown page, with their `# expect:` lines. */
function shellBlocks(page: string): Block[] {
  const blocks: Block[] = [];
  let current: Block | undefined;
  page.split('\n').forEach((text, i) => {
    if (!current && /^```sh\s*$/.test(text)) current = { line: i + 1, script: '', expects: [] };
    else if (current && /^```\s*$/.test(text)) {
      blocks.push(current);
      current = undefined;
    } else if (current) {
      // `make install` builds the single executable and copies it to /usr/local/bin: the tests
      // must not change the machine, and the wrapper on PATH already is the nk-runtime to use.
      current.script += /^\s*make install\b/.test(text) ? `: skipped by the test: ${text}\n` : `${text}\n`;
      const expect = /^\s*# expect: (.+)$/.exec(text);
      if (expect) current.expects.push(expect[1].trim());
    }
  });
  return blocks;
}

/** An expectation as a pattern: "..." is any text, runs of spaces are any spaces. */
function pattern(expect: string): RegExp {
  const escaped = expect.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(escaped.replace(/\\\.\\\.\\\./g, '[\\s\\S]*?').replace(/\s+/g, '\\s+'));
}

/** A private place to follow the docs: bundle/, a home, a tmp, and nk-runtime on PATH. */
function workspace(): { dir: string; root: string; env: string[] } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-walk-'));
  const root = path.join(dir, 'state');
  for (const sub of ['bundle', 'home', 'tmp', 'bin']) fs.mkdirSync(path.join(dir, sub));
  fs.copyFileSync(SAMPLE_CONFIG, path.join(dir, 'bundle', 'config.json'));
  fs.symlinkSync(SAMPLE_ROOTFS, path.join(dir, 'bundle', 'rootfs'));
  const wrapper = path.join(dir, 'bin', 'nk-runtime');
  fs.writeFileSync(wrapper, `#!/bin/sh\nexec '${BIN}' --root '${root}' "$@"\n`, { mode: 0o755 });
  const vars = { ...CLEAN_ENV, PATH: `${path.join(dir, 'bin')}:${CLEAN_ENV.PATH ?? '/usr/bin:/bin'}`, HOME: path.join(dir, 'home'), TMPDIR: path.join(dir, 'tmp'), NO_COLOR: '1' };
  return { dir, root, env: Object.entries(vars).map(([k, v]) => `${k}=${v}`) };
}

function cleanup(w: { dir: string; root: string }): void {
  if (fs.existsSync(w.root)) {
    for (const id of fs.readdirSync(w.root)) spawnSync(BIN, ['--root', w.root, 'delete', '--force', id], { stdio: 'ignore', timeout: 30_000 });
  }
  fs.rmSync(w.dir, { recursive: true, force: true });
}

for (const doc of ['docs/walkthroughs.md', 'QUICKSTART.md']) {
  t.test(`every shell block of ${doc} runs and prints what it says`, async (t) => {
    const blocks = shellBlocks(fs.readFileSync(path.join(REPO, doc), 'utf8'));
    t.ok(blocks.length > 0, `${blocks.length} blocks`);
    const w = workspace();
    t.teardown(() => cleanup(w));
    for (const block of blocks) {
      const out = path.join(w.dir, 'output');
      const fd = fs.openSync(out, 'w'); // a file, not a pipe: a created container's init holds it
      // Through env -i, as the harness starts the CLI: tap's hook must not get into nk-runtime.
      const r = spawnSync('/usr/bin/env', ['-i', ...w.env, 'bash', '-e', '-c', block.script], { cwd: w.dir, stdio: ['ignore', fd, fd], timeout: 120_000 });
      fs.closeSync(fd);
      const output = fs.readFileSync(out, 'utf8');
      const where = `${doc}:${block.line}`;
      t.equal(r.status, 0, `${where}: the block exits 0\n${block.script}--- its output:\n${output.slice(-3000)}`);
      let from = 0;
      for (const expect of block.expects) {
        const m = pattern(expect).exec(output.slice(from));
        t.ok(m, `${where}: prints "${expect}"${m ? '' : `\n--- its output:\n${output.slice(-3000)}`}`);
        if (m) from += m.index + m[0].length;
      }
      if (r.status !== 0) break; // the blocks after it build on it
    }
  });
}
