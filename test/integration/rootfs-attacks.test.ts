/**
 * A hostile rootfs: symlinks where the runtime mounts and writes (runc's CVE-2023-27561 and
 * CVE-2019-19921), and a directory swapped for a symlink to "/" over and over while containers
 * are made (CVE-2021-30465). Each attack must fail, or land inside the rootfs; never on the host.
 * The rootfs is a copy of the sample's, in the test's own directory.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import t from 'tap';
import { SAMPLE_ROOTFS, Sandbox, skipReason } from './harness';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `rfa-${name}-${process.pid}`;

/** A copy of the sample rootfs that the test may change. */
function ownRootfs(box: Sandbox): string {
  const rootfs = path.join(box.dir, 'rootfs');
  const r = spawnSync('cp', ['-a', SAMPLE_ROOTFS, rootfs]);
  if (r.status !== 0) throw new Error(`cp: ${r.stderr}`);
  return rootfs;
}

const hostMounts = () => fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(Boolean).length;

t.test('/proc or /sys as a symlink in the image: refused, nothing made', async (t) => {
  const box = new Sandbox(t);
  const rootfs = ownRootfs(box);
  fs.rmSync(path.join(rootfs, 'proc'), { recursive: true });
  fs.mkdirSync(path.join(rootfs, 'fakeproc'));
  fs.symlinkSync('/fakeproc', path.join(rootfs, 'proc'));
  const r = box.run(['create', '--bundle', box.shell('true', (c) => (c.root.path = rootfs)), id('proc')]);
  t.equal(r.status, 1);
  t.match(r.stderr, /destination \/proc is a symlink in the rootfs \(to \/fakeproc\): proc is mounted only onto a real directory/);
  t.notMatch(r.stderr, /\n\s+at /);
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n', 'nothing left');
});

t.test('CVE-2021-30465: a mount destination swapped with a symlink to / while containers are made', async (t) => {
  const box = new Sandbox(t);
  const rootfs = ownRootfs(box);
  fs.mkdirSync(path.join(rootfs, 'vol', 'link'), { recursive: true });
  // The attacker: as fast as it can, /vol/link becomes a symlink to "/", then the directory again
  // (renamed away and back, so that a mount made on it survives and can be found afterwards).
  const swapper = spawn('sh', ['-c', 'cd "$1" && while :; do mv -T link dir; ln -s / link; rm link; mv -T dir link; done', 'swapper', path.join(rootfs, 'vol')], { stdio: 'ignore' });
  t.teardown(() => {
    swapper.kill('SIGKILL');
  });
  const before = hostMounts();
  const outcomes = { inside: 0, refused: 0 };
  fs.mkdirSync(path.join(rootfs, 'vol', 'dir'), { recursive: true });
  fs.rmdirSync(path.join(rootfs, 'vol', 'dir'));
  for (let i = 0; i < 30; i++) {
    // Where our 1 MB tmpfs is, as the kernel says (mount point field), and whether the rootfs is whole.
    const bundle = box.shell('grep "size=1024k" /proc/self/mountinfo | cut -d" " -f5; ls /bin/busybox', (c) => {
      c.root.path = rootfs;
      c.mounts.push({ destination: '/vol/link', type: 'tmpfs', source: 'tmpfs', options: ['size=1m'] });
    }, `race${i}`);
    const r = box.run(['run', '--bundle', bundle, id(`race${i}`)]);
    if (r.status === 0) {
      t.match(r.stdout, /\/bin\/busybox\n$/, `run ${i}: the rootfs is whole`);
      const places = r.stdout.split('\n').slice(0, -2);
      t.ok(places.every((p) => /^\/vol\/(link|dir)$/.test(p)), `run ${i}: the tmpfs is inside the rootfs, on the directory, wherever the loop renamed it (or gone with a directory the loop replaced): ${JSON.stringify(places)}`);
      outcomes.inside++;
    } else {
      // Opened while it was the symlink to "/", the destination is the rootfs itself (RESOLVE_IN_ROOT):
      // the tmpfs covers the image, and the program is not found. Inside, and said in one line.
      t.notMatch(r.stderr, /internal error|\n\s+at /, `run ${i}: a clear error: ${r.stderr.trim().split('\n').filter((l) => l.startsWith('nk-runtime')).pop()}`);
      outcomes.refused++;
    }
    box.run(['delete', '--force', id(`race${i}`)]);
  }
  swapper.kill('SIGKILL');
  t.equal(hostMounts(), before, "the host's mount table is as before");
  t.ok(fs.readdirSync('/').includes('bin'), "the host's / is untouched");
  t.comment(`30 runs under the swap loop: ${outcomes.inside} mounted inside, ${outcomes.refused} refused`);
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n', 'nothing left');
});
