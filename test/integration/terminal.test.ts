/**
 * process.terminal with --console-socket, as containerd (`ctr run -t`) and podman (`run -t`) use
 * it: the init makes a pty inside the container and sends its master to the socket; the program
 * gets the slave as its controlling terminal and stdio. The other end of the socket is
 * tools/console-receiver.py, which does what containerd's shim does with the master.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import t from 'tap';
import { Sandbox, skipReason, underScript, type Result } from './harness';

const RECEIVER = path.join(__dirname, 'tools', 'console-receiver.py');
const python = spawnSync('python3', ['-c', 'import socket; socket.recv_fds'], { stdio: 'ignore' }).status === 0;
const skip = skipReason() ?? (python ? undefined : 'python3 (3.9 or later) is needed for the console-socket receiver');
if (skip) t.plan(0, skip);

/** Listen on a new socket in the sandbox; resolves with what the terminal showed. */
async function receiver(box: Sandbox, type?: { after: number; bytes: string }) {
  const socket = path.join(box.dir, `console-${process.hrtime.bigint()}.sock`);
  const child = spawn('python3', [RECEIVER, socket, ...(type ? [String(type.after), type.bytes] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  const shown = new Promise<string>((resolve) => child.on('exit', () => resolve(output)));
  // Ready once it says so (the socket file exists).
  await new Promise<void>((resolve) => child.stderr.once('data', () => resolve()));
  return { socket, shown, child };
}

/** `run` in the background (it waits for the program while the receiver reads the terminal). */
function runInBackground(box: Sandbox, args: string[]): Promise<Result> {
  const child = box.start(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  return new Promise((resolve) => child.on('exit', (status) => resolve({ status, stdout, stderr })));
}

t.test('run with a terminal: the program has a tty of the configured size, in the container\'s devpts', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('tty; stty size; test -t 0 && test -t 1 && test -t 2 && echo all-three-are-ttys; ls -l /dev/console; exit 3', (c) => {
    c.process.terminal = true;
    c.process.consoleSize = { height: 30, width: 100 };
  });
  const { socket, shown } = await receiver(box);
  const r = await runInBackground(box, ['run', '--bundle', bundle, '--console-socket', socket, `tty-${process.pid}`]);
  t.equal(r.status, 3, `the program's exit code comes back: ${r.stderr}`);
  const out = await shown;
  t.match(out, /^\/dev\/pts\/0\r?$/m, 'the slave is /dev/pts/0: the container has its own devpts');
  t.match(out, /^30 100\r?$/m, 'process.consoleSize');
  t.match(out, 'all-three-are-ttys');
  t.match(out, /^crw\S* .* 136,\s+0 .*\/dev\/console\r?$/m, '/dev/console is the terminal (pts 0: major 136, minor 0)');
  t.equal(r.stdout, '', 'nothing reaches the runtime\'s own stdout: the program writes to the terminal');
});

t.test('the terminal is the controlling terminal: Ctrl-C typed into it interrupts the foreground program', async (t) => {
  const box = new Sandbox(t);
  // Ctrl-C sends SIGINT to the terminal's foreground process group: sleep dies of it, and sh
  // (PID 1, which would otherwise follow its child's example) runs its trap and goes on.
  const bundle = box.shell('trap "echo trapped" INT; echo started; sleep 20; echo after-sleep', (c) => (c.process.terminal = true));
  const { socket, shown } = await receiver(box, { after: 1.5, bytes: '\\x03' });
  const started = Date.now();
  const r = await runInBackground(box, ['run', '--bundle', bundle, '--console-socket', socket, `ctrlc-${process.pid}`]);
  t.equal(r.status, 0, r.stderr);
  t.ok(Date.now() - started < 15_000, 'sleep 20 did not run to its end');
  const out = await shown;
  t.match(out, 'started');
  t.match(out, 'trapped', 'sh received SIGINT from the terminal');
  t.match(out, 'after-sleep');
});

t.test('create with a terminal, then start: the master arrives during create', async (t) => {
  const box = new Sandbox(t);
  const c = `cs-${process.pid}`;
  const bundle = box.shell('echo from-the-program', (c) => (c.process.terminal = true));
  const { socket, shown } = await receiver(box);
  // Read through pipes, as containerd's shim does: the init must not hold them (with a terminal,
  // its stdio until start is /dev/null), or this would wait as long as the container lives.
  const created = box.runWithPipes(['create', '--bundle', bundle, '--console-socket', socket, c]);
  t.notOk(created.timedOut, 'create\'s stdout and stderr reach end of file when create exits');
  t.equal(created.status, 0, created.stderr);
  t.equal(box.state(c).status, 'created');
  const started = box.run(['start', c]);
  t.equal(started.status, 0, started.stderr);
  t.match(await shown, 'from-the-program');
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0);
});

t.test('exec --tty --console-socket: a terminal for one more process', async (t) => {
  const box = new Sandbox(t);
  const c = `exectty-${process.pid}`;
  const bundle = box.shell('sleep 30');
  t.equal(box.run(['run', '--detach', '--bundle', bundle, c]).status, 0);
  const { socket, shown } = await receiver(box);
  const r = await runInBackground(box, ['exec', '--tty', '--console-socket', socket, c, 'sh', '-c', 'tty; exit 4']);
  t.equal(r.status, 4, `exec's exit code: ${r.stderr}`);
  t.match(await shown, /\/dev\/pts\/\d+/);
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('run without a console socket shows the terminal itself: our window size, our keys, its exit code', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('tty; stty size; exit 3', (c) => (c.process.terminal = true));
  const r = await underScript(box, ['run', '--bundle', bundle, `proxy-${process.pid}`], 'stty rows 33 cols 99');
  t.equal(r.status, 3, r.output);
  t.match(r.output, /\/dev\/pts\/0/);
  t.match(r.output, /33 99/, 'the container\'s terminal has the size of ours');
});

t.test('exec -t from a terminal is an interactive shell in the container', async (t) => {
  const box = new Sandbox(t);
  const c = `interactive-${process.pid}`;
  t.equal(box.run(['run', '--detach', '--bundle', box.shell('sleep 60'), c]).status, 0);
  const r = await underScript(box, ['exec', '-t', c, 'sh'], 'true', ['echo hi-from-$((40+2))\n', 'exit 5\n']);
  t.equal(r.status, 5, r.output);
  t.match(r.output, 'hi-from-42', 'what we typed ran in the container\'s shell');
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('a terminal needs a console socket, and a console socket needs a terminal: clear errors, nothing left', async (t) => {
  const box = new Sandbox(t);
  const withTerminal = box.shell('true', (c) => (c.process.terminal = true), 'tty');
  const r = box.run(['create', '--bundle', withTerminal, `noconsole-${process.pid}`]);
  t.equal(r.status, 1);
  t.match(r.stderr, /process\.terminal is true, but there is no --console-socket/);
  t.match(r.stderr, /hint: pass --console-socket PATH/);
  const plain = box.shell('true', undefined, 'plain');
  const r2 = box.run(['create', '--bundle', plain, '--console-socket', path.join(box.dir, 'nothing.sock'), `noterm-${process.pid}`]);
  t.equal(r2.status, 1);
  t.match(r2.stderr, /--console-socket is only for a terminal/);
  const r3 = box.run(['create', '--bundle', withTerminal, '--console-socket', path.join(box.dir, 'nothing.sock'), `nosock-${process.pid}`]);
  t.equal(r3.status, 1);
  t.match(r3.stderr, /connect\(".*nothing\.sock"\).*ENOENT/, 'a socket nobody listens on: the failed connect, named');
  t.same(fs.existsSync(box.root) ? fs.readdirSync(box.root) : [], [], 'no state dir left');
});
