import type { Document, LineCounter, Node, Scalar } from "yaml";
import { isMap, isNode, isPair, isScalar, isSeq } from "yaml";

/** One problem in a workflow file, with its place. Lines and columns are 1-based. */
export interface Diagnostic {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.message}`;
}

export type YamlPath = readonly (string | number)[];

/**
 * Finds places in the YAML source: the node at a path, a mapping's key, or an offset
 * inside a scalar (for template errors). Falls back to the nearest existing parent so that
 * every message gets a position.
 */
export class SourceMap {
  constructor(
    private readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
    /** The YAML text, to place offsets inside quoted, escaped or multi-line scalars. */
    private readonly text = "",
  ) {}

  at(offset: number, message: string): Diagnostic {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col, message };
  }

  /** The value at `path` (or its nearest parent); with `key`, that mapping key itself. */
  node(
    path: YamlPath,
    message: string,
    options: { key?: string; innerOffset?: number } = {},
  ): Diagnostic {
    const { node, exact } = this.find(path);
    if (options.key !== undefined && isMap(node) && exact) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === options.key);
      if (pair && isNode(pair.key) && pair.key.range) return this.at(pair.key.range[0], message);
    }
    // An error about a value's key (e.g. a missing field) points at the mapping's start.
    const start = node?.range?.[0] ?? 0;
    if (options.innerOffset !== undefined && exact && isScalar(node)) {
      return this.at(start + this.offsetInScalar(node, options.innerOffset), message);
    }
    return this.at(start, message);
  }

  /** The key of the pair holding `path` — for messages about a field as a whole. */
  key(path: YamlPath, message: string): Diagnostic {
    if (path.length === 0) return this.node(path, message);
    const parentPath = path.slice(0, -1);
    const last = path[path.length - 1];
    if (typeof last === "string") return this.node(parentPath, message, { key: last });
    return this.node(path, message);
  }

  /** The scalar at `path` as written, before YAML read it as a number or boolean: `1.0`. */
  written(path: YamlPath): string | undefined {
    const { node, exact } = this.find(path);
    const source = exact && isScalar(node) ? (node as { source?: unknown }).source : undefined;
    return typeof source === "string" ? source : undefined;
  }

  /**
   * Where the value's character at `index` is written, from the scalar's start. Quotes,
   * escapes (`\"`, `''`, `\u00e9`), folded line breaks and block indentation make the two
   * differ; if the decoding does not reproduce the value, assume one character per character.
   */
  private offsetInScalar(node: Scalar, index: number): number {
    const naive = scalarLead(node) + index;
    if (!node.range || typeof node.value !== "string") return naive;
    const src = this.text.slice(node.range[0], node.range[1]);
    const decoded = decodeScalar(src, node.type, node.value);
    const prefix = index + 1;
    if (!decoded || decoded.value.slice(0, prefix) !== node.value.slice(0, prefix)) return naive;
    return decoded.from[index] ?? naive;
  }

  private find(path: YamlPath): { node: Node | undefined; exact: boolean } {
    let current: unknown = this.doc.contents;
    for (const segment of path) {
      let next: unknown;
      if (isMap(current)) {
        const pair = current.items.find(
          (p) => isPair(p) && isScalar(p.key) && p.key.value === segment,
        );
        next = pair?.value;
      } else if (isSeq(current) && typeof segment === "number") {
        next = current.items[segment];
      }
      if (!isNode(next)) return { node: current as Node | undefined, exact: false };
      current = next;
    }
    return { node: current as Node, exact: true };
  }
}

/** Characters before a scalar's value starts in the source (its opening quote). */
function scalarLead(node: { type?: string | undefined }): number {
  return node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE" ? 1 : 0;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\x85",
  _: "\xa0",
  L: "\u2028",
  P: "\u2029",
};
const HEX_WIDTH: Readonly<Record<string, number>> = { x: 2, u: 4, U: 8 };

interface Decoded {
  readonly value: string;
  /** For each value character, and one past the end, its offset in the source. */
  readonly from: number[];
}

/** Collects decoded text with the source offset of each character. */
function recorder() {
  const result = { value: "", from: [] as number[] };
  /** Adds value text: copied from `at` on (step 1), or decoded from the escape at `at` (0). */
  const emit = (text: string, at: number, step = 1) => {
    result.value += text;
    for (let k = 0; k < text.length; k++) result.from.push(at + k * step);
  };
  return { result, emit };
}

interface Line {
  readonly start: number;
  readonly text: string;
}

/** A block scalar's lines at a given content indentation (literal `|` or folded `>`). */
function blockLines(lines: readonly Line[], folded: boolean, indent: number, end: number) {
  const { result, emit } = recorder();
  const isEmpty = (l: Line) => l.text.length <= indent && /^ *$/.test(l.text);
  const isNormal = (l: Line) => !isEmpty(l) && !/^[ \t]/.test(l.text.slice(indent));
  // For each line, the next one that is not empty.
  const following: (Line | undefined)[] = [];
  let next: Line | undefined;
  for (let i = lines.length - 1; i >= 0; i--) {
    following[i] = next;
    const line = lines[i] as Line;
    if (!isEmpty(line)) next = line;
  }
  lines.forEach((line, i) => {
    emit(line.text.slice(indent), line.start + Math.min(indent, line.text.length));
    const after = lines[i + 1];
    if (after === undefined) return;
    const at = line.start + line.text.length;
    const nextText = following[i];
    // Folding joins two normal lines with a space, or drops the break before empty lines
    // (which give one line break each); every other break is kept.
    if (!folded || !isNormal(line) || nextText === undefined || !isNormal(nextText)) emit("\n", at);
    else if (!isEmpty(after)) emit(" ", at);
  });
  result.from.push(end);
  return result;
}

function decodeBlock(src: string, folded: boolean, value: string): Decoded | undefined {
  const headerEnd = src.indexOf("\n");
  if (headerEnd < 0) return undefined;
  const lines: Line[] = [];
  let start = headerEnd + 1;
  for (const text of src.slice(start).split("\n")) {
    lines.push({ start, text });
    start += text.length + 1;
  }
  const first = lines.find((l) => !/^ *$/.test(l.text));
  const detected = first ? (/^ */.exec(first.text)?.[0].length ?? 0) : 0;
  if (!/\d/.test(src.slice(0, headerEnd))) return blockLines(lines, folded, detected, src.length);
  // An indentation indicator (`|2`) counts from the parent's indentation, unknown here:
  // take the indentation that reproduces the value.
  const body = value.replace(/\n+$/, "");
  for (let indent = detected; indent >= 0; indent--) {
    const decoded = blockLines(lines, folded, indent, src.length);
    if (decoded.value.startsWith(body)) return decoded;
  }
  return undefined;
}

/**
 * Decodes a scalar's source text as YAML does, recording for each value character (and
 * one past the end) its offset in `src`. Returns undefined for forms it does not follow.
 * `value`, the scalar's value, settles a block scalar's explicit indentation (`|2`).
 */
export function decodeScalar(
  src: string,
  type: string | undefined,
  value = "",
): Decoded | undefined {
  if (type === "BLOCK_LITERAL" || type === "BLOCK_FOLDED") {
    return decodeBlock(src, type === "BLOCK_FOLDED", value);
  }
  const { result, emit } = recorder();
  const quote = type === "QUOTE_DOUBLE" ? '"' : type === "QUOTE_SINGLE" ? "'" : "";
  if (quote !== "" && (src.length < 2 || !src.endsWith(quote))) return undefined;
  const end = quote === "" ? src.length : src.length - 1;
  let pending: [string, number][] = [];
  let i = quote === "" ? 0 : 1;
  while (i < end) {
    const c = src[i] as string;
    if (c === "\n" || c === "\r") {
      // Trailing blanks are dropped; one line break folds to a space, n breaks to n-1 newlines.
      pending = [];
      const at = i;
      let breaks = 0;
      while (i < end && /[ \t\r\n]/.test(src[i] as string)) {
        if (src[i] === "\n") breaks++;
        i++;
      }
      emit(breaks <= 1 ? " " : "\n".repeat(breaks - 1), at, 0);
      continue;
    }
    if (c === " " || c === "\t") {
      pending.push([c, i]);
      i++;
      continue;
    }
    for (const [blank, at] of pending) emit(blank, at);
    pending = [];
    if (quote === '"' && c === "\\") {
      const next = src[i + 1] ?? "";
      if (next === "\n" || next === "\r") {
        // An escaped line break joins the lines without a space.
        i += next === "\r" && src[i + 2] === "\n" ? 3 : 2;
        while (i < end && (src[i] === " " || src[i] === "\t")) i++;
        continue;
      }
      const hex = HEX_WIDTH[next];
      if (hex !== undefined) {
        const code = Number.parseInt(src.slice(i + 2, i + 2 + hex), 16);
        if (!/^[0-9A-Fa-f]+$/.test(src.slice(i + 2, i + 2 + hex)) || code > 0x10ffff)
          return undefined;
        emit(String.fromCodePoint(code), i, 0);
        i += 2 + hex;
        continue;
      }
      const simple = SIMPLE_ESCAPES[next];
      if (simple === undefined) return undefined;
      emit(simple, i, 0);
      i += 2;
      continue;
    }
    if (quote === "'" && c === "'" && src[i + 1] === "'") {
      emit("'", i);
      i += 2;
      continue;
    }
    emit(c, i);
    i++;
  }
  for (const [blank, at] of pending) emit(blank, at);
  result.from.push(end);
  return result;
}
