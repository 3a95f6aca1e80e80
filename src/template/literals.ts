/**
 * Go literal syntax for strings and numbers. Each reader starts at the literal's first
 * character and returns the decoded value plus the offset just past it.
 */
import { quoteSource, TemplateSyntaxError } from "./errors.js";

export interface Scanned<T> {
  readonly value: T;
  readonly end: number;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
};

/** Hex digits each escape takes: `\xHH`, `\uHHHH`, `\UHHHHHHHH`. */
const HEX_ESCAPES: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

/** Reads `"..."` with Go's escapes. Like Go, a quoted string cannot span lines. */
export function scanQuoted(source: string, start: number): Scanned<string> {
  let value = "";
  let pos = start + 1;
  for (;;) {
    const ch = source[pos];
    if (ch === undefined || ch === "\n") {
      throw new TemplateSyntaxError("unterminated quoted string", start);
    }
    if (ch === '"') return { value, end: pos + 1 };
    if (ch !== "\\") {
      // Copy a whole run of plain characters at once: long literals stay linear.
      let next = pos + 1;
      while (next < source.length && !'"\\\n'.includes(source[next] ?? "")) next++;
      value += source.slice(pos, next);
      pos = next;
      continue;
    }
    const decoded = scanEscape(source, pos);
    value += decoded.value;
    pos = decoded.end;
  }
}

function scanEscape(source: string, backslash: number): Scanned<string> {
  const kind = source[backslash + 1] ?? "";
  const simple = Object.hasOwn(SIMPLE_ESCAPES, kind) ? SIMPLE_ESCAPES[kind] : undefined;
  if (simple !== undefined) return { value: simple, end: backslash + 2 };
  const hexDigits = Object.hasOwn(HEX_ESCAPES, kind) ? HEX_ESCAPES[kind] : undefined;
  if (hexDigits !== undefined) {
    const window = source.slice(backslash + 2, backslash + 2 + hexDigits);
    const digits = /^[0-9a-fA-F]*/.exec(window)?.[0] ?? "";
    if (digits.length !== hexDigits) {
      throw new TemplateSyntaxError(`invalid escape sequence "\\${kind}${digits}"`, backslash);
    }
    const code = Number.parseInt(digits, 16);
    // Go rejects surrogate halves and values beyond Unicode; so do we.
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) {
      throw new TemplateSyntaxError(`invalid code point in "\\${kind}${digits}"`, backslash);
    }
    return { value: String.fromCodePoint(code), end: backslash + 2 + hexDigits };
  }
  const octal = source.slice(backslash + 1, backslash + 4);
  if (/^[0-3][0-7]{2}$/.test(octal)) {
    return { value: String.fromCharCode(Number.parseInt(octal, 8)), end: backslash + 4 };
  }
  const shown = kind === "" || kind === "\n" ? "" : kind;
  throw new TemplateSyntaxError(`unknown escape sequence "\\${shown}"`, backslash);
}

/** Reads `` `...` ``: no escapes, may span lines; carriage returns are dropped as in Go. */
export function scanRaw(source: string, start: number): Scanned<string> {
  const close = source.indexOf("`", start + 1);
  if (close === -1) throw new TemplateSyntaxError("unterminated raw quoted string", start);
  return { value: source.slice(start + 1, close).replaceAll("\r", ""), end: close + 1 };
}

const DECIMAL = /^(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const RADIX = /^0(?:[xX][0-9a-fA-F]+|[oO][0-7]+|[bB][01]+)$/;

/** Whether `source[pos]` can start a number: a digit, `.5`, `-3`, `+.5`. */
export function startsNumber(source: string, pos: number): boolean {
  let at = pos;
  if (source[at] === "+" || source[at] === "-") at++;
  if (source[at] === ".") at++;
  const ch = source[at];
  return ch !== undefined && ch >= "0" && ch <= "9";
}

/**
 * Reads a number. Like Go's lexer it first takes the whole alphanumeric run, so `12abc`
 * or `1.2.3` is one bad number rather than a number followed by something else.
 */
export function scanNumber(source: string, start: number): Scanned<number> {
  let end = start;
  if (source[end] === "+" || source[end] === "-") end++;
  while (end < source.length) {
    const ch = source[end] ?? "";
    const afterExponent = /[eEpP]/.test(source[end - 1] ?? "") && (ch === "+" || ch === "-");
    if (!/[0-9A-Za-z_.]/.test(ch) && !afterExponent) break;
    end++;
  }
  const text = source.slice(start, end);
  const negative = text.startsWith("-");
  const body = /^[+-]/.test(text) ? text.slice(1) : text;
  if (!DECIMAL.test(body) && !RADIX.test(body)) {
    throw new TemplateSyntaxError(`bad number syntax: ${quoteSource(text)}`, start);
  }
  // Go reads 010 as octal 8; refusing leading zeros keeps the meaning unambiguous.
  if (/^0\d/.test(body)) {
    throw new TemplateSyntaxError(`bad number syntax: ${quoteSource(text)} (leading zero)`, start);
  }
  const magnitude = Number(body);
  if (!Number.isFinite(magnitude)) {
    throw new TemplateSyntaxError(`number out of range: ${quoteSource(text)}`, start);
  }
  return { value: negative ? -magnitude : magnitude, end };
}
