import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadBundle } from '../../src/oci/bundle';
import { UserError } from '../../src/errors';

const goodConfig = {
  ociVersion: '1.2.0',
  process: { user: { uid: 0, gid: 0 }, args: ['/bin/true'], cwd: '/' },
  root: { path: 'rootfs' },
};

/** A fresh temporary directory, removed when the test ends, even if it fails. */
function tempDir(t: tap.Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-bundle-test-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A bundle directory with this config.json (a string is written as is) and, unless told not to, a rootfs. */
function makeBundle(t: tap.Test, config: unknown, withRootfs = true): string {
  const dir = tempDir(t);
  fs.writeFileSync(path.join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  if (withRootfs) fs.mkdirSync(path.join(dir, 'rootfs'));
  return dir;
}

/** The UserError loadBundle throws for `dir`. */
function errorFor(dir: string): UserError {
  try {
    loadBundle(dir);
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error(`loadBundle(${dir}) did not fail`);
}

t.test('a good bundle loads, with absolute paths', async (t) => {
  const dir = makeBundle(t, goodConfig);
  const loaded = loadBundle(dir);
  t.equal(loaded.bundle, dir);
  t.equal(loaded.rootfs, path.join(dir, 'rootfs'));
  t.same(loaded.spec.process.args, ['/bin/true']);
});

t.test('a relative bundle path is made absolute', async (t) => {
  const dir = makeBundle(t, goodConfig);
  const relative = path.relative(process.cwd(), dir);
  t.notOk(path.isAbsolute(relative));
  t.equal(loadBundle(relative).bundle, dir);
});

t.test('root.path is relative to the bundle, or absolute', async (t) => {
  const elsewhere = tempDir(t);
  const dir = makeBundle(t, { ...goodConfig, root: { path: elsewhere } }, false);
  t.equal(loadBundle(dir).rootfs, elsewhere);
});

t.test('a missing bundle directory', async (t) => {
  const missing = path.join(tempDir(t), 'nope');
  const err = errorFor(missing);
  t.equal(err.message, `bundle ${missing}: no such directory`);
  t.ok(err.hint);
});

t.test('a bundle that is a file', async (t) => {
  const file = path.join(tempDir(t), 'file');
  fs.writeFileSync(file, '');
  t.equal(errorFor(file).message, `bundle ${file}: not a directory`);
});

t.test('a bundle without config.json says how to make one', async (t) => {
  const dir = tempDir(t);
  const err = errorFor(dir);
  t.equal(err.message, `bundle ${dir}: has no config.json`);
  t.match(err.hint, /nk-runtime spec/);
});

t.test('invalid JSON is reported with its place', async (t) => {
  const dir = makeBundle(t, '{\n  "ociVersion": "1.2.0",\n  "process": {\n');
  t.equal(errorFor(dir).message, 'config.json: invalid JSON at line 3, column 15: the text ends where a property name in double quotes was expected');
});

t.test('an invalid config is reported with its JSON path', async (t) => {
  const dir = makeBundle(t, { ...goodConfig, process: { ...goodConfig.process, args: [] } });
  t.equal(errorFor(dir).message, 'config.json: process.args: must be a non-empty array of strings, found []');
});

t.test('a missing rootfs says how to make one', async (t) => {
  const dir = makeBundle(t, goodConfig, false);
  const err = errorFor(dir);
  t.equal(err.message, `config.json: root.path: ${path.join(dir, 'rootfs')} does not exist`);
  t.match(err.hint, /make bundle/);
});

t.test('a rootfs that is a file', async (t) => {
  const dir = makeBundle(t, goodConfig, false);
  fs.writeFileSync(path.join(dir, 'rootfs'), '');
  t.equal(errorFor(dir).message, `config.json: root.path: ${path.join(dir, 'rootfs')} is not a directory`);
});
