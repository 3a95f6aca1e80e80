/**
 * Cuts a template into literal text and actions, dropping comments and applying Go's trim
 * markers: `{{- ` removes the whitespace before the action, ` -}}` the whitespace after it.
 */
import { TemplateSyntaxError } from "./errors.js";
import { isSpace, lexAction, type Token } from "./lexer.js";

export type Segment =
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "action"; readonly offset: number; readonly tokens: readonly Token[] };

interface Closed {
  readonly next: number;
  readonly trimRight: boolean;
}

export function scanTemplate(source: string): Segment[] {
  const segments: Segment[] = [];
  let pos = 0;
  let trimNext = false;
  for (;;) {
    const open = source.indexOf("{{", pos);
    let text = source.slice(pos, open === -1 ? source.length : open);
    if (trimNext) text = trimStart(text);
    if (open === -1) {
      if (text !== "") segments.push({ kind: "text", text });
      return segments;
    }
    // Like Go, the marker needs the space: `{{-3}}` is the number -3, not a trim.
    const trimLeft = source[open + 2] === "-" && isSpace(source[open + 3]);
    if (trimLeft) text = trimEnd(text);
    if (text !== "") segments.push({ kind: "text", text });
    const inside = open + (trimLeft ? 3 : 2);
    const comment = scanComment(source, inside);
    if (comment) {
      ({ next: pos, trimRight: trimNext } = comment);
      continue;
    }
    const action = lexAction(source, open, inside);
    segments.push({ kind: "action", offset: open, tokens: action.tokens });
    ({ next: pos, trimRight: trimNext } = action);
  }
}

/** `{{/* ... *\/}}`, returning undefined when the action is not a comment. */
function scanComment(source: string, inside: number): Closed | undefined {
  let pos = inside;
  while (isSpace(source[pos])) pos++;
  if (!source.startsWith("/*", pos)) return undefined;
  const close = source.indexOf("*/", pos + 2);
  if (close === -1) throw new TemplateSyntaxError("unclosed comment", pos);
  let after = close + 2;
  while (isSpace(source[after])) after++;
  if (source.startsWith("}}", after)) return { next: after + 2, trimRight: false };
  if (after > close + 2 && source.startsWith("-}}", after)) {
    return { next: after + 3, trimRight: true };
  }
  throw new TemplateSyntaxError("comment ends before closing delimiter", after);
}

// Loops rather than regular expressions: /\s+$/ backtracks quadratically on long runs.
function trimStart(text: string): string {
  let start = 0;
  while (isSpace(text[start])) start++;
  return text.slice(start);
}

function trimEnd(text: string): string {
  let end = text.length;
  while (end > 0 && isSpace(text[end - 1])) end--;
  return text.slice(0, end);
}
