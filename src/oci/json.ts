/**
 * JSON parsing with errors that say where the mistake is, in lines and columns.
 *
 * JSON.parse says what went wrong in words that differ between engines (V8 in Node, JavaScript-
 * Core in Bun), and not always where. So when it fails, a small checker of our own walks the text
 * by the JSON grammar (RFC 8259) to the first mistake, and reports it as an editor would:
 *   config.json: invalid JSON at line 5, column 5: expected ',' or '}' after a property value
 * Valid text never reaches the checker: JSON.parse does the parsing.
 */
import { UserError } from '../errors';

/** A place in a text; both start at 1. */
export interface TextLocation {
  line: number;
  column: number;
}

/**
 * Parse JSON text. A syntax error becomes a one-line UserError naming the line and column.
 * `label` names the text in the message (usually the file name).
 */
export function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    if (text.trim() === '') throw new UserError(`${label}: invalid JSON: the file is empty`);
    const mistake = findJsonMistake(text);
    if (!mistake) throw new UserError(`${label}: invalid JSON: ${err.message}`);
    const { line, column } = locationOf(text, mistake.offset);
    throw new UserError(`${label}: invalid JSON at line ${line}, column ${column}: ${mistake.reason}`);
  }
}

export interface JsonMistake {
  offset: number;
  reason: string;
}

/** The first syntax mistake in `text`, or undefined if it is valid JSON. */
export function findJsonMistake(text: string): JsonMistake | undefined {
  try {
    new Checker(text).document();
    return undefined;
  } catch (err) {
    if (err instanceof Mistake) return { offset: err.offset, reason: err.message };
    throw err;
  }
}

class Mistake extends Error {
  constructor(readonly offset: number, reason: string) {
    super(reason);
  }
}

/** A recursive-descent walk of the JSON grammar that only looks for the first mistake. */
class Checker {
  private i = 0;

  constructor(private readonly text: string) {}

  document(): void {
    this.value();
    this.space();
    if (this.i < this.text.length) this.fail('unexpected text after the end of the JSON value');
  }

  private value(): void {
    this.space();
    const c = this.text[this.i];
    if (c === '{') this.object();
    else if (c === '[') this.array();
    else if (c === '"') this.string();
    else if (c === '-' || (c >= '0' && c <= '9')) this.number();
    else if (c === 't' || c === 'f' || c === 'n') this.literal();
    else this.unexpected();
  }

  private object(): void {
    this.i++; // {
    this.space();
    if (this.text[this.i] === '}') return void this.i++;
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.unexpected('a property name in double quotes');
      this.string();
      this.space();
      if (this.text[this.i] !== ':') this.unexpected("':' after a property name");
      this.i++;
      this.value();
      this.space();
      const c = this.text[this.i];
      if (c === '}') return void this.i++;
      if (c !== ',') this.unexpected("',' or '}' after a property value");
      this.i++;
    }
  }

  private array(): void {
    this.i++; // [
    this.space();
    if (this.text[this.i] === ']') return void this.i++;
    for (;;) {
      this.value();
      this.space();
      const c = this.text[this.i];
      if (c === ']') return void this.i++;
      if (c !== ',') this.unexpected("',' or ']' after an array element");
      this.i++;
    }
  }

  private string(): void {
    this.i++; // "
    for (;;) {
      const c = this.text[this.i];
      if (c === undefined) this.fail('a string is not closed');
      if (c === '"') return void this.i++;
      if (c < ' ') this.fail(`a control character (${JSON.stringify(c)}) in a string: write it as an escape`);
      if (c === '\\') {
        const e = this.text[this.i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(this.text.slice(this.i + 2, this.i + 6))) this.fail('\\u must be followed by 4 hex digits');
          this.i += 6;
          continue;
        }
        if (e === undefined || !'"\\/bfnrt'.includes(e)) this.fail(`unknown escape \\${e ?? ''} in a string`);
        this.i += 2;
        continue;
      }
      this.i++;
    }
  }

  private number(): void {
    const match = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
    match.lastIndex = this.i;
    if (!match.exec(this.text)) this.fail('a number must have a digit after "-"');
    this.i = match.lastIndex;
  }

  private literal(): void {
    for (const word of ['true', 'false', 'null']) {
      if (this.text.startsWith(word, this.i)) return void (this.i += word.length);
    }
    this.unexpected();
  }

  private space(): void {
    while (' \t\n\r'.includes(this.text[this.i]) && this.i < this.text.length) this.i++;
  }

  /** The character here is not what the grammar allows: say what was expected, if we know. */
  private unexpected(expected?: string): never {
    const c = this.text[this.i];
    if (c === undefined) this.fail(expected ? `the text ends where ${expected} was expected` : 'the text ends too early');
    const found = `unexpected character ${JSON.stringify(c)}`;
    this.fail(expected ? `expected ${expected}, found ${JSON.stringify(c)}` : found);
  }

  private fail(reason: string): never {
    // A text that stops early is reported just after its last character, not on blank lines.
    const offset = Math.min(this.i, this.text.trimEnd().length);
    throw new Mistake(offset, reason);
  }
}

/** Turn an offset into a line and a column. */
function locationOf(text: string, offset: number): TextLocation {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}
