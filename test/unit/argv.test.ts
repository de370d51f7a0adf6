/**
 * The hot path's hand-read command lines (src/cli/argv.ts) against yargs: for each plain form,
 * every field a handler reads must be what yargs gives; anything else must be left to yargs.
 */
import t from 'tap';
import yargs from 'yargs';
import { parseHot } from '../../src/cli/argv';
import { commands } from '../../src/cli/commands';
import { DEFAULT_ROOT } from '../../src/runtime/state-store';

const FIELDS = ['root', 'educational', 'debug', 'step', 'log', 'logFormat', 'container-id', 'bundle', 'pid-file', 'detach', 'force', 'all', 'signal', 'process', 'cwd', 'env', 'user', 'tty', 'command', 'timeout', 'timeout-grace', 'result', 'dry-run'];

/** What yargs hands the handler, with the global options of src/cli/main.ts. */
function viaYargs(argv: string[]): Record<string, unknown> {
  let got: Record<string, unknown> = {};
  let cli = yargs(argv)
    .option('root', { type: 'string', default: DEFAULT_ROOT, global: true })
    .option('educational', { alias: 'E', type: 'count', global: true })
    .option('debug', { type: 'boolean', default: false, global: true })
    .option('step', { type: 'boolean', default: false, global: true })
    .option('log', { type: 'string', global: true })
    .option('log-format', { type: 'string', choices: ['text', 'json'], default: 'text', global: true })
    .option('systemd-cgroup', { type: 'boolean', default: false, hidden: true, global: true })
    .strict()
    .fail((msg, err) => {
      throw err ?? new Error(msg);
    });
  for (const c of commands) cli = cli.command({ ...c, handler: (args: Record<string, unknown>) => void (got = args) } as never);
  cli.parseSync();
  return Object.fromEntries(FIELDS.filter((f) => got[f] !== undefined).map((f) => [f, got[f]]));
}

const HOT = [
  // containerd (shared/CLIENTS.md)
  '--root /run/containerd/runc/default --log /b/log.json --log-format json create --bundle /b --pid-file /b/init.pid c1',
  '--root /run/containerd/runc/default --log /b/log.json --log-format json start c1',
  '--root /r --log /b/log.json --log-format json kill c1 15',
  '--root /r --log /b/log.json --log-format json kill --all c1 9',
  '--root /r --log /b/log.json --log-format json delete c1',
  '--root /r --log /b/log.json --log-format json delete --force c1',
  '--systemd-cgroup --root /r start c1',
  // podman
  '--log-format=json --log /r/oci-log create --bundle /s --pid-file /r/pidfile c1',
  'kill c1 9',
  // by hand, and scripts/bench.sh
  '-E run --bundle bundle demo',
  '-EE --debug run -b bundle -d demo',
  '--step create --bundle bundle demo',
  'start demo --step',
  '--step -E run demo',
  'run demo -E',
  'run --timeout 10s --bundle b demo',
  'run --timeout=500ms --timeout-grace 1s demo',
  'run --result /tmp/job.json --timeout 2s demo',
  // --dry-run (no root): create, run, exec
  'create --dry-run --bundle bundle demo',
  '--root /tmp/r -E run demo --dry-run',
  'exec --dry-run c1 ls /',
  '--root=/tmp/x state c1',
  'kill c1',
  'kill c1 SIGKILL -a',
  'delete -f c1',
  'create c1',
  'state 123',
  // exec: containerd, podman, by hand (commands whose words yargs reads the same way)
  '--root /r --log /b/log.json --log-format json exec --process /tmp/runc-process1 --detach --pid-file /b/e1.pid c1',
  '--log-format=json --log /s/e/oci-log exec --pid-file /s/e/exec_pid --process /s/e/exec-process-1 --detach c1',
  'exec c1 ps',
  'exec -e A=1 --env B=2 --cwd /etc -u 1000:1000 c1 ls /',
  'exec c1',
];

for (const line of HOT) {
  const argv = line.split(' ');
  const hot = parseHot(argv);
  t.ok(hot, `read by hand: ${line}`);
  if (!hot) continue;
  const mine = Object.fromEntries(FIELDS.filter((f) => hot.args[f] !== undefined).map((f) => [f, hot.args[f]]));
  t.same(mine, viaYargs(argv), `as yargs reads it: ${line}`);
}

const LEFT_TO_YARGS = [
  '', '--help', 'create --help', '--version', 'list', 'spec', 'run', 'start', 'start a b', 'kill a b c',
  'state --bogus c1', 'create --bundle', 'create --bundle --pid-file p c1', '--log-format xml start c1',
  '--root a --root b start c1', 'delete --force=true c1', '--step=true start c1', 'start -- c1', 'stat c1',
];
for (const line of LEFT_TO_YARGS) t.equal(parseHot(line ? line.split(' ') : []), undefined, `left to yargs: "${line}"`);

t.test('exec: everything after the container ID is the command, options of its own included', async (t) => {
  const hot = parseHot('exec -d c1 sh -c echo --help'.split(' '));
  t.same(hot?.args.command, ['sh', '-c', 'echo', '--help']);
  t.equal(hot?.args.detach, true);
  t.same(hot?.args.env, []);
});
