import t from 'tap';
import { parseJson, findJsonMistake } from '../../src/oci/json';
import { UserError } from '../../src/errors';

/** The UserError message parseJson throws for `text`. */
function errorFor(text: string): string {
  try {
    parseJson(text, 'config.json');
  } catch (err) {
    if (err instanceof UserError) return err.message;
    throw err;
  }
  throw new Error('parseJson accepted invalid JSON');
}

t.test('valid JSON is parsed', async (t) => {
  t.same(parseJson('{"a": [1, "b", null]}', 'config.json'), { a: [1, 'b', null] });
  t.equal(parseJson('  3 \n', 'x'), 3);
});

t.test('a mistake is reported at its line and column, with what was expected', async (t) => {
  const text = '{\n  "ociVersion": "1.2.0",\n  "process": {\n    "args": ["sh"]\n    "cwd": "/"\n  }\n}\n';
  t.equal(errorFor(text), `config.json: invalid JSON at line 5, column 5: expected ',' or '}' after a property value, found "\\""`);
  t.equal(errorFor('{"a": 1}}'), 'config.json: invalid JSON at line 1, column 9: unexpected text after the end of the JSON value');
  t.equal(errorFor('{\n "a": "x\ny"}'), 'config.json: invalid JSON at line 2, column 9: a control character ("\\n") in a string: write it as an escape');
  t.equal(errorFor('{"a": 01}'), `config.json: invalid JSON at line 1, column 8: expected ',' or '}' after a property value, found "1"`);
  t.equal(errorFor('{"a": x, "b": 1}'), 'config.json: invalid JSON at line 1, column 7: unexpected character "x"');
  t.equal(errorFor('{\n  "a": 1,\n  "b": [1, 2,]\n}'), 'config.json: invalid JSON at line 3, column 14: unexpected character "]"', 'a trailing comma');
  t.equal(errorFor('{"a": tru}'), 'config.json: invalid JSON at line 1, column 7: unexpected character "t"');
  t.equal(errorFor("{'a': 1}"), `config.json: invalid JSON at line 1, column 2: expected a property name in double quotes, found "'"`);
  t.equal(errorFor('{"a" 1}'), `config.json: invalid JSON at line 1, column 6: expected ':' after a property name, found "1"`);
  t.equal(errorFor('["\\x"]'), 'config.json: invalid JSON at line 1, column 3: unknown escape \\x in a string');
  t.equal(errorFor('[-]'), 'config.json: invalid JSON at line 1, column 2: a number must have a digit after "-"');
});

t.test('a text that stops early points just after its last character', async (t) => {
  t.equal(errorFor('{\n  "args": ["sh"\n\n'), "config.json: invalid JSON at line 2, column 16: the text ends where ',' or ']' after an array element was expected");
  t.equal(errorFor('{"process": {"args": ["sh"]}\n'), "config.json: invalid JSON at line 1, column 29: the text ends where ',' or '}' after a property value was expected");
  t.equal(errorFor('{"process": {"args": \n'), 'config.json: invalid JSON at line 1, column 21: the text ends too early');
  t.equal(errorFor('{"a": "abc'), 'config.json: invalid JSON at line 1, column 11: a string is not closed');
});

t.test('an empty file says so', async (t) => {
  t.equal(errorFor(''), 'config.json: invalid JSON: the file is empty');
  t.equal(errorFor(' \n'), 'config.json: invalid JSON: the file is empty');
});

t.test('messages stay on one line, even for a bad newline', async (t) => {
  const message = errorFor('{\n  "a": "x\n", "b": 1}');
  t.notMatch(message, /\n/);
});

t.test('the label names the text', async (t) => {
  t.throws(() => parseJson('[', 'state.json'), { message: /^state\.json: invalid JSON at line 1, column 2: / });
});

t.test('the checker agrees with JSON.parse on what is valid', async (t) => {
  const samples = ['{}', '[]', '0', '-0.5e+3', '"a\\u00e9\\n"', 'true', ' null ', '{"a":[{"b":false}]}', '[1,]', '{"a":1,}', '01', '"\t"', '1.', '.5', '+1', '[1 2]', 'nul'];
  for (const sample of samples) {
    let valid = true;
    try {
      JSON.parse(sample);
    } catch {
      valid = false;
    }
    t.equal(findJsonMistake(sample) === undefined, valid, `${JSON.stringify(sample)}: ${valid ? 'valid' : 'invalid'} for both`);
  }
});
