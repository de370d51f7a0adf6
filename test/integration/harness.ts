/**
 * Shared by the integration tests: run the real nk-runtime CLI as root on bundles made from the
 * sample rootfs, each test with its own --root, and remove everything afterwards, even when the
 * test fails.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync, spawn } from 'node:child_process';
import type { Test } from 'tap';

export const REPO = path.resolve(__dirname, '..', '..');
/** The CLI under test: the Node entry, or another build of it (NK_RUNTIME_BIN=dist/nk-runtime). */
export const BIN = process.env.NK_RUNTIME_BIN ? path.resolve(process.env.NK_RUNTIME_BIN) : path.join(REPO, 'bin', 'nk-runtime');
export const SAMPLE_ROOTFS = path.join(REPO, 'bundle', 'rootfs');
export const SAMPLE_CONFIG = path.join(REPO, 'bundle', 'config.json');

export const isRoot = process.getuid?.() === 0;

/**
 * The environment the CLI runs in: ours without tap's. tap puts its own module into every Node
 * process it can reach (NODE_OPTIONS=--import ...processinfo) to follow them; in nk-runtime that
 * would add start-up time and write files at exit: it must run as a user runs it.
 */
export const CLEAN_ENV = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => key !== 'NODE_OPTIONS' && !key.startsWith('TAP') && !key.startsWith('_TAPJS')),
);

/**
 * `env -i K=V ... BIN`: tap also wraps child_process.spawn to put its hook back into any Node
 * program it starts, whatever env we pass; through env(1) with a cleared environment, nk-runtime
 * starts exactly as from a shell.
 */
const CLEAN_COMMAND = ['-i', ...Object.entries(CLEAN_ENV).map(([k, v]) => `${k}=${v}`)];

/** Why integration tests cannot run here, or undefined when they can. */
export function skipReason(): string | undefined {
  if (!isRoot) return 'integration tests need root (they create namespaces, mounts and cgroups)';
  if (!fs.existsSync(path.join(SAMPLE_ROOTFS, 'bin', 'busybox'))) return 'no sample rootfs: run `make bundle`';
  if (!fs.existsSync(path.join(REPO, 'lib', 'cli', 'main.js'))) return 'not built: run `make build`';
  return undefined;
}

export interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A private state root and bundle dir for one test, removed (with any container left in it) at teardown. */
export class Sandbox {
  readonly root: string;
  readonly dir: string;

  constructor(private readonly t: Test) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-test-'));
    this.root = path.join(this.dir, 'state');
    t.teardown(() => this.cleanup());
  }

  /**
   * Run `nk-runtime --root <ours> ...args` and wait for it. Its stdout and stderr go to files,
   * not pipes: after `create`, the container's init holds them open, and a pipe would not see
   * its end until the container exits.
   */
  run(args: string[], options: { input?: string; timeout?: number; env?: Record<string, string>; cwd?: string } = {}): Result {
    const out = path.join(this.dir, `out-${process.hrtime.bigint()}`);
    const err = `${out}.err`;
    const stdout = fs.openSync(out, 'w');
    const stderr = fs.openSync(err, 'w');
    try {
      const extra = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
      const r = spawnSync('/usr/bin/env', [...CLEAN_COMMAND, ...extra, BIN, '--root', this.root, ...args], {
        stdio: ['pipe', stdout, stderr],
        input: options.input ?? '',
        timeout: options.timeout ?? 30_000,
        cwd: options.cwd,
      });
      return { status: r.status, stdout: fs.readFileSync(out, 'utf8'), stderr: fs.readFileSync(err, 'utf8') };
    } finally {
      fs.closeSync(stdout);
      fs.closeSync(stderr);
      fs.rmSync(out, { force: true });
      fs.rmSync(err, { force: true });
    }
  }

  /**
   * Run with stdout and stderr as pipes, as containerd's shim runs `create`: it returns only once
   * every holder of the pipes has closed them (the init too, if it kept them).
   */
  runWithPipes(args: string[], timeout = 15_000): Result & { timedOut: boolean } {
    const r = spawnSync('/usr/bin/env', [...CLEAN_COMMAND, BIN, '--root', this.root, ...args], { stdio: ['ignore', 'pipe', 'pipe'], timeout, encoding: 'utf8' });
    return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '', timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT' };
  }

  /** The arguments of env(1) that start nk-runtime as the tests do, plus `extra` variables. */
  envArgs(extra: Record<string, string>): string[] {
    return [...CLEAN_COMMAND, ...Object.entries(extra).map(([k, v]) => `${k}=${v}`)];
  }

  /** `nk-runtime --root <ours> ...args` as one shell command line (for script(1) and the like). */
  commandLine(args: string[]): string {
    const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
    return ['/usr/bin/env', ...CLEAN_COMMAND, BIN, '--root', this.root, ...args].map(quote).join(' ');
  }

  /** Start `nk-runtime ...args` in the background (for `run` of a long program). */
  start(args: string[]) {
    return spawn('/usr/bin/env', [...CLEAN_COMMAND, BIN, '--root', this.root, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  }

  /**
   * A bundle whose config is the sample config changed by `edit`, its rootfs the sample rootfs.
   * Returns the bundle dir.
   */
  bundle(edit: (config: any) => void = () => undefined, name = 'bundle'): string {
    const dir = path.join(this.dir, name);
    fs.mkdirSync(dir, { recursive: true });
    const config = JSON.parse(fs.readFileSync(SAMPLE_CONFIG, 'utf8'));
    config.root.path = SAMPLE_ROOTFS;
    edit(config);
    fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2));
    return dir;
  }

  /** A bundle running `sh -c script`. */
  shell(script: string, edit: (config: any) => void = () => undefined, name?: string): string {
    return this.bundle((c) => {
      c.process.args = ['sh', '-c', script];
      edit(c);
    }, name);
  }

  state(id: string): any {
    const r = this.run(['state', id]);
    if (r.status !== 0) throw new Error(`state ${id} failed: ${r.stderr}`);
    return JSON.parse(r.stdout);
  }

  /** Wait (up to `ms`) until the container exists and has the given status. */
  async waitFor(id: string, status: string, ms = 10_000): Promise<void> {
    for (let waited = 0; waited < ms; waited += 20) {
      // A command started in the background may not have made the container yet.
      const r = this.run(['state', id]);
      if (r.status === 0 && JSON.parse(r.stdout).status === status) return;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`container ${id} did not become ${status} within ${ms} ms`);
  }

  /** delete --force every container still in our root, then remove our files. */
  cleanup(): void {
    if (fs.existsSync(this.root)) {
      for (const id of fs.readdirSync(this.root)) this.run(['delete', '--force', id]);
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What the machine holds that a container could leak: mounts, cgroup dirs, our processes. */
export function machineSnapshot() {
  const mounts = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ').slice(3, 5).join(' ')).sort();
  const cgroups = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '6', '-type', 'd', '-name', 'nk-*'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).sort();
  const inits = spawnSync('pgrep', ['-f', 'lib/init/main.js|nk-runtime __init'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  return { mounts, cgroups, inits };
}

// ---------------------------------------------------------------------------------------------
// For errors.test.ts and leaks.test.ts: telling what one test left behind from what other tests,
// running at the same time, have made.

/** A private copy of the sample rootfs at `<dir>/rootfs`: mounts made on it are this test's alone. */
export function copyRootfs(dir: string): string {
  const rootfs = path.join(dir, 'rootfs');
  const r = spawnSync('cp', ['-a', SAMPLE_ROOTFS, rootfs], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`cp -a ${SAMPLE_ROOTFS} ${rootfs}: ${r.stderr}`);
  return rootfs;
}

/**
 * The pids of processes (but this one) whose cwd or an open file is under `dir`. Everything a
 * Sandbox runs inherits stdout and stderr files in its dir (removed, the link still names it),
 * and the init holds exec.fifo in the state dir: this finds what a test started, also inside
 * a container.
 */
export function processesUsing(dir: string): number[] {
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const under = (link: string) => link === dir || link.startsWith(prefix);
  const found: number[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const links: string[] = [];
    try {
      links.push(fs.readlinkSync(`/proc/${name}/cwd`));
      for (const fd of fs.readdirSync(`/proc/${name}/fd`)) {
        try {
          links.push(fs.readlinkSync(`/proc/${name}/fd/${fd}`));
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      continue; // exited meanwhile
    }
    if (links.some(under)) found.push(Number(name));
  }
  return found.sort((a, b) => a - b);
}

export type MachineSnapshot = ReturnType<typeof machineSnapshot>;

/** What `after` holds that `before` did not (mounts are counted: the same mount twice is two). */
export function snapshotAdded(before: MachineSnapshot, after: MachineSnapshot): MachineSnapshot {
  const added = (b: string[], a: string[]) => {
    const left = new Map<string, number>();
    for (const x of b) left.set(x, (left.get(x) ?? 0) + 1);
    return a.filter((x) => {
      const n = left.get(x) ?? 0;
      if (n > 0) left.set(x, n - 1);
      return n === 0;
    });
  };
  return { mounts: added(before.mounts, after.mounts), cgroups: added(before.cgroups, after.cgroups), inits: added(before.inits, after.inits) };
}

/**
 * A cgroup v1 controller this host has not mounted, with a resource setting that needs it: for
 * the tests of a config that needs a controller the host lacks.
 */
export function missingController(): { name: string; resources: Record<string, unknown> } | undefined {
  if (fs.existsSync('/sys/fs/cgroup/cgroup.controllers')) return undefined; // pure v2: one hierarchy
  const mounted = fs.readFileSync('/proc/self/mountinfo', 'utf8');
  const candidates = [
    { name: 'hugetlb', resources: { hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }] } },
    { name: 'net_cls', resources: { network: { classID: 1048577 } } },
    { name: 'rdma', resources: { rdma: { mlx4_0: { hcaHandles: 2 } } } },
  ];
  return candidates.find((c) => !new RegExp(` cgroup cgroup \\S*\\b${c.name}\\b`).test(mounted));
}

/**
 * nk-runtime run under script(1), which gives it a terminal of its own, as a person at a terminal
 * has; `input` is typed into that terminal, a line at a time. script's stdin stays open until it
 * ends: at the end of its input script would type an end-of-file character into the terminal,
 * which races with the program's own output.
 */
export function underScript(box: Sandbox, args: string[], setup: string, input: string[] = []): Promise<{ status: number | null; output: string }> {
  const child = spawn('script', ['-qec', `${setup}; ${box.commandLine(args)}`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  // Each line once the program has had time to start and to answer the one before.
  input.forEach((line, i) => setTimeout(() => child.stdin.write(line), 2500 + i * 700).unref());
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  return new Promise((resolve) => child.on('exit', (status) => (clearTimeout(timer), resolve({ status, output }))));
}
