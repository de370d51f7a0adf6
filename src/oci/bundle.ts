/**
 * A bundle: a directory with a config.json and a root filesystem (runtime-spec, bundle.md).
 *
 *   mybundle/
 *     config.json      what to run, and how
 *     rootfs/          what the container sees as `/` (config.json's root.path)
 *
 * loadBundle reads and checks both, and says what is wrong in words a person can act on.
 */
import type { Stats } from 'node:fs';
import { files as fs } from '../linux/files';
import * as path from 'node:path';
import { UserError } from '../errors';
import { parseJson } from './json';
import type { ValidatedSpec } from './spec';
import { validateSpec } from './validate';

/** A bundle that passed every check, with absolute paths. */
export interface Bundle {
  spec: ValidatedSpec;
  /** The bundle directory. */
  bundle: string;
  /** The root filesystem: root.path, resolved against the bundle directory. */
  rootfs: string;
}

/** Read `<bundleDir>/config.json`, check it, and find its root filesystem. */
export function loadBundle(bundleDir: string): Bundle {
  const bundle = path.resolve(bundleDir);
  const bundleHint = 'give the bundle directory with --bundle, or run nk-runtime from inside it';
  const bundleStat = statIfExists(bundle);
  if (!bundleStat) throw new UserError(`bundle ${bundle}: no such directory`, bundleHint);
  if (!bundleStat.isDirectory()) throw new UserError(`bundle ${bundle}: not a directory`, bundleHint);

  const spec = validateSpec(parseJson(readConfig(bundle), 'config.json'));

  // root.path may be relative: it is then relative to the bundle, not to our working directory.
  const rootfs = path.resolve(bundle, spec.root.path);
  const rootfsHint = 'put a root filesystem there (for the sample bundle, `make bundle` does it), or change root.path';
  const rootfsStat = statIfExists(rootfs);
  if (!rootfsStat) throw new UserError(`config.json: root.path: ${rootfs} does not exist`, rootfsHint);
  if (!rootfsStat.isDirectory()) throw new UserError(`config.json: root.path: ${rootfs} is not a directory`, rootfsHint);
  return { spec, bundle, rootfs };
}

/** The text of the bundle's config.json, or a UserError that says how to get one. */
function readConfig(bundle: string): string {
  const configPath = path.join(bundle, 'config.json');
  try {
    return fs.readFileSync(configPath, 'utf8');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') {
      throw new UserError(`bundle ${bundle}: has no config.json`, '`nk-runtime spec` writes a default one in the current directory');
    }
    throw new UserError(`${configPath}: cannot read it (${errorCode(err) ?? String(err)})`);
  }
}

/** fs.statSync, but undefined when nothing is there. Other failures (EACCES, ...) are UserErrors. */
function statIfExists(file: string): Stats | undefined {
  try {
    return fs.statSync(file);
  } catch (err) {
    if (errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR') return undefined;
    throw new UserError(`${file}: cannot look at it (${errorCode(err) ?? String(err)})`);
  }
}

/** The errno name of a failed fs call ("ENOENT"), if it has one. */
function errorCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}
