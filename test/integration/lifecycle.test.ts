/** Every transition of the state machine, through the real CLI, as root. */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Sandbox, skipReason } from './harness';
import { spawnSync } from 'node:child_process';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `${name}-${process.pid}`;

t.test('create -> created, start -> running, kill -> stopped, delete -> gone', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('sleep 30');
  const c = id('life');
  const pidFile = path.join(box.dir, 'init.pid');

  const created = box.run(['create', '--bundle', bundle, '--pid-file', pidFile, c]);
  t.equal(created.status, 0, `create: ${created.stderr}`);
  t.equal(created.stderr, '', 'without -E, create prints nothing');
  const s1 = box.state(c);
  t.equal(s1.status, 'created');
  t.equal(s1.id, c);
  t.equal(s1.bundle, bundle);
  t.ok(s1.pid > 0, 'a created container has its init pid');
  t.equal(fs.readFileSync(pidFile, 'utf8'), String(s1.pid), '--pid-file holds the init pid');
  t.ok(fs.existsSync(`/proc/${s1.pid}`), 'the init process exists');

  const listed = JSON.parse(box.run(['list', '--format', 'json']).stdout);
  t.same(listed.map((s: any) => [s.id, s.status]), [[c, 'created']], 'list --format json shows it');
  t.match(box.run(['list']).stdout, new RegExp(`${c}\\s+${s1.pid}\\s+created`), 'list shows a table');

  t.equal(box.run(['start', c]).status, 0, 'start');
  t.equal(box.state(c).status, 'running');
  t.equal(box.state(c).pid, s1.pid, 'the program runs as the init process (same pid)');

  const again = box.run(['start', c]);
  t.equal(again.status, 1, 'start twice fails');
  t.match(again.stderr, `nk-runtime: start ${c}: cannot start container ${c}: it is running`);

  const del = box.run(['delete', c]);
  t.equal(del.status, 1, 'delete of a running container without --force fails');
  t.match(del.stderr, 'it is running');
  t.match(del.stderr, 'hint:');

  t.equal(box.run(['kill', c, 'KILL']).status, 0, 'kill KILL');
  await box.waitFor(c, 'stopped');
  t.equal(box.state(c).pid, 0, 'a stopped container reports pid 0');

  const killStopped = box.run(['kill', c]);
  t.equal(killStopped.status, 1, 'kill of a stopped container fails');
  t.match(killStopped.stderr, 'container not running', 'with the words containerd looks for');

  t.equal(box.run(['delete', c]).status, 0, 'delete');
  t.equal(box.run(['state', c]).status, 1, 'state of a deleted container fails');
  t.notOk(fs.existsSync(path.join(box.root, c)), 'state dir removed');
});

t.test('the init makes the program\'s settings before start: once created, it is already the program\'s user', async (t) => {
  const box = new Sandbox(t);
  const c = id('settled');
  const bundle = box.shell('id -u', (cfg) => {
    cfg.process.user = { uid: 1000, gid: 1000 };
  });
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0, 'create');
  const pid = box.state(c).pid;
  // The init goes on after "ready" (init/main.ts): setuid comes soon after create has returned.
  const uid = () => /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  for (let i = 0; i < 500 && uid() !== '1000'; i++) await new Promise((r) => setTimeout(r, 10));
  t.equal(uid(), '1000', 'before start, the init runs as uid 1000');
  t.equal(box.state(c).status, 'created', 'and the container is still created: it waits on exec.fifo');
  const started = box.run(['start', c]);
  t.equal(started.status, 0, `start: ${started.stderr}`);
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0, 'delete');
});

t.test('kill accepts names with and without SIG, and numbers; --all reaches every process', async (t) => {
  const box = new Sandbox(t);
  // PID 1 has no default signal handlers: a shell with a trap shows which signal arrived.
  const bundle = box.shell('trap "exit 42" USR1; trap "exit 43" TERM; while true; do sleep 0.05; done');
  for (const [signal, code] of [['USR1', 42], ['SIGUSR1', 42], ['10', 42], ['TERM', 43]] as const) {
    const c = id(`sig${signal}`.toLowerCase());
    const run = box.start(['run', '--bundle', bundle, c]);
    const exited = new Promise<number | null>((resolve) => run.on('exit', resolve));
    await box.waitFor(c, 'running');
    // Give the shell a moment to install its traps after execve.
    await new Promise((r) => setTimeout(r, 300));
    t.equal(box.run(['kill', c, signal]).status, 0, `kill ${signal}`);
    t.equal(await exited, code, `run exits with the program's status after ${signal}`);
  }
  const c = id('all');
  const b2 = box.shell('sleep 60 & sleep 60 & sleep 60', () => undefined, 'all');
  t.equal(box.run(['create', '--bundle', b2, c]).status, 0);
  t.equal(box.run(['start', c]).status, 0);
  await box.waitFor(c, 'running');
  t.equal(box.run(['kill', '--all', c, '9']).status, 0, 'kill --all');
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0);
});

t.test('run: stdio passes through, and the exit status is the program\'s', async (t) => {
  const box = new Sandbox(t);
  const ok = box.run(['run', '--bundle', box.shell('echo out; echo err >&2; read line; echo "got $line"', () => undefined, 'io'), id('io')], { input: 'hello\n' });
  t.equal(ok.status, 0);
  t.equal(ok.stdout, 'out\ngot hello\n', 'stdout and stdin pass through');
  t.equal(ok.stderr, 'err\n', 'stderr passes through, and nothing else is printed');

  t.equal(box.run(['run', '--bundle', box.shell('exit 3', () => undefined, 'e3'), id('e3')]).status, 3, 'exit code 3');
  // A signal sent from inside to PID 1 without a handler is ignored, even SIGKILL (man 7
  // pid_namespaces); from the host, SIGKILL always works.
  const k9 = id('k9');
  const killed = box.start(['run', '--bundle', box.shell('sleep 30', () => undefined, 'k9'), k9]);
  const killedStatus = new Promise<number | null>((resolve) => killed.on('exit', resolve));
  await box.waitFor(k9, 'running');
  t.equal(box.run(['kill', k9, 'KILL']).status, 0);
  t.equal(await killedStatus, 137, 'killed by SIGKILL: run exits 128 + 9');
  t.same(JSON.parse(box.run(['list', '--format', 'json']).stdout), [], 'run deletes the container when it ends');

  const c = id('detach');
  const detached = box.run(['run', '--detach', '--bundle', box.shell('sleep 30', () => undefined, 'd'), c]);
  t.equal(detached.status, 0, 'run --detach returns at once');
  t.equal(box.state(c).status, 'running');
  t.equal(box.run(['delete', '--force', c]).status, 0, 'delete --force kills and removes it');
  t.equal(box.run(['state', c]).status, 1);
  t.equal(box.run(['delete', '--force', c]).status, 0, 'delete --force of a container already gone exits 0 (containerd sends it twice)');
});

t.test('the config is copied at create: later edits to the bundle do not matter', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('echo original');
  const c = id('copy');
  t.equal(box.run(['create', '--bundle', bundle, c]).status, 0);
  box.shell('echo edited');
  const started = box.run(['start', c]);
  t.equal(started.status, 0);
  await box.waitFor(c, 'stopped');
  const saved = JSON.parse(fs.readFileSync(path.join(box.root, c, 'config.json'), 'utf8'));
  t.same(saved.process.args, ['sh', '-c', 'echo original']);
  t.equal(box.run(['delete', c]).status, 0);
});

t.test('two concurrent creates of one ID: exactly one wins, the other leaves nothing', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('sleep 30');
  const c = id('race');
  const results = await Promise.all(
    [0, 1, 2].map(
      () =>
        new Promise<{ code: number | null; stderr: string }>((resolve) => {
          const p = box.start(['create', '--bundle', bundle, c]);
          let stderr = '';
          p.stderr!.on('data', (d) => (stderr += d));
          const stderrEnded = new Promise((end) => p.stderr!.on('end', end));
          // A loser's message may still be in the pipe when its exit is seen: read to the end.
          // (The winner's init keeps its stderr open, so for it the exit is enough.)
          p.on('exit', (code) => (code === 0 ? resolve({ code, stderr }) : void stderrEnded.then(() => resolve({ code, stderr }))));
        }),
    ),
  );
  t.equal(results.filter((r) => r.code === 0).length, 1, 'one create succeeds');
  for (const r of results.filter((r) => r.code !== 0)) t.match(r.stderr, `container ${c} already exists`);
  t.equal(box.state(c).status, 'created', 'and its container is intact');
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('commands work from a working directory that was deleted (containerd\'s shim cleans up from the removed bundle dir)', async (t) => {
  const box = new Sandbox(t);
  const c = `cwd-gone-${process.pid}`;
  t.equal(box.run(['create', '--bundle', box.shell('true'), c]).status, 0);
  const line = `mkdir ${box.dir}/gone && cd ${box.dir}/gone && rmdir ${box.dir}/gone && ${box.commandLine(['delete', '--force', c])} && ${box.commandLine(['delete', '--force', c])}`;
  const r = spawnSync('sh', ['-c', line], { encoding: 'utf8' });
  t.equal(r.status, 0, `delete --force, twice, from a deleted cwd: ${r.stderr}`);
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n');
});

t.test('a .env and a bunfig.toml in the working directory change nothing (the single executable must not read them)', async (t) => {
  const box = new Sandbox(t);
  // containerd's shim runs us in the bundle dir: files there are the bundle's, never our settings.
  const dir = box.shell('echo hello from the container');
  const marker = path.join(box.dir, 'preloaded');
  fs.writeFileSync(path.join(dir, '.env'), 'NK_TIMING=1\nDEBUG=nk:*\n');
  fs.writeFileSync(path.join(dir, 'bunfig.toml'), 'preload = ["./preload.js"]\n');
  fs.writeFileSync(path.join(dir, 'preload.js'), `require("fs").writeFileSync(${JSON.stringify(marker)}, "ran")\n`);
  const missing = box.run(['state', 'nosuch'], { cwd: dir });
  t.equal(missing.stderr, 'nk-runtime: state nosuch: container nosuch does not exist\n  hint: `nk-runtime list` shows the containers there are\n', 'state: only its own message');
  const ran = box.run(['run', '--bundle', '.', id('dotenv')], { cwd: dir });
  t.equal(ran.status, 0, `run from the bundle dir: ${ran.stderr}`);
  t.equal(ran.stdout, 'hello from the container\n');
  t.equal(ran.stderr, '', 'no time marks, no debug lines: the .env was not read (by the CLI nor by the init)');
  t.notOk(fs.existsSync(marker), 'bunfig.toml\'s preload did not run');
});
