/**
 * The init's end of the sync socket (src/init/channel.ts): when its messages are written. Files
 * stand in for the socket and for exec.fifo: what is in a file is what has been sent.
 */
import t, { type Test } from 'tap';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InitChannel } from '../../src/init/channel';
import type { Step } from '../../src/linux/kernel';

const step = (text: string): Step => ({ role: 'init', pid: 1, call: 'mount', text, time: 0, ms: 0 });

function files(t: Test) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nk-channel-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const open = (name: string) => fs.openSync(path.join(dir, name), 'w+');
  const sent = (name: string) => fs.readFileSync(path.join(dir, name), 'utf8').split('\n').filter(Boolean).map((l) => {
    const m = JSON.parse(l) as { type: string; step?: Step };
    return m.step ? `step ${m.step.text}` : m.type;
  });
  return { open, sent };
}

t.test('each message is written at once by default', async (t) => {
  const { open, sent } = files(t);
  const channel = new InitChannel(open('socket'));
  channel.send({ type: 'booted' });
  channel.send({ type: 'step', step: step('a') });
  t.same(sent('socket'), ['booted', 'step a']);
});

t.test('batchSteps: steps wait for the next message of another kind, and go with it', async (t) => {
  const { open, sent } = files(t);
  const channel = new InitChannel(open('socket'));
  channel.batchSteps();
  channel.send({ type: 'step', step: step('a') });
  channel.send({ type: 'step', step: step('b') });
  t.same(sent('socket'), [], 'nothing written for the steps alone');
  channel.send({ type: 'createRuntime' });
  t.same(sent('socket'), ['step a', 'step b', 'createRuntime'], 'in their order, before the message');
  channel.send({ type: 'step', step: step('c') });
  channel.send({ type: 'ready' });
  t.same(sent('socket'), ['step a', 'step b', 'createRuntime', 'step c', 'ready']);
});

t.test('hold ends the batching: what is sent then goes where moveTo opens', async (t) => {
  const { open, sent } = files(t);
  const channel = new InitChannel(open('socket'));
  channel.batchSteps();
  channel.send({ type: 'step', step: step('a') });
  channel.hold();
  channel.send({ type: 'step', step: step('b') });
  t.same(sent('socket'), [], 'the socket gets nothing more');
  channel.moveTo(() => open('fifo'));
  channel.send({ type: 'step', step: step('c') });
  t.same(sent('fifo'), ['step a', 'step b', 'step c'], 'kept steps first, then each one at once');
});
