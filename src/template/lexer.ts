/**
 * Splits the inside of one action into tokens. The closing `}}` is only recognised between
 * tokens, so a string literal may contain `}}`, exactly as in Go.
 */
import type { LiteralValue } from "./ast.js";
import { quoteSource, TemplateSyntaxError } from "./errors.js";
import { scanNumber, scanQuoted, scanRaw, startsNumber } from "./literals.js";

interface TokenBase {
  readonly offset: number;
  readonly end: number;
  /** Whether whitespace precedes the token: Go separates arguments by spaces. */
  readonly spaced: boolean;
}

export type Token = TokenBase &
  (
    | { readonly kind: "field"; readonly path: readonly string[] }
    | { readonly kind: "dot" }
    | { readonly kind: "literal"; readonly value: LiteralValue }
    | { readonly kind: "ident"; readonly name: string }
    | { readonly kind: "pipe" | "lparen" | "rparen" | "end" }
  );

export interface LexedAction {
  /** The tokens, always ending with an `end` token for the closing delimiter. */
  readonly tokens: readonly Token[];
  /** Offset just past the closing delimiter. */
  readonly next: number;
  /** Whether the action closed with ` -}}`, trimming the whitespace after it. */
  readonly trimRight: boolean;
}

/** Go's space characters: the only ones that separate tokens and that trim markers remove. */
export function isSpace(ch: string | undefined): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

const IDENT = /[\p{L}_][\p{L}\p{Nd}_]*/uy;
const KEYWORDS: ReadonlyMap<string, LiteralValue> = new Map([
  ["true", true],
  ["false", false],
  ["nil", null],
]);

function identAt(source: string, pos: number): string | undefined {
  IDENT.lastIndex = pos;
  return IDENT.exec(source)?.[0];
}

/**
 * Tokenises from `start` (just inside `{{` or `{{-`) to the closing delimiter.
 * `open` is the offset of the `{{`, reported when the action never closes.
 */
export function lexAction(source: string, open: number, start: number): LexedAction {
  const tokens: Token[] = [];
  let pos = start;
  for (;;) {
    const gap = pos;
    while (isSpace(source[pos])) pos++;
    const spaced = pos > gap;
    if (pos >= source.length) throw new TemplateSyntaxError("unclosed action", open);
    if (source.startsWith("}}", pos)) {
      tokens.push({ kind: "end", offset: pos, end: pos + 2, spaced });
      return { tokens, next: pos + 2, trimRight: false };
    }
    if (spaced && source.startsWith("-}}", pos)) {
      tokens.push({ kind: "end", offset: pos, end: pos + 3, spaced });
      return { tokens, next: pos + 3, trimRight: true };
    }
    const token = lexToken(source, pos, spaced);
    tokens.push(token);
    pos = token.end;
  }
}

function lexToken(source: string, pos: number, spaced: boolean): Token {
  const ch = source[pos] ?? "";
  const base = { offset: pos, spaced };
  switch (ch) {
    case "|":
      return { ...base, kind: "pipe", end: pos + 1 };
    case "(":
      return { ...base, kind: "lparen", end: pos + 1 };
    case ")":
      return { ...base, kind: "rparen", end: pos + 1 };
    case '"': {
      const { value, end } = scanQuoted(source, pos);
      return { ...base, kind: "literal", value, end };
    }
    case "`": {
      const { value, end } = scanRaw(source, pos);
      return { ...base, kind: "literal", value, end };
    }
    case ".":
      if (startsNumber(source, pos)) break;
      return identAt(source, pos + 1) === undefined
        ? { ...base, kind: "dot", end: pos + 1 }
        : lexField(source, pos, spaced);
  }
  if (startsNumber(source, pos)) {
    const { value, end } = scanNumber(source, pos);
    return { ...base, kind: "literal", value, end };
  }
  const name = identAt(source, pos);
  if (name !== undefined) {
    const end = pos + name.length;
    const keyword = KEYWORDS.get(name);
    return keyword === undefined
      ? { ...base, kind: "ident", name, end }
      : { ...base, kind: "literal", value: keyword, end };
  }
  throw new TemplateSyntaxError(unexpectedCharacter(source, pos), pos);
}

/** `.a.b.c` as one token; a dot that is not followed by a name is a mistake, not a new `.`. */
function lexField(source: string, start: number, spaced: boolean): Token {
  const path: string[] = [];
  let pos = start;
  while (source[pos] === ".") {
    const name = identAt(source, pos + 1);
    if (name === undefined) {
      throw new TemplateSyntaxError('expected a field name after "."', pos);
    }
    path.push(name);
    pos += 1 + name.length;
  }
  return { kind: "field", path, offset: start, end: pos, spaced };
}

function unexpectedCharacter(source: string, pos: number): string {
  const ch = String.fromCodePoint(source.codePointAt(pos) ?? 0);
  if (ch === "$") return 'variables ("$") are not supported';
  if (ch === "-" && source.startsWith("-}}", pos)) {
    return 'unexpected "-": a trim marker needs a space before it (" -}}")';
  }
  if (ch === "-" && source.startsWith("{{", pos - 2)) {
    return 'unexpected "-": a trim marker needs a space after it ("{{- ")';
  }
  if (ch === "-" && /[\p{L}\p{Nd}_]/u.test(source[pos - 1] ?? "")) {
    return 'unexpected "-": names cannot contain "-" (read such keys with index . "a-b")';
  }
  if (ch === "}") return 'unexpected "}": actions close with "}}"';
  return `unexpected character ${quoteSource(ch)}`;
}
