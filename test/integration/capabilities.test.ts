/**
 * process.capabilities and process.oomScoreAdj, read back from inside the container
 * (/proc/self/status: CapInh, CapPrm, CapEff, CapBnd, CapAmb as hex masks, man 5 proc).
 */
import t from 'tap';
import { Sandbox, skipReason } from './harness';
import { defaultSpec } from '../../src/oci/default-spec';

const skip = skipReason();
if (skip) t.plan(0, skip);

const id = (name: string) => `caps-${name}-${process.pid}`;
const caps = (out: string) => Object.fromEntries([...out.matchAll(/^(Cap\w+):\s+([0-9a-f]+)$/gm)].map((m) => [m[1], BigInt(`0x${m[2]}`)]));

t.test("`spec`'s default: exactly runc's three capabilities, nothing inheritable or ambient; mount is refused", async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('grep ^Cap /proc/self/status; mount -t tmpfs none /tmp 2>&1; echo mount=$?', (c) => {
    c.process.capabilities = defaultSpec().process.capabilities;
  });
  const r = box.run(['run', '--bundle', bundle, id('default')]);
  t.equal(r.status, 0, r.stderr);
  // CAP_KILL (5), CAP_NET_BIND_SERVICE (10), CAP_AUDIT_WRITE (29).
  const three = (1n << 5n) | (1n << 10n) | (1n << 29n);
  t.same(caps(r.stdout), { CapInh: 0n, CapPrm: three, CapEff: three, CapBnd: three, CapAmb: 0n });
  t.match(r.stdout, /mount=(?!0)\d+/, 'without CAP_SYS_ADMIN, mount fails');
  t.match(r.stdout, /permission denied|Operation not permitted/i);
});

t.test('a non-root user with an ambient capability keeps it through execve; the rest is gone', async (t) => {
  const box = new Sandbox(t);
  const bundle = box.shell('id -u; grep ^Cap /proc/self/status', (c) => {
    c.process.user = { uid: 1000, gid: 1000 };
    const set = ['CAP_NET_RAW', 'CAP_KILL'];
    c.process.capabilities = { bounding: set, effective: set, permitted: set, inheritable: ['CAP_NET_RAW'], ambient: ['CAP_NET_RAW'] };
  });
  const r = box.run(['run', '--bundle', bundle, id('ambient')]);
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^1000$/m);
  const raw = 1n << 13n;
  const kill = 1n << 5n;
  // After execve a non-root program keeps only what is ambient (man 7 capabilities, "Transformation of capabilities during execve").
  t.same(caps(r.stdout), { CapInh: raw, CapPrm: raw, CapEff: raw, CapBnd: raw | kill, CapAmb: raw });
});

t.test('oomScoreAdj is the program\'s; an unknown capability name is a clear error', async (t) => {
  const box = new Sandbox(t);
  const r = box.run(['run', '--bundle', box.shell('cat /proc/self/oom_score_adj', (c) => (c.process.oomScoreAdj = 512)), id('oom')]);
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stdout, '512\n');
  const bad = box.run(['create', '--bundle', box.shell('true', (c) => (c.process.capabilities = { bounding: ['CAP_KILL', 'CAP_FLY'] }), 'bad'), id('bad')]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, 'config.json: process.capabilities.bounding[1]: must be a capability name like "CAP_KILL" (man 7 capabilities), found "CAP_FLY"');
  t.equal(box.run(['list', '--format', 'json']).stdout, '[]\n', 'nothing left');
});
