import t from 'tap';
import { validateContainerId } from '../../src/runtime/container-id';
import { UserError } from '../../src/errors';

t.test('ids made of letters, digits and _ + - . are accepted', async (t) => {
  for (const id of ['demo', 'a', 'web-1', 'my_container.v2', 'A+B', '0123456789', '...', '.hidden', 'x'.repeat(1024)]) {
    t.doesNotThrow(() => validateContainerId(id), id.slice(0, 20));
  }
});

t.test('each broken rule is named', async (t) => {
  const cases: [string, RegExp][] = [
    ['', /^container id must not be empty$/],
    ['x'.repeat(1025), /^container id is 1025 bytes long; at most 1024 are allowed$/],
    ['é'.repeat(513), /^container id is 1026 bytes long/],
    ['a\nb', /^container id "a\\nb" contains a control character$/],
    ['tab\there', /contains a control character/],
    ['nul\0', /^container id "nul\\u0000" contains a control character$/],
    ['a/b', /^container id "a\/b" contains "\/": the id names a directory, not a path$/],
    ['../etc', /contains "\/"/],
    ['.', /^container id "\." is not allowed: "\." and "\.\." already mean directories$/],
    ['..', /^container id "\.\." is not allowed/],
    ['a b', /^container id "a b" contains " "$/],
    ['café', /^container id "café" contains "é"$/],
    ['x:y', /contains ":"$/],
  ];
  for (const [id, message] of cases) {
    t.throws(() => validateContainerId(id), { name: 'UserError', message }, JSON.stringify(id.slice(0, 20)));
  }
});

t.test('errors carry a hint about what is allowed, and are one line', async (t) => {
  try {
    validateContainerId('a b');
    t.fail('accepted "a b"');
  } catch (err) {
    t.ok(err instanceof UserError);
    t.match((err as UserError).hint, /letters, digits/);
    t.notMatch((err as UserError).message, /\n/);
  }
  try {
    validateContainerId('a\nb');
  } catch (err) {
    t.notMatch((err as UserError).message, /\n/, 'a newline in the id is shown escaped');
  }
});
