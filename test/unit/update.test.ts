/** `update`: what is read from the command line and how it is merged into the saved resources. */
import t from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { changesFrom, parseBytes } from '../../src/cli/commands/update';
import { mergeResources, resourcesToApply } from '../../src/runtime/update';

t.test('sizes as runc reads them: binary units, -1 for none', async (t) => {
  t.equal(parseBytes('memory', '1048576'), 1048576);
  t.equal(parseBytes('memory', '512m'), 512 * 1024 * 1024);
  t.equal(parseBytes('memory', '1G'), 1024 ** 3);
  t.equal(parseBytes('memory', '64k'), 65536);
  t.equal(parseBytes('memory', '1.5g'), 1.5 * 1024 ** 3);
  t.equal(parseBytes('memory', '-1'), -1);
  t.throws(() => parseBytes('memory', 'lots'), /--memory lots: not a size/);
  t.throws(() => parseBytes('memory', '-5m'), /not a size/);
});

t.test('flags go to their LinuxResources fields, on top of --resources', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-update-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'r.json');
  fs.writeFileSync(file, JSON.stringify({ memory: { limit: 1000, swap: 2000 }, pids: { limit: 7 } }));
  t.same(changesFrom({ resources: file, memory: '64m', 'cpu-quota': '50000', 'cpu-period': '100000', 'cpuset-cpus': '0-1', 'pids-limit': '-1' }), {
    memory: { limit: 64 << 20, swap: 2000 },
    pids: { limit: -1 },
    cpu: { quota: 50000, period: 100000, cpus: '0-1' },
  });
  t.same(changesFrom({ resources: '-' }, () => '{"cpu":{"shares":512}}'), { cpu: { shares: 512 } }, '- reads stdin');
  t.same(changesFrom({ 'memory-reservation': '1g', 'memory-swap': '-1', 'cpu-shares': '2048', 'blkio-weight': '300' }), {
    memory: { reservation: 1024 ** 3, swap: -1 }, cpu: { shares: 2048 }, blockIO: { weight: 300 },
  });
  t.throws(() => changesFrom({ resources: '-' }, () => 'nope'), /--resources -: not valid JSON/);
  t.throws(() => changesFrom({ resources: '-' }, () => '[1]'), /must be a JSON object/);
  t.throws(() => changesFrom({ 'pids-limit': 'ten' }), /--pids-limit ten: must be a whole number/);
  t.same(changesFrom({}), {}, 'nothing given, nothing to change');
});

t.test('merged field by field; each group named is written whole', async (t) => {
  const old = { memory: { limit: 100, swap: 200 }, cpu: { quota: 50000, period: 100000 }, devices: [{ allow: false, access: 'rwm' }] };
  const update = { cpu: { period: 200000 }, pids: { limit: 5 } };
  const merged = mergeResources(old, update);
  t.same(merged, {
    memory: { limit: 100, swap: 200 },
    cpu: { quota: 50000, period: 200000 },
    devices: [{ allow: false, access: 'rwm' }],
    pids: { limit: 5 },
  });
  t.same(resourcesToApply(merged, update), { cpu: { quota: 50000, period: 200000 }, pids: { limit: 5 } },
    'the quota goes with the new period (v2 writes both into cpu.max); memory and devices are left alone');
  t.same(mergeResources(old, { devices: [] }).devices, [], 'lists are replaced');
});
