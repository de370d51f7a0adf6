/**
 * --step, driven by a script as a learner drives it by hand: read stderr up to each pause, run
 * what it says to look at, answer with a newline. The pauses name real processes, and what they
 * suggest shows the step's effect (the init's namespaces change at its unshare, the cgroup holds
 * the init after the write that moves it in).
 */
import t from 'tap';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { BIN, Sandbox, skipReason } from './harness';
import { PROMPT } from '../../src/explain/step-mode';

const skip = skipReason();
if (skip) t.plan(0, skip);

/** One pause, as read from stderr. */
interface Pause {
  number: number;
  role: string;
  /** The host pid of the process about to make the step. */
  hostPid: number;
  text: string;
  looks: string[];
}

const HEAD = /^ -- next \[(\d+)\]: (?:runtime pid (\d+)|(init|exec) pid \d+ \(host pid (\d+)\))  (.*?)(?:   \S+)?$/;

function parsePause(block: string): Pause {
  const lines = block.split('\n');
  const at = lines.findIndex((l) => l.startsWith(' -- next ['));
  const m = HEAD.exec(lines[at]);
  if (!m) throw new Error(`not a pause: ${lines[at]}`);
  const looks = lines.slice(at + 1).filter((l) => l.startsWith('        ')).map((l) => l.trim());
  return { number: Number(m[1]), role: m[3] ?? 'runtime', hostPid: Number(m[2] ?? m[4]), text: m[5], looks };
}

/** `nk-runtime --step ...` with stdin a pipe of ours, stderr read as it comes. */
class Driver {
  private readonly proc: ChildProcessWithoutNullStreams;
  private stderr = '';
  private consumed = 0;
  readonly exited: Promise<number | null>;
  private done = false;

  constructor(t: { teardown(fn: () => void): void }, box: Sandbox, args: string[]) {
    this.proc = spawn('/usr/bin/env', [...box.envArgs({}), BIN, '--root', box.root, '--step', ...args], { stdio: ['pipe', 'pipe', 'pipe'] }) as ChildProcessWithoutNullStreams;
    this.proc.stdout.resume();
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.proc.on('exit', (code) => ((this.done = true), resolve(code))));
    t.teardown(() => {
      if (!this.done) this.proc.kill('SIGKILL'); // ours, by its pid
      // After create the init holds our pipes (its stdio): stop reading them.
      this.proc.stdout.destroy();
      this.proc.stderr.destroy();
      this.proc.stdin.destroy();
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get output(): string {
    return this.stderr;
  }

  /** The next pause, or undefined once the command has exited. Fails after 30 s of nothing. */
  async nextPause(): Promise<Pause | undefined> {
    for (let waited = 0; waited < 30_000; waited += 5) {
      const end = this.stderr.indexOf(PROMPT, this.consumed);
      if (end >= 0) {
        const block = this.stderr.slice(this.consumed, end);
        this.consumed = end + PROMPT.length;
        return parsePause(block);
      }
      if (this.done) {
        await new Promise((r) => setTimeout(r, 50)); // the last of stderr
        if (this.stderr.indexOf(PROMPT, this.consumed) < 0) return undefined;
        continue;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
    throw new Error(`no pause and no exit within 30 s; stderr so far:\n${this.stderr.slice(-2000)}`);
  }

  answer(line: string): void {
    this.proc.stdin.write(`${line}\n`);
  }
}

/** Run a suggested command as a learner would paste it. */
function look(command: string): { status: number | null; out: string } {
  const r = spawnSync('sh', ['-c', command], { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

const nsInode = (listing: string, type: string) => new RegExp(`\\b${type} -> ${type}:\\[(\\d+)\\]`).exec(listing)?.[1];
const ourNs = (type: string) => fs.readlinkSync(`/proc/self/ns/${type}`).replace(/^\w+:\[(\d+)\]$/, '$1');

t.test('create --step, driven from a pipe: every pause names a real process and its hints show the step', async (t) => {
  const box = new Sandbox(t);
  const c = `step-${process.pid}`;
  const bundle = box.bundle();
  const run = new Driver(t, box, ['create', '--bundle', bundle, c]);
  let previous: Pause | undefined;
  let initPid: number | undefined;
  const checked = { unshare: false, cgroupProcs: false, hostname: false };
  let pauses = 0;
  for (let pause; (pause = await run.nextPause()); previous = pause) {
    pauses += 1;
    t.ok(fs.existsSync(`/proc/${pause.hostPid}`), `[${pause.number}] ${pause.role} host pid ${pause.hostPid} is a live process`);
    if (pause.role === 'runtime') t.equal(pause.hostPid, run.pid, 'the runtime names its own pid');
    else {
      initPid ??= pause.hostPid;
      t.equal(pause.hostPid, initPid, 'every init pause names the same host pid');
      t.match(fs.readFileSync(`/proc/${pause.hostPid}/cmdline`, 'utf8'), /init\/main\.js|__init/, 'and it is the init');
    }
    t.ok(pause.looks.length > 0, `[${pause.number}] suggests something to look at: ${pause.looks.join('; ')}`);
    const files = [...pause.text.matchAll(/"(\/[^"]+)"/g)].map((m) => m[1]);
    const names = (l: string) => new RegExp(`\\b${pause.hostPid}\\b`).test(l) || files.some((f) => l.includes(f));
    t.ok(pause.looks.some(names), `[${pause.number}] it names the host pid or the step's file`);
    // The previous step is done: what it suggested works now (nothing it looks at was removed).
    if (previous && !/^(rmdir|unlink|kill)\(/.test(previous.text)) {
      for (const command of previous.looks) {
        const seen = look(command);
        if (seen.status !== 0) t.fail(`after [${previous.number}] ${previous.text}: \`${command}\` failed: ${seen.out}`);
      }
    }

    // The init's unshare: its UTS and network namespaces are the host's at the pause, new ones
    // after it. (Not its mount namespace: it is born in a private one, read-only-executable.ts.)
    if (previous?.role === 'init' && /^unshare\(CLONE_NEWNS/.test(previous.text)) {
      t.equal(previous.looks[0], `ls -l /proc/${initPid}/ns`);
      const after = look(previous.looks[0]).out;
      t.ok(nsInode(after, 'uts'), 'ls -l /proc/PID/ns lists the namespaces');
      t.not(nsInode(after, 'uts'), ourNs('uts'), 'after the unshare step, the init has a UTS namespace of its own');
      t.not(nsInode(after, 'net'), ourNs('net'), 'and a network namespace');
      checked.unshare = true;
    }
    if (pause.role === 'init' && /^unshare\(CLONE_NEWNS/.test(pause.text)) {
      const before = look(pause.looks[0]).out;
      t.equal(nsInode(before, 'uts'), ourNs('uts'), 'before the unshare step, the init shares the host\'s UTS namespace');
      t.equal(nsInode(before, 'net'), ourNs('net'), 'and its network namespace');
    }
    // Into the cgroup: the runtime writes the init's pid to cgroup.procs, or on v1 the init
    // moves itself, 0 to tasks ("the thread that writes"). Empty before, the init in it after.
    const intoCgroup = /^write\("(\/sys\/fs\/cgroup\/[^"]+\/(?:cgroup\.procs|tasks))", "(\d+)"\)$/;
    const procs = intoCgroup.exec(pause.text);
    if (procs && !checked.cgroupProcs) {
      // (The init's paths are named through its root, /proc/PID/root: the same file here.)
      const file = pause.role === 'init' ? `/proc/${pause.hostPid}/root${procs[1]}` : procs[1];
      t.same(pause.looks, [`cat ${file}`], 'the hint is the cgroup file itself');
      t.equal(look(pause.looks[0]).out.trim(), '', 'before the write, the new cgroup holds no process');
    }
    const wrote = previous && intoCgroup.exec(previous.text);
    if (wrote && !checked.cgroupProcs) {
      const moved = wrote[2] === '0' ? previous!.hostPid : Number(wrote[2]);
      t.match(look(previous!.looks[0]).out.split('\n'), [String(moved)], `after it, ${path.basename(wrote[1])} holds the init`);
      t.equal(moved, initPid ?? moved, 'the process moved is the init');
      checked.cgroupProcs = true;
    }
    if (previous?.role === 'init' && /^sethostname\(/.test(previous.text)) {
      t.equal(look(previous.looks[0]).out.trim(), 'nk-demo', 'after sethostname, the init\'s UTS namespace has the config\'s hostname');
      checked.hostname = true;
    }
    run.answer('');
  }
  t.equal(await run.exited, 0, `create --step succeeded: ${run.output.slice(-500)}`);
  t.ok(pauses > 50, `it paused before each step (${pauses} pauses)`);
  t.same(checked, { unshare: true, cgroupProcs: true, hostname: true }, 'the three effects were seen');
  const narrated = run.output.match(/^ \[\d+\] /gm)?.length ?? 0;
  t.ok(narrated >= pauses, `the narration (implied by --step) shows each step after its pause (${narrated} steps)`);
  t.match(run.output, /--step: the init's last steps pause in `start`/);
  const state = box.state(c);
  t.equal(state.status, 'created');
  t.equal(state.pid, initPid, 'the init of the pauses is the container\'s');

  // start --step: the init's last steps (through exec.fifo) pause too, answered through step.fifo.
  const started = box.run(['--step', 'start', c], { input: '\n'.repeat(500) });
  t.equal(started.status, 0, started.stderr.slice(-500));
  t.match(started.stderr, new RegExp(`-- next \\[\\d+\\]: init pid 1 \\(host pid ${state.pid}\\)  setuid\\(0\\)   process\\.user\\.uid\\n.*look now.*\\n {8}grep -E '[^']*Uid[^']*' /proc/${state.pid}/status`));
  t.match(started.stderr, `-- next`, 'start paused');
  t.match(started.stderr, /-- next \[\d+\]: init pid 1 \(host pid \d+\)  execve\("\/bin\/nk-hello"/, 'up to the execve');
  t.match(started.stderr, /execve succeeded/);
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0);
  t.notOk(fs.existsSync(`/proc/${state.pid}`) && fs.readFileSync(`/proc/${state.pid}/cmdline`, 'utf8').includes('nk-hello'), 'nothing of it runs');
});

t.test('--step with stdin at its end does not wait: the rest runs without pausing', async (t) => {
  const box = new Sandbox(t);
  const c = `stepeof-${process.pid}`;
  const created = box.run(['--step', 'create', '--bundle', box.bundle(), c], { input: '', timeout: 20_000 });
  t.equal(created.status, 0, created.stderr.slice(-500));
  t.equal((created.stderr.match(/-- next \[/g) ?? []).length, 1, 'one pause, answered by the end of input');
  t.match(created.stderr, 'end of input: the rest runs without pausing');
  t.equal(box.state(c).status, 'created');
  // q at start's first pause (its own lock): nothing has happened, the container waits on.
  const stopped = box.run(['--step', 'start', c], { input: 'q\n', timeout: 20_000 });
  t.equal(stopped.status, 1);
  t.match(stopped.stderr, /nk-runtime: start stepeof-\d+: stopped before step \[1\], as asked \(--step\)/);
  t.equal(box.state(c).status, 'created', 'still created');
  // Made with --step, started without: the init's pauses are answered at once.
  const started = box.run(['start', c], { timeout: 20_000 });
  t.equal(started.status, 0, started.stderr);
  t.equal(started.stderr, '', 'start without --step says nothing');
  await box.waitFor(c, 'stopped');
  t.equal(box.run(['delete', c]).status, 0);
});

t.test('q at a pause of the init stops create, and create undoes everything', async (t) => {
  const box = new Sandbox(t);
  const c = `stepq-${process.pid}`;
  const run = new Driver(t, box, ['create', '--bundle', box.bundle(), c]);
  let initPid: number | undefined;
  const cgroupDirs: string[] = [];
  for (let pause; (pause = await run.nextPause()); ) {
    const dir = /^mkdir -p "(\/sys\/fs\/cgroup\/[^"]+)"/.exec(pause.text);
    if (dir) cgroupDirs.push(dir[1]);
    if (pause.role === 'init' && /^mount\(/.test(pause.text)) {
      initPid = pause.hostPid;
      run.answer('q');
      break;
    }
    run.answer('');
  }
  t.ok(initPid, 'reached a mount of the init');
  t.equal(await run.exited, 1);
  t.match(run.output, /nk-runtime: create stepq-\d+: stopped before step \[\d+\], as asked \(--step\)/);
  t.equal(box.run(['state', c]).status, 1, 'no container left');
  t.ok(cgroupDirs.length > 0);
  for (const dir of cgroupDirs) t.notOk(fs.existsSync(dir), `its cgroup is gone: ${dir}`);
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(fs.existsSync(`/proc/${initPid}/cmdline`) && /init\/main\.js|__init/.test(fs.readFileSync(`/proc/${initPid}/cmdline`, 'utf8')), 'its init is gone');
});

t.test('q at a pause of the init during start: the init exits, and delete removes the container', async (t) => {
  const box = new Sandbox(t);
  const c = `stepqs-${process.pid}`;
  t.equal(box.run(['--step', 'create', '--bundle', box.bundle(), c], { input: 'c\n' }).status, 0, 'created (c: no pauses)');
  const run = new Driver(t, box, ['start', c]);
  let stoppedAt: Pause | undefined;
  for (let pause; (pause = await run.nextPause()); ) {
    if (pause.role === 'init' && /^setuid\(/.test(pause.text)) {
      stoppedAt = pause;
      run.answer('q');
      break;
    }
    run.answer('');
  }
  t.ok(stoppedAt, 'reached the init\'s setuid');
  t.equal(await run.exited, 1);
  t.match(run.output, /stopped before step \[\d+\], as asked \(--step\)/);
  await box.waitFor(c, 'stopped');
  t.notMatch(run.output, /execve succeeded/, 'the program never ran');
  t.equal(box.run(['delete', c]).status, 0);
  t.equal(box.run(['state', c]).status, 1, 'gone');
});
