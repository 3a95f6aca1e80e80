/**
 * The only two errors the template module ever throws. Both are MaestroErrors with code
 * `template_error` so the engine treats a broken template as terminal, never retryable:
 * running the same template against the same scope again cannot succeed.
 */
import { MaestroError } from "../errors.js";

/** Where a faulty template sits inside a value tree: object keys and array indices. */
export type ValuePath = readonly (string | number)[];

interface TemplateErrorOptions {
  readonly path?: ValuePath | undefined;
  readonly cause?: unknown;
}

/** Renders `["steps", 0, "input"]` as `steps[0].input` for messages. */
export function formatValuePath(path: ValuePath): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) text += text === "" ? key : `.${key}`;
    else text += `[${JSON.stringify(key)}]`;
  }
  return text;
}

/** Quotes source text for a message, shortened so a huge literal cannot bloat the error. */
export function quoteSource(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}

function describe(kind: string, reason: string, offset: number, path?: ValuePath): string {
  const where = path && path.length > 0 ? ` in ${formatValuePath(path)}` : "";
  return `template ${kind}${where} at offset ${offset}: ${reason}`;
}

/** A template that cannot be parsed. Raised once, when the template is compiled. */
export class TemplateSyntaxError extends MaestroError {
  override readonly name = "TemplateSyntaxError";
  /** The fault without position information, e.g. `unterminated quoted string`. */
  readonly reason: string;
  /** 0-based offset of the fault in the template source (UTF-16 code units). */
  readonly offset: number;
  /** Set by {@link compileValue}: the keys and indices leading to the faulty string. */
  readonly path?: ValuePath;

  constructor(reason: string, offset: number, options: TemplateErrorOptions = {}) {
    super("template_error", describe("syntax error", reason, offset, options.path), {
      retryable: false,
      cause: options.cause,
      details: { offset, ...(options.path && { path: options.path }) },
    });
    this.reason = reason;
    this.offset = offset;
    if (options.path) this.path = options.path;
  }
}

/** A template that parsed but failed against a particular scope, e.g. comparing a number with a string. */
export class TemplateEvalError extends MaestroError {
  override readonly name = "TemplateEvalError";
  /** The fault without position information, e.g. `lt: cannot compare number with string`. */
  readonly reason: string;
  /** 0-based offset of the `{{` that opens the failing action. */
  readonly offset: number;
  /** Set by {@link evaluateValue}: the keys and indices leading to the failing string. */
  readonly path?: ValuePath;

  constructor(reason: string, offset: number, options: TemplateErrorOptions = {}) {
    super("template_error", describe("evaluation error", reason, offset, options.path), {
      retryable: false,
      cause: options.cause,
      details: { offset, ...(options.path && { path: options.path }) },
    });
    this.reason = reason;
    this.offset = offset;
    if (options.path) this.path = options.path;
  }
}
