/**
 * The docs point learners at files and functions; this fails when one of them is renamed or
 * removed. Checked: every `src/...`, `test/...`, `scripts/...` path written in backticks exists;
 * where a path is followed by `name()` (or `Class.name()`), that file defines it; every relative
 * Markdown link leads to a file.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';

const REPO = path.resolve(__dirname, '..', '..');
const DOCS = ['docs/learning-paths.md', 'docs/kernel-mechanisms.md', 'docs/comparison.md', 'docs/commands.md', 'docs/walkthroughs.md', 'QUICKSTART.md', 'README.md'];

for (const doc of DOCS) {
  t.test(`${doc}: its files, functions and links exist`, async (t) => {
    const text = fs.readFileSync(path.join(REPO, doc), 'utf8');
    // A path in backticks, then optionally a function in backticks right after it.
    for (const m of text.matchAll(/`((?:src|test|scripts|bundle|examples)\/[\w./-]+)`(?:\s+`([\w.]+)\(\)`)?/g)) {
      const file = path.join(REPO, m[1]);
      t.ok(fs.existsSync(file), `${m[1]} exists`);
      if (m[2] && fs.existsSync(file) && fs.statSync(file).isFile()) {
        const name = m[2].split('.').pop()!;
        const source = fs.readFileSync(file, 'utf8');
        const defined = new RegExp(`(function\\s+${name}\\b|\\b${name}\\s*\\([^)]*\\)\\s*(:[^{]*)?\\{|\\b${name}\\s*[:=]\\s*(async\\s*)?\\()`).test(source);
        t.ok(defined, `${m[1]} defines ${m[2]}()`);
      }
    }
    for (const m of text.matchAll(/\]\(((?!https?:|#)[^)#\s]+)(#[^)]*)?\)/g)) {
      t.ok(fs.existsSync(path.join(REPO, path.dirname(doc), m[1])), `link ${m[1]} exists`);
    }
  });
}
