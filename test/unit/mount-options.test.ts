import t from 'tap';
import { parseMountOptions } from '../../src/init/mount-options';
import { MS } from '../../src/linux/constants';

t.test('no options: nothing to do', async (t) => {
  t.same(parseMountOptions(undefined), { flags: 0, clearFlags: 0, propagation: [], recursive: false, data: [] });
  t.same(parseMountOptions([]), { flags: 0, clearFlags: 0, propagation: [], recursive: false, data: [] });
});

t.test("runc's /dev tmpfs: flags and filesystem data are sorted apart", async (t) => {
  const options = parseMountOptions(['nosuid', 'strictatime', 'mode=755', 'size=65536k']);
  t.equal(options.flags, MS.NOSUID | MS.STRICTATIME);
  t.same(options.data, ['mode=755', 'size=65536k']);
});

t.test('devpts options that only the filesystem knows go to data, in order', async (t) => {
  const options = parseMountOptions(['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
  t.equal(options.flags, MS.NOSUID | MS.NOEXEC);
  t.same(options.data, ['newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5']);
});

t.test('each flag option sets its flag', async (t) => {
  const table: [string, number][] = [
    ['ro', MS.RDONLY], ['nosuid', MS.NOSUID], ['nodev', MS.NODEV], ['noexec', MS.NOEXEC],
    ['sync', MS.SYNCHRONOUS], ['dirsync', MS.DIRSYNC], ['remount', MS.REMOUNT], ['mand', MS.MANDLOCK],
    ['noatime', MS.NOATIME], ['nodiratime', MS.NODIRATIME], ['relatime', MS.RELATIME],
    ['strictatime', MS.STRICTATIME], ['bind', MS.BIND], ['rbind', MS.BIND | MS.REC], ['nosymfollow', MS.NOSYMFOLLOW],
  ];
  for (const [option, flag] of table) {
    const options = parseMountOptions([option]);
    t.equal(options.flags, flag, option);
    t.same(options.data, [], `${option} is not data`);
  }
});

t.test('the opposite options clear their flag, and the last word wins', async (t) => {
  const opposites: [string, string, number][] = [
    ['ro', 'rw', MS.RDONLY], ['nosuid', 'suid', MS.NOSUID], ['nodev', 'dev', MS.NODEV], ['noexec', 'exec', MS.NOEXEC],
    ['sync', 'async', MS.SYNCHRONOUS], ['mand', 'nomand', MS.MANDLOCK], ['noatime', 'atime', MS.NOATIME],
    ['nodiratime', 'diratime', MS.NODIRATIME], ['relatime', 'norelatime', MS.RELATIME], ['strictatime', 'nostrictatime', MS.STRICTATIME],
  ];
  for (const [set, clear, flag] of opposites) {
    const cleared = parseMountOptions([set, clear]);
    t.equal(cleared.flags, 0, `${set},${clear}: flag off`);
    t.equal(cleared.clearFlags, flag, `${set},${clear}: remembered as cleared`);
    const setAgain = parseMountOptions([clear, set]);
    t.equal(setAgain.flags, flag, `${clear},${set}: flag on`);
    t.equal(setAgain.clearFlags, 0, `${clear},${set}: not cleared`);
  }
});

t.test('rbind is a recursive bind; bind is not', async (t) => {
  t.equal(parseMountOptions(['rbind']).recursive, true);
  t.equal(parseMountOptions(['bind']).recursive, false);
  t.equal(parseMountOptions(['rbind', 'ro']).flags, MS.BIND | MS.REC | MS.RDONLY);
});

t.test('propagation options are separate flag words, in order; the r- forms add MS_REC', async (t) => {
  const options = parseMountOptions(['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave', 'unbindable', 'runbindable']);
  t.same(options.propagation, [
    MS.PRIVATE, MS.PRIVATE | MS.REC, MS.SHARED, MS.SHARED | MS.REC,
    MS.SLAVE, MS.SLAVE | MS.REC, MS.UNBINDABLE, MS.UNBINDABLE | MS.REC,
  ]);
  t.equal(options.flags, 0, 'propagation is never mixed into the mount flags');
  t.equal(options.recursive, false, 'rprivate does not make a bind recursive');
});

t.test('a bind mount with read-only and propagation', async (t) => {
  const options = parseMountOptions(['rbind', 'ro', 'nosuid', 'rslave']);
  t.equal(options.flags, MS.BIND | MS.REC | MS.RDONLY | MS.NOSUID);
  t.same(options.propagation, [MS.SLAVE | MS.REC]);
  t.same(options.data, []);
});

t.test('unknown words, even names of Object properties, are data', async (t) => {
  t.same(parseMountOptions(['constructor', 'toString', 'uid=0']).data, ['constructor', 'toString', 'uid=0']);
});
