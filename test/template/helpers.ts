/** Shared shorthands for the template tests. */
import {
  type EvalOptions,
  evaluateTemplate,
  parseTemplate,
  TemplateEvalError,
  TemplateSyntaxError,
} from "../../src/template/index.js";

/** Parses and evaluates in one go. */
export function run(
  source: string,
  scope: Record<string, unknown> = {},
  options?: EvalOptions & { extra?: readonly string[] },
): unknown {
  const functions = options?.extra ?? Object.keys(options?.functions ?? {});
  return evaluateTemplate(parseTemplate(source, { functions }), scope, options);
}

/** The TemplateSyntaxError that parsing throws; fails the test when parsing succeeds. */
export function syntaxError(source: string, functions?: readonly string[]): TemplateSyntaxError {
  try {
    parseTemplate(source, functions ? { functions } : {});
  } catch (error) {
    if (error instanceof TemplateSyntaxError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} not to parse`);
}

/** The TemplateEvalError that evaluation throws; fails the test when evaluation succeeds. */
export function evalError(
  source: string,
  scope: Record<string, unknown> = {},
  options?: EvalOptions,
): TemplateEvalError {
  try {
    run(source, scope, options);
  } catch (error) {
    if (error instanceof TemplateEvalError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} to fail`);
}
