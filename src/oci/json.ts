/**
 * JSON parsing with errors that say where the mistake is, in lines and columns.
 *
 * JSON.parse only says what went wrong, in one of a few shapes that depend on the V8 version:
 *   Node 20: "Expected ',' or '}' after property value in JSON at position 42"
 *            "Unexpected token 'x', ..."a": x, "b"... is not valid JSON"   (no position at all)
 *            "Unexpected end of JSON input"
 *   Node 22: "... in JSON at position 42 (line 3 column 5)"
 * This module finds the place from any of them and reports it the way an editor would.
 */
import { UserError } from '../errors';

/** A place in a text; both start at 1. */
export interface TextLocation {
  line: number;
  column: number;
}

/**
 * Parse JSON text. A syntax error becomes a UserError like
 * `config.json: invalid JSON at line 3, column 5: expected ',' or '}' after property value`.
 * `label` names the text in the message (usually the file name).
 */
export function parseJson(text: string, label: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
    if (text.trim() === '') throw new UserError(`${label}: invalid JSON: the file is empty`);
    const location = locateJsonError(err.message, text);
    const where = location ? ` at line ${location.line}, column ${location.column}` : '';
    throw new UserError(`${label}: invalid JSON${where}: ${jsonErrorReason(err.message)}`);
  }
}

/** Where in `text` JSON.parse failed, worked out from its error message; undefined if unknown. */
export function locateJsonError(message: string, text: string): TextLocation | undefined {
  // Newer V8 gives the line and column itself: "... at position 42 (line 3 column 5)".
  const given = /\(line (\d+) column (\d+)\)/.exec(message);
  if (given) return { line: Number(given[1]), column: Number(given[2]) };
  const offset = errorOffset(message, text);
  if (offset === undefined) return undefined;
  // At the end of the text, point just after its last character, not at trailing blank lines.
  return locationOf(text, Math.min(offset, text.trimEnd().length));
}

/** How many characters V8 shows on each side of a bad token (kMaxContextCharacters). */
const CONTEXT_CHARACTERS = 10;

/** The offset of the error in `text` (in UTF-16 code units, as V8 counts), or undefined. */
function errorOffset(message: string, text: string): number | undefined {
  // "Expected ':' after property name in JSON at position 42"
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);

  // "Unexpected end of JSON input": the text stops too early.
  if (message.startsWith('Unexpected end of JSON input')) return text.length;

  // "Unexpected token 'x', <context> is not valid JSON" has no position, but <context> is the
  // text cut to 10 characters either side of the bad one, with "..." where it was cut
  // (V8's json-parser.cc, GetErrorMessageWithEllipses). The cuts tell us where it is.
  const token = unexpectedToken(message);
  if (!token) return undefined;
  const { context, cutBefore, cutAfter } = token;
  if (!cutBefore && cutAfter) return context.length - CONTEXT_CHARACTERS; // near the start
  if (cutBefore && !cutAfter) return text.length - context.length + CONTEXT_CHARACTERS; // near the end
  if (cutBefore && cutAfter) {
    // In the middle: the first place the context appears (a repeated context is a rare guess).
    const contextStart = text.indexOf(context);
    return contextStart < 0 ? undefined : contextStart + CONTEXT_CHARACTERS;
  }
  // A text under 21 characters is shown whole, which does not say where: no location.
  return undefined;
}

/** The parts of an "Unexpected token" message, or undefined for other messages. */
function unexpectedToken(message: string) {
  const match = /^Unexpected token '([\s\S])', (\.\.\.)?"([\s\S]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!match) return undefined;
  return { bad: match[1], cutBefore: match[2] !== undefined, context: match[3], cutAfter: match[4] !== undefined };
}

/** Turn an offset into a line and a column. */
function locationOf(text: string, offset: number): TextLocation {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** V8's message without the position and the quoted text: what went wrong, on one line. */
function jsonErrorReason(message: string): string {
  const token = unexpectedToken(message);
  if (token) return `unexpected character ${JSON.stringify(token.bad)}`;
  const reason = message
    .replace(/ at position \d+.*$/s, '')
    .replace(/ in JSON$/, '')
    .replace(/\s+/g, ' ')
    .trim();
  return reason.charAt(0).toLowerCase() + reason.slice(1);
}
