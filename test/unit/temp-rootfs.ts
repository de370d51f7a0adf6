/** A throw-away rootfs for unit tests: a temp dir with proc, dev, sys, etc and bin, removed after the test. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function tempRootfs(t: { teardown(fn: () => void): void }, prefix = 'nk-rootfs-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const d of ['proc', 'dev', 'sys', 'etc', 'bin']) fs.mkdirSync(path.join(dir, d));
  return dir;
}
