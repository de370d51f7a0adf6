import t from 'tap';
import { parseJson, locateJsonError } from '../../src/oci/json';
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

t.test('"at position N" errors are turned into line and column', async (t) => {
  const text = '{\n  "ociVersion": "1.2.0",\n  "process": {\n    "args": ["sh"]\n    "cwd": "/"\n  }\n}\n';
  t.equal(errorFor(text), "config.json: invalid JSON at line 5, column 5: expected ',' or '}' after property value");
  t.equal(errorFor('{"a": 1}}'), 'config.json: invalid JSON at line 1, column 9: unexpected non-whitespace character after JSON');
  t.equal(errorFor('{\n "a": "x\ny"}'), 'config.json: invalid JSON at line 2, column 9: bad control character in string literal');
  t.equal(errorFor('{"a": 01}'), 'config.json: invalid JSON at line 1, column 8: unexpected number');
});

t.test('"Unexpected token" errors, which give no position, are located from their context', async (t) => {
  // Near the start of a long text: the context is cut after the bad character.
  t.equal(errorFor('{"a": x, "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb": 1}'), 'config.json: invalid JSON at line 1, column 7: unexpected character "x"');
  // In the middle: cut on both sides.
  t.equal(errorFor('{\n  "a": 1,\n  "b": x, "c": 3333333333333}'), 'config.json: invalid JSON at line 3, column 8: unexpected character "x"');
  // Near the end: cut before it.
  t.equal(errorFor('{\n  "a": 1,\n  "b": [1, 2,]\n}'), 'config.json: invalid JSON at line 3, column 14: unexpected character "]"');
  // A text under 21 characters is shown whole: that does not say where, so no location.
  t.equal(errorFor('{"a": tru}'), 'config.json: invalid JSON: unexpected character "}"');
});

t.test('a text that stops early points just after its last character', async (t) => {
  t.equal(errorFor('{\n  "args": ["sh"\n\n'), "config.json: invalid JSON at line 2, column 16: expected ',' or ']' after array element");
  t.equal(errorFor('{"process": {"args": ["sh"]}\n'), "config.json: invalid JSON at line 1, column 29: expected ',' or '}' after property value");
  t.equal(errorFor('{"process": {"args": \n'), 'config.json: invalid JSON at line 1, column 21: unexpected end of JSON input');
});

t.test('an empty file says so', async (t) => {
  t.equal(errorFor(''), 'config.json: invalid JSON: the file is empty');
  t.equal(errorFor(' \n'), 'config.json: invalid JSON: the file is empty');
});

t.test('messages stay on one line, even for a bad newline', async (t) => {
  const message = errorFor('{\n  "a": tru\n, "bbbbbbbbbbbbbbbbbbbbbbbbb": 1}');
  t.notMatch(message, /\n/);
  t.equal(message, 'config.json: invalid JSON at line 2, column 11: unexpected character "\\n"');
});

t.test('the label names the text', async (t) => {
  t.throws(() => parseJson('[', 'state.json'), { message: /^state\.json: invalid JSON at line 1, column 2: / });
});

t.test('newer V8 messages with "(line L column C)" are used as given', async (t) => {
  t.same(locateJsonError("Expected ',' or '}' after property value in JSON at position 42 (line 3 column 5)", 'x'.repeat(50)), { line: 3, column: 5 });
  t.same(locateJsonError('Unexpected end of JSON input', '{\n"a":'), { line: 2, column: 5 });
  t.equal(locateJsonError('"undefined" is not valid JSON', 'undefined'), undefined, 'no location when V8 gives none');
});
