/**
 * Value trees from workflow YAML (step inputs, outputs) in which every string leaf may be a
 * template. Keys are never templates. Errors carry the path to the faulty leaf.
 */
import {
  type TemplateCall,
  type TemplateReference,
  templateCalls,
  templateReferences,
} from "./analysis.js";
import { TemplateEvalError, TemplateSyntaxError, type ValuePath } from "./errors.js";
import {
  type EvalOptions,
  evaluateTemplate,
  isTemplate,
  type ParseOptions,
  parseTemplate,
  type Template,
} from "./template.js";
import { isPlainObject } from "./values.js";

type ValueNode =
  | { readonly kind: "constant"; readonly value: unknown }
  | { readonly kind: "template"; readonly template: Template }
  | { readonly kind: "array"; readonly items: readonly ValueNode[] }
  | { readonly kind: "object"; readonly entries: readonly (readonly [string, ValueNode])[] };

/** A compiled value tree. Only `source` is public; `root` belongs to this module. */
export interface CompiledValue {
  /** The tree as given to {@link compileValue}. */
  readonly source: unknown;
  /** @internal */
  readonly root: ValueNode;
}

/** Where in the tree a reference or call was found: keys and indices. */
export interface Located {
  readonly at: ValuePath;
}

/**
 * Compiles every string leaf. On a syntax error throws a TemplateSyntaxError whose `path`
 * leads to the faulty leaf and whose `offset` is within that string.
 */
export function compileValue(value: unknown, options: ParseOptions = {}): CompiledValue {
  try {
    return { source: value, root: compile(value, options, [], new Set()) };
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new TemplateSyntaxError(`cannot compile value: ${message}`, 0, { cause: error });
  }
}

function compile(
  value: unknown,
  options: ParseOptions,
  path: (string | number)[],
  ancestors: Set<object>,
): ValueNode {
  if (typeof value === "string") {
    if (!isTemplate(value)) return { kind: "constant", value };
    try {
      return { kind: "template", template: parseTemplate(value, options) };
    } catch (error) {
      if (!(error instanceof TemplateSyntaxError)) throw error;
      throw new TemplateSyntaxError(error.reason, error.offset, { path: [...path], cause: error });
    }
  }
  if (!Array.isArray(value) && !isPlainObject(value)) return { kind: "constant", value };
  if (ancestors.has(value)) {
    throw new TemplateSyntaxError("the value contains itself", 0, { path: [...path] });
  }
  ancestors.add(value);
  const child = (key: string | number, item: unknown): ValueNode => {
    path.push(key);
    const node = compile(item, options, path, ancestors);
    path.pop();
    return node;
  };
  const node: ValueNode = Array.isArray(value)
    ? { kind: "array", items: Array.from(value, (item: unknown, i) => child(i, item)) }
    : { kind: "object", entries: Object.entries(value).map(([k, v]) => [k, child(k, v)] as const) };
  ancestors.delete(value);
  return node;
}

/** Evaluates every template in the tree; failures carry the path to the failing leaf. */
export function evaluateValue(
  value: CompiledValue,
  scope: Readonly<Record<string, unknown>>,
  options: EvalOptions = {},
): unknown {
  const path: (string | number)[] = [];
  const run = (node: ValueNode): unknown => {
    switch (node.kind) {
      case "constant":
        return node.value;
      case "template":
        try {
          return evaluateTemplate(node.template, scope, options);
        } catch (error) {
          const reason = error instanceof TemplateEvalError ? error.reason : String(error);
          const offset = error instanceof TemplateEvalError ? error.offset : 0;
          throw new TemplateEvalError(reason, offset, { path: [...path], cause: error });
        }
      case "array":
        return node.items.map((item, i) => within(i, () => run(item)));
      case "object":
        // fromEntries defines properties, so a "__proto__" key stays an ordinary key.
        return Object.fromEntries(node.entries.map(([k, v]) => [k, within(k, () => run(v))]));
    }
  };
  const within = (key: string | number, evaluate: () => unknown): unknown => {
    path.push(key);
    const result = evaluate();
    path.pop();
    return result;
  };
  return run(value.root);
}

/** Every root-scope field chain in the tree, with the path of the string it is in. */
export function valueReferences(value: CompiledValue): readonly (TemplateReference & Located)[] {
  return collect(value.root, [], (template, at) =>
    templateReferences(template).map((reference) => ({ ...reference, at })),
  );
}

/** Every function call in the tree, with the path of the string it is in. */
export function valueCalls(value: CompiledValue): readonly (TemplateCall & Located)[] {
  return collect(value.root, [], (template, at) =>
    templateCalls(template).map((call) => ({ ...call, at })),
  );
}

function collect<T>(
  node: ValueNode,
  at: readonly (string | number)[],
  visit: (template: Template, at: ValuePath) => readonly T[],
): T[] {
  switch (node.kind) {
    case "constant":
      return [];
    case "template":
      return [...visit(node.template, at)];
    case "array":
      return node.items.flatMap((item, i) => collect(item, [...at, i], visit));
    case "object":
      return node.entries.flatMap(([key, item]) => collect(item, [...at, key], visit));
  }
}
