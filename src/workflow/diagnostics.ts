import type { Document, LineCounter, Node } from "yaml";
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
      return this.at(start + scalarLead(node) + options.innerOffset, message);
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
