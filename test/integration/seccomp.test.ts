/**
 * linux.seccomp, seen from inside the container: the calls a profile refuses fail (or kill) as it
 * says, the others work, exec'd processes are held to the same filter, and a bad profile is a
 * one-line error that leaves nothing behind. /proc/self/status shows `Seccomp: 2` (filter mode,
 * man 5 proc).
 */
import t from 'tap';
import { Sandbox, skipReason } from './harness';
import { defaultSeccomp } from '../../src/oci/default-seccomp';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `seccomp-${name}-${process.pid}`;
const allowBut = (syscalls: unknown[]) => ({ defaultAction: 'SCMP_ACT_ALLOW', syscalls });

t.test("spec's default profile: programs run, namespaces and mounts are refused with EPERM", async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('grep ^Seccomp: /proc/self/status; ls / >/dev/null && echo ls=ok; unshare -n true; echo unshare=$?; echo "$(cat /proc/self/status | wc -l) lines"', (c) => {
    c.linux.seccomp = defaultSeccomp();
  });
  const r = box.run(['run', '--bundle', bundle, id('default')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^Seccomp:\s+2$/m, 'a filter is installed');
  t.match(r.stdout, /^ls=ok$/m);
  t.match(r.stdout, /^unshare=1$/m);
  t.match(r.stderr, /unshare.*Operation not permitted/);
});

t.test('ERRNO with errnoRet, KILL_PROCESS, and a condition on an argument', async (t) => {
  const box = new Sandbox(t);
  const script = [
    'mkdir /dev/made; echo mkdir=$?',
    'kill -0 $$; echo kill0=$?',
    'kill -USR1 $$; echo usr1=$?',
    'sh -c sync; echo sync=$?',
  ].join('; ');
  const bundle = box.shell(script, (c) => {
    c.linux.seccomp = allowBut([
      { names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 },
      // kill(pid, SIGUSR1) refused; kill(pid, 0) still works.
      { names: ['kill'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 10, op: 'SCMP_CMP_EQ' }] },
      { names: ['sync'], action: 'SCMP_ACT_KILL_PROCESS' },
    ]);
  });
  const r = box.run(['run', '--bundle', bundle, id('rules')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^mkdir=1$/m);
  t.match(r.stderr, /mkdir.*Permission denied/, 'errnoRet 13 is EACCES');
  t.match(r.stdout, /^kill0=0$/m, 'kill with signal 0 is allowed');
  t.match(r.stdout, /^usr1=1$/m, 'kill with SIGUSR1 is refused');
  t.match(r.stdout, /^sync=159$/m, 'sync kills its caller with SIGSYS (128 + 31)');
});

t.test("an exec'd process is held to the container's filter", async (t) => {
  const box = new Sandbox(t);
  const c = id('exec');
  const bundle = box.shell('sleep 30', (config) => {
    config.linux.seccomp = allowBut([{ names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }]);
  });
  t.teardown(() => box.run(['delete', '--force', c]));
  t.equal(box.run(['run', '--detach', '--bundle', bundle, c]).status, 0);
  const r = box.run(['exec', c, 'sh', '-c', 'grep ^Seccomp: /proc/self/status; mkdir /dev/other; echo mkdir=$?']);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^Seccomp:\s+2$/m);
  t.match(r.stdout, /^mkdir=1$/m);
  t.equal(box.run(['delete', '--force', c]).status, 0);
});

t.test('without noNewPrivileges the filter is installed while the init still has CAP_SYS_ADMIN', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status', (c) => {
    c.process.noNewPrivileges = false;
    c.linux.seccomp = defaultSeccomp();
  });
  const r = box.run(['run', '--bundle', bundle, id('nnp')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^NoNewPrivs:\s+0$/m);
  t.match(r.stdout, /^Seccomp:\s+2$/m);
});

t.test('a profile that refuses execve: start says so; bad profiles are one-line errors', async (t) => {
  const box = new Sandbox(t);
  const noExec = box.shell('true', (c) => (c.linux.seccomp = allowBut([{ names: ['execve'], action: 'SCMP_ACT_ERRNO' }])), 'noexec');
  const r = box.run(['run', '--bundle', noExec, id('noexec')]);
  t.equal(r.status, 1);
  t.match(r.stderr, /the container's program did not start: .*execve.*EPERM/);
  t.equal(box.run(['delete', '--force', id('noexec')]).status, 0);

  const cases: [string, unknown, string][] = [
    ['action', allowBut([{ names: ['read'], action: 'SCMP_ACT_MAYBE' }]), 'config.json: linux.seccomp.syscalls[0].action: must be one of "SCMP_ACT_KILL"'],
    ['notify', allowBut([{ names: ['read'], action: 'SCMP_ACT_NOTIFY' }]), 'config.json: linux.seccomp.syscalls[0].action: SCMP_ACT_NOTIFY is not supported'],
    ['index', allowBut([{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 6, value: 1, op: 'SCMP_CMP_EQ' }] }]), 'config.json: linux.seccomp.syscalls[0].args[0].index: must be an argument number from 0 to 5, found 6'],
    ['op', allowBut([{ names: ['read'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, op: 'SCMP_CMP_ABOUT' }] }]), 'config.json: linux.seccomp.syscalls[0].args[0].op: must be one of'],
  ];
  for (const [name, seccomp, message] of cases) {
    const bundle = box.shell('true', (c) => (c.linux.seccomp = seccomp), name);
    const bad = box.run(['create', '--bundle', bundle, id(name)]);
    t.equal(bad.status, 1, name);
    t.match(bad.stderr, message, name);
    t.notMatch(bad.stderr, /\n\s+at /, `${name}: no stack trace`);
  }
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n', 'nothing left');
});
