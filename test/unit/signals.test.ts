import t from 'tap';
import { parseSignal, signalName } from '../../src/runtime/signals';
import { UserError } from '../../src/errors';

t.test('signals by name, with or without SIG, in any case, or by number', async (t) => {
  for (const text of ['KILL', 'SIGKILL', 'kill', 'sigkill', 'Kill', '9', ' 9 ']) t.equal(parseSignal(text), 9, text);
  t.equal(parseSignal('TERM'), 15);
  t.equal(parseSignal('hup'), 1);
  t.equal(parseSignal('SIGUSR1'), 10);
  t.equal(parseSignal('CHLD'), 17);
  t.equal(parseSignal('40'), 40, 'real-time signals by number');
  t.equal(parseSignal('64'), 64);
});

t.test('unknown signals are a UserError with examples', async (t) => {
  for (const text of ['FOO', 'SIGFOO', '', '0', '65', '-9', '9x', 'SIG', 'constructor', '1.5']) {
    try {
      parseSignal(text);
      t.fail(`accepted ${JSON.stringify(text)}`);
    } catch (err) {
      t.ok(err instanceof UserError, `${JSON.stringify(text)} is a UserError`);
      t.equal((err as UserError).message, `unknown signal ${JSON.stringify(text)}`);
      t.match((err as UserError).hint, /TERM/);
    }
  }
  t.throws(() => parseSignal('FOO'), { message: 'unknown signal "FOO"' });
});

t.test('signal names', async (t) => {
  t.equal(signalName(9), 'SIGKILL');
  t.equal(signalName(15), 'SIGTERM');
  t.equal(signalName(6), 'SIGABRT', 'the usual name, not SIGIOT');
  t.equal(signalName(29), 'SIGIO', 'the usual name, not SIGPOLL');
  t.equal(signalName(34), 'SIGRTMIN');
  t.equal(signalName(36), 'SIGRTMIN+2');
  t.equal(signalName(0), '0');
  t.equal(signalName(99), '99');
});

t.test('names and numbers go both ways', async (t) => {
  for (let n = 1; n <= 31; n++) {
    t.equal(parseSignal(signalName(n)), n, `${n}`);
  }
});
