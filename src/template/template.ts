/**
 * Parsing and evaluating a single template string. A template is parsed once, when the
 * workflow is loaded, and evaluated for every run; evaluation never executes code from
 * the template or the scope, only the fixed builtins and the caller's own functions.
 */
import type { ActionNode, TemplateNode } from "./ast.js";
import { TemplateEvalError, TemplateSyntaxError } from "./errors.js";
import { type EvalContext, evaluatePipeline, type TemplateFunction } from "./evaluator.js";
import { isSpace } from "./lexer.js";
import { ActionParser } from "./parser.js";
import { scanTemplate } from "./scanner.js";
import { EvalFailure, MAX_STRING_LENGTH, TOO_LONG, toText } from "./values.js";

/** A parsed template. Only `source` is public; the other fields belong to this module. */
export interface Template {
  readonly source: string;
  /** @internal Literal text and actions in source order; comments are already gone. */
  readonly nodes: readonly TemplateNode[];
  /** @internal The one action whose value keeps its JSON type, when the source is just that. */
  readonly single: ActionNode | undefined;
}

export interface ParseOptions {
  /** Names of functions allowed on top of the builtins, e.g. `secret`. */
  readonly functions?: readonly string[];
}

export interface EvalOptions {
  /** Extra functions: name → implementation taking evaluated args. Builtins take precedence. */
  readonly functions?: Readonly<Record<string, TemplateFunction>>;
  /**
   * Applied to every interpolated value in mixed text (e.g. encodeURIComponent for URL
   * paths). Not applied to literal text, nor to the typed result of a single-action template.
   */
  readonly escape?: (text: string) => string;
}

/** True when the source contains `{{`, i.e. when it may contain actions. */
export function isTemplate(source: string): boolean {
  return source.includes("{{");
}

/** Parses once; throws TemplateSyntaxError with the offset of the fault. */
export function parseTemplate(source: string, options: ParseOptions = {}): Template {
  if (typeof source !== "string") {
    throw new TemplateSyntaxError("a template source must be a string", 0);
  }
  try {
    const extra = new Set(options.functions ?? []);
    const nodes = scanTemplate(source).map((segment): TemplateNode => {
      if (segment.kind === "text") return segment;
      const pipeline = new ActionParser(source, segment.tokens, extra).parse();
      return { kind: "action", pipeline, offset: segment.offset };
    });
    const actions = nodes.filter((node) => node.kind === "action");
    const blank = nodes.every((node) => node.kind === "action" || isBlank(node.text));
    return { source, nodes, single: actions.length === 1 && blank ? actions[0] : undefined };
  } catch (error) {
    if (error instanceof TemplateSyntaxError) throw error;
    throw new TemplateSyntaxError(`internal parser failure: ${messageOf(error)}`, 0, {
      cause: error,
    });
  }
}

/**
 * Evaluates. When the whole source is exactly one action (ignoring surrounding whitespace),
 * the result keeps its JSON type: number, boolean, object, array, null (undefined becomes
 * null). Otherwise the result is a string: strings as-is, numbers/booleans via String(),
 * null/undefined as "", objects/arrays as JSON. Throws only TemplateEvalError.
 */
export function evaluateTemplate(
  template: Template,
  scope: Readonly<Record<string, unknown>>,
  options: EvalOptions = {},
): unknown {
  const context: EvalContext = { scope, functions: options.functions };
  try {
    if (template.single) {
      const single = template.single;
      return guard(single.offset, () => evaluatePipeline(single.pipeline, context) ?? null);
    }
    return render(template.nodes, context, options.escape);
  } catch (error) {
    if (error instanceof TemplateEvalError) throw error;
    throw new TemplateEvalError(`internal evaluator failure: ${messageOf(error)}`, 0, {
      cause: error,
    });
  }
}

function render(
  nodes: readonly TemplateNode[],
  context: EvalContext,
  escapeText: ((text: string) => string) | undefined,
): string {
  let out = "";
  let offset = 0;
  for (const node of nodes) {
    if (node.kind === "text") {
      out += node.text;
    } else {
      offset = node.offset;
      out += guard(offset, () => {
        const text = toText(evaluatePipeline(node.pipeline, context));
        return escapeText ? applyEscape(escapeText, text) : text;
      });
    }
    if (out.length > MAX_STRING_LENGTH) throw new TemplateEvalError(TOO_LONG, offset);
  }
  return out;
}

function applyEscape(escapeText: (text: string) => string, text: string): string {
  try {
    return String(escapeText(text));
  } catch (error) {
    throw new EvalFailure(`escape: ${messageOf(error)}`, { cause: error });
  }
}

/** Runs one action, attributing any failure to the action's `{{`. */
function guard<T>(offset: number, run: () => T): T {
  try {
    return run();
  } catch (error) {
    if (error instanceof EvalFailure) {
      throw new TemplateEvalError(error.message, offset, { cause: error.cause });
    }
    throw new TemplateEvalError(messageOf(error), offset, { cause: error });
  }
}

function isBlank(text: string): boolean {
  for (const ch of text) if (!isSpace(ch)) return false;
  return true;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
