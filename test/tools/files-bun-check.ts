/**
 * Run by test/unit/files.test.ts under Bun (`bun test/tools/files-bun-check.ts`): the same
 * calls through Bun's node:fs and through files-bun.ts (libc by bun:ffi), each in a directory of
 * its own; prints both records as JSON, for the test to compare.
 */
import * as nodeFs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bunFiles } from '../../src/linux/files-bun';
import { OPEN_FLAGS as OPEN } from '../../src/linux/constants';
import type { Files } from '../../src/linux/files';

type Record = [string, unknown][];

function script(fs: Files, dir: string): Record {
  const out: Record = [];
  const show = (value: unknown): unknown => {
    if (Buffer.isBuffer(value)) return { buffer: value.toString('hex') };
    if (typeof value === 'string') return value.split(dir).join('<dir>');
    return value;
  };
  const step = (what: string, call: () => unknown) => {
    try {
      out.push([what, show(call())]);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      out.push([what, { code: e.code, errno: e.errno, syscall: e.syscall, message: show(e.message), path: show(e.path), dest: show(e.dest) }]);
    }
  };
  const a = path.join(dir, 'a');
  const cloexec = (fd: number) => (parseInt(/flags:\s+(\d+)/.exec(nodeFs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1], 8) & OPEN.O_CLOEXEC) !== 0;

  step('mkdir', () => fs.mkdirSync(a, { mode: 0o711 }));
  step('mkdir mode', () => fs.statSync(a).mode & 0o7777);
  step('mkdir again', () => fs.mkdirSync(a, 0o700));
  step('mkdir no parent', () => fs.mkdirSync(path.join(dir, 'x', 'y')));
  step('writeFile', () => fs.writeFileSync(path.join(a, 'f'), 'hello'));
  step('readFile utf8', () => fs.readFileSync(path.join(a, 'f'), 'utf8'));
  step('readFile encoding option', () => fs.readFileSync(path.join(a, 'f'), { encoding: 'utf8' }));
  step('readFile buffer', () => fs.readFileSync(path.join(a, 'f')));
  step('appendFile', () => fs.appendFileSync(path.join(a, 'f'), ' world', { mode: 0o600 }));
  step('appendFile new', () => fs.appendFileSync(path.join(a, 'new'), 'line\n', { mode: 0o600 }));
  step('appendFile new mode', () => fs.statSync(path.join(a, 'new')).mode & 0o7777);
  step('readFile appended', () => fs.readFileSync(path.join(a, 'f'), 'utf8'));
  step('open w, write, close', () => {
    const fd = fs.openSync(path.join(a, 'g'), 'w', 0o640);
    const counts = [cloexec(fd), fs.writeSync(fd, 'abc'), fs.writeSync(fd, Buffer.from('xyz12'), 2), fs.writeSync(fd, Buffer.from('0123456789'), 4, 3)];
    fs.closeSync(fd);
    return counts;
  });
  step('written', () => fs.readFileSync(path.join(a, 'g'), 'utf8'));
  step('written mode', () => fs.statSync(path.join(a, 'g')).mode & 0o7777);
  step('open, read', () => {
    const fd = fs.openSync(path.join(a, 'g'), fs.constants.O_RDONLY);
    const buf = Buffer.alloc(6);
    const counts = [cloexec(fd), fs.readSync(fd, buf, 0, 4, null), buf.toString(), fs.readSync(fd, buf), buf.toString(), fs.readSync(fd, buf, 1, 2, 0), buf.toString(), fs.readSync(fd, buf, { offset: 2, length: 3, position: 1 }), buf.toString(), fs.readSync(fd, buf)];
    fs.closeSync(fd);
    return counts;
  });
  step('open directory', () => {
    const fd = fs.openSync(a, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    const closesOnExec = cloexec(fd);
    fs.closeSync(fd);
    return closesOnExec;
  });
  step('open missing', () => fs.openSync(path.join(a, 'none'), fs.constants.O_RDONLY));
  step('open a file as a directory', () => fs.openSync(path.join(a, 'g'), fs.constants.O_RDONLY | fs.constants.O_DIRECTORY));
  step('write to a closed fd', () => fs.writeSync(987, 'x'));
  step('close a closed fd', () => fs.closeSync(987));
  step('exists', () => [fs.existsSync(a), fs.existsSync(path.join(a, 'g')), fs.existsSync(path.join(a, 'none')), fs.existsSync(path.join(a, 'g', 'under'))]);
  step('rename', () => fs.renameSync(path.join(a, 'g'), path.join(a, 'h')));
  step('rename missing', () => fs.renameSync(path.join(a, 'g'), path.join(a, 'i')));
  step('readdir', () => (fs.readdirSync(a) as string[]).sort());
  step('symlink', () => fs.symlinkSync('f', path.join(a, 'l')));
  step('symlink exists', () => fs.symlinkSync('f', path.join(a, 'l')));
  step('readlink', () => fs.readlinkSync(path.join(a, 'l')));
  step('readlink of a file', () => fs.readlinkSync(path.join(a, 'f')));
  step('lstat, stat of a link', () => [fs.lstatSync(path.join(a, 'l')).isSymbolicLink(), fs.statSync(path.join(a, 'l')).isFile(), fs.statSync(path.join(a, 'l')).isSymbolicLink()]);
  step('mkdir sub', () => fs.mkdirSync(path.join(a, 'sub')));
  step('readdir with types', () =>
    (fs.readdirSync(a, { withFileTypes: true }) as unknown as nodeFs.Dirent[]).map((e) => [e.name, e.isDirectory(), e.isFile(), e.isSymbolicLink()]).sort());
  step('stat missing', () => fs.statSync(path.join(a, 'none')));
  step('lstat missing', () => fs.lstatSync(path.join(a, 'none')));
  step('readFile missing', () => fs.readFileSync(path.join(a, 'none'), 'utf8'));
  step('readFile a directory', () => fs.readFileSync(a, 'utf8'));
  step('rmdir not empty', () => fs.rmdirSync(a));
  step('rmdir', () => fs.rmdirSync(path.join(a, 'sub')));
  step('unlink', () => fs.unlinkSync(path.join(a, 'l')));
  step('unlink missing', () => fs.unlinkSync(path.join(a, 'l')));
  step('chown to ourselves', () => fs.chownSync(path.join(a, 'f'), process.getuid!(), process.getgid!()));
  step('statfs /proc', () => fs.statfsSync('/proc').type);
  step('readFile /proc/version', () => fs.readFileSync('/proc/version', 'utf8'));
  step('readFile /proc/self/status', () => /^Name:/.test(fs.readFileSync('/proc/self/status', 'utf8') as string));
  step('a big file', () => {
    const big = Buffer.alloc(300_000, 'abcdefghij');
    fs.writeFileSync(path.join(a, 'big'), big);
    return (fs.readFileSync(path.join(a, 'big')) as Buffer).equals(big);
  });
  step('rm tree', () => fs.rmSync(a, { recursive: true, force: true }));
  step('gone', () => fs.existsSync(a));
  step('rm missing, forced', () => fs.rmSync(a, { recursive: true, force: true }));
  step('rm missing', () => fs.rmSync(a, { recursive: true }));
  return out;
}

/** The fields of one file's Stats, from both. */
function statFields(fs: Files, file: string) {
  const s = fs.statSync(file);
  return {
    dev: s.dev, ino: s.ino, mode: s.mode, nlink: s.nlink, uid: s.uid, gid: s.gid, rdev: s.rdev, size: s.size,
    blksize: s.blksize, blocks: s.blocks, mtimeMs: Math.floor(s.mtimeMs), mtime: s.mtime.toISOString(),
    isDirectory: s.isDirectory(), isFile: s.isFile(), isFIFO: s.isFIFO(), isCharacterDevice: s.isCharacterDevice(),
  };
}

const base = nodeFs.mkdtempSync(path.join(os.tmpdir(), 'nk-files-'));
try {
  const ours = bunFiles();
  const dirs = ['node', 'ours'].map((name) => path.join(base, name));
  dirs.forEach((d) => nodeFs.mkdirSync(d));
  const result = {
    node: script(nodeFs as unknown as Files, dirs[0]),
    ours: script(ours, dirs[1]),
    stats: ['/dev/null', '/proc/self', base, '/etc/hostname'].map((f) => ({ file: f, node: statFields(nodeFs as unknown as Files, f), ours: statFields(ours, f) })),
    // Node sorts a directory's names (libuv's scandir); getdents64 gives them in its own order.
    oursSorted: (() => {
      const dir = path.join(base, 'many');
      nodeFs.mkdirSync(dir);
      for (const name of ['b', 'a10', 'Z', 'a2', 'c', '_x', 'a1']) nodeFs.writeFileSync(path.join(dir, name), '');
      const names = ours.readdirSync(dir) as string[];
      return { names, sorted: [...names].sort() };
    })(),
    constants: Object.fromEntries(Object.keys(OPEN).map((k) => [k, [(nodeFs.constants as Record<string, number>)[k], (OPEN as Record<string, number>)[k]]])),
  };
  process.stdout.write(JSON.stringify(result));
} finally {
  nodeFs.rmSync(base, { recursive: true, force: true });
}
