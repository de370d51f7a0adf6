/** events' stats, read from fake v1 and v2 cgroup files; durations for --interval and --timeout. */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { blkioEntries, oomKills, readStats } from '../../src/linux/cgroups/stats';
import { parseDuration } from '../../src/runtime/duration';

function tree(t: { teardown(fn: () => void): void }, files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-stats-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

t.test('v1: cpuacct, cpu, memory, pids, blkio, hugetlb', async (t) => {
  const root = tree(t, {
    'cpuacct/c/cpuacct.usage': '3000000000\n',
    'cpuacct/c/cpuacct.usage_percpu': '1000000000 2000000000 \n',
    'cpuacct/c/cpuacct.stat': 'user 250\nsystem 50\n',
    'cpu/c/cpu.stat': 'nr_periods 10\nnr_throttled 4\nthrottled_time 5000\n',
    'memory/c/memory.usage_in_bytes': '1048576\n',
    'memory/c/memory.max_usage_in_bytes': '4194304\n',
    'memory/c/memory.limit_in_bytes': '67108864\n',
    'memory/c/memory.failcnt': '2\n',
    'memory/c/memory.memsw.limit_in_bytes': '9223372036854771712\n',
    'memory/c/memory.stat': 'cache 4096\nrss 8192\ntotal_cache 4096\n',
    'memory/c/memory.oom_control': 'oom_kill_disable 0\nunder_oom 0\noom_kill 3\n',
    'pids/c/pids.current': '2\n',
    'pids/c/pids.max': 'max\n',
    'blkio/c/blkio.throttle.io_service_bytes_recursive': '8:0 Read 4096\n8:0 Write 8192\n8:0 Total 12288\nTotal 12288\n',
    'blkio/c/blkio.throttle.io_serviced_recursive': '8:0 Read 1\n8:0 Write 2\nTotal 3\n',
    'hugetlb/c/hugetlb.2MB.usage_in_bytes': '2097152\n',
    'hugetlb/c/hugetlb.2MB.max_usage_in_bytes': '4194304\n',
    'hugetlb/c/hugetlb.2MB.failcnt': '1\n',
  });
  const dirs = Object.fromEntries(['cpuacct', 'cpu', 'memory', 'pids', 'blkio', 'hugetlb'].map((c) => [c, path.join(root, c, 'c')]));
  const placement = { version: 1 as const, dirs, created: [] };
  const s = readStats(placement);
  t.same(s.cpu, {
    usage: { total: 3e9, percpu: [1e9, 2e9], kernel: 5e8, user: 2.5e9 },
    throttling: { periods: 10, throttled_periods: 4, throttled_time: 5000 },
  }, 'clock ticks (100 a second) turned into nanoseconds');
  t.same(s.memory.usage, { limit: 67108864, usage: 1048576, max: 4194304, failcnt: 2 }, 'max is the peak');
  t.equal(s.memory.swap.limit, 0, 'v1\'s "no limit" number is 0');
  t.equal(s.memory.cache, 4096);
  t.same(s.memory.raw, { cache: 4096, rss: 8192, total_cache: 4096 });
  t.same(s.pids, { current: 2, limit: 0 }, '"max" is 0, as runc');
  t.same(s.blkio.ioServiceBytesRecursive, [{ major: 8, minor: 0, op: 'Read', value: 4096 }, { major: 8, minor: 0, op: 'Write', value: 8192 }, { major: 8, minor: 0, op: 'Total', value: 12288 }]);
  t.same(s.hugetlb, { '2MB': { usage: 2097152, max: 4194304, failcnt: 1 } });
  t.equal(oomKills(placement), 3, 'oom_kill of memory.oom_control');
  t.same(blkioEntries('Total 5\n'), []);
});

t.test('v2: cpu.stat in µs, memory.current/peak/max, memory.events, io.stat', async (t) => {
  const dir = tree(t, {
    'cpu.stat': 'usage_usec 3000\nuser_usec 2000\nsystem_usec 1000\nnr_periods 5\nnr_throttled 1\nthrottled_usec 70\n',
    'memory.current': '1048576\n',
    'memory.peak': '2097152\n',
    'memory.max': 'max\n',
    'memory.events': 'low 0\nhigh 0\nmax 7\noom 1\noom_kill 1\n',
    'memory.stat': 'anon 4096\nfile 8192\n',
    'memory.swap.current': '0\n',
    'memory.swap.max': '0\n',
    'pids.current': '3\n',
    'pids.max': '10\n',
    'io.stat': '8:0 rbytes=100 wbytes=200 rios=1 wios=2 dbytes=0 dios=0\n',
    'hugetlb.2MB.current': '0\n',
    'hugetlb.2MB.events': 'max 0\n',
  });
  const placement = { version: 2 as const, dirs: { unified: dir }, created: [] };
  const s = readStats(placement);
  t.same(s.cpu.usage, { total: 3e6, percpu: [], kernel: 1e6, user: 2e6 });
  t.same(s.cpu.throttling, { periods: 5, throttled_periods: 1, throttled_time: 70000 });
  t.same(s.memory.usage, { usage: 1048576, max: 2097152, limit: 0, failcnt: 7 });
  t.equal(s.memory.cache, 8192);
  t.same(s.pids, { current: 3, limit: 10 });
  t.same(s.blkio.ioServiceBytesRecursive.map((e) => [e.op, e.value]), [['Read', 100], ['Write', 200]]);
  t.same(s.blkio.ioServicedRecursive.map((e) => [e.op, e.value]), [['Read', 1], ['Write', 2]]);
  t.same(s.hugetlb, { '2MB': { usage: 0, max: 0, failcnt: 0 } });
  t.equal(oomKills(placement), 1);
});

t.test('durations', async (t) => {
  t.equal(parseDuration('--interval', '5s'), 5000);
  t.equal(parseDuration('--interval', '500ms'), 500);
  t.equal(parseDuration('--interval', '2m'), 120000);
  t.equal(parseDuration('--interval', '1h30m'), 5400000);
  t.equal(parseDuration('--interval', '1.5s'), 1500);
  t.equal(parseDuration('--interval', '3'), 3000, 'a plain number is seconds');
  t.throws(() => parseDuration('--timeout', 'soon'), /--timeout soon: not a duration/);
  t.throws(() => parseDuration('--timeout', '5x'), /not a duration/);
  t.throws(() => parseDuration('--timeout', ''), /not a duration/);
});
