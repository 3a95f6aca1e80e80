/**
 * Evaluates parsed pipelines against a scope. Failures are thrown as EvalFailure; the
 * caller turns them into TemplateEvalError with the offset of the failing action.
 */
import type { Command, Operand, Pipeline } from "./ast.js";
import { BUILTINS } from "./builtins.js";
import { EvalFailure, MAX_STRING_LENGTH, readField, TOO_LONG } from "./values.js";

/** A function supplied by the caller, e.g. `secret`. It receives evaluated arguments. */
export type TemplateFunction = (...args: unknown[]) => unknown;

export interface EvalContext {
  readonly scope: Readonly<Record<string, unknown>>;
  readonly functions: Readonly<Record<string, TemplateFunction>> | undefined;
}

export function evaluatePipeline(pipeline: Pipeline, context: EvalContext): unknown {
  let piped: { value: unknown } | undefined;
  for (const command of pipeline.commands) {
    piped = { value: evaluateCommand(command, context, piped) };
  }
  return piped?.value;
}

function evaluateCommand(
  command: Command,
  context: EvalContext,
  piped: { value: unknown } | undefined,
): unknown {
  // The parser only lets calls receive a piped value.
  if (command.kind === "operand") return evaluateOperand(command.operand, context);
  const result = invoke(command.name, command.args, context, piped);
  if (typeof result === "string" && result.length > MAX_STRING_LENGTH) {
    throw new EvalFailure(`${command.name}: ${TOO_LONG}`);
  }
  return result;
}

function invoke(
  name: string,
  args: readonly Operand[],
  context: EvalContext,
  piped: { value: unknown } | undefined,
): unknown {
  const builtin = BUILTINS.get(name);
  try {
    if (builtin?.lazy) {
      const thunks = args.map((arg) => () => evaluateOperand(arg, context));
      if (piped) thunks.push(() => piped.value);
      return builtin.call(thunks);
    }
    const values = args.map((arg) => evaluateOperand(arg, context));
    if (piped) values.push(piped.value);
    if (builtin) return builtin.call(values);
    return callExtra(name, values, context);
  } catch (error) {
    // Failures of nested arguments already carry their own function's name.
    if (error instanceof EvalFailure) throw error;
    const message = error instanceof Error ? error.message : String(error);
    throw new EvalFailure(`${name}: ${message}`, { cause: error });
  }
}

function callExtra(name: string, values: readonly unknown[], context: EvalContext): unknown {
  const functions = context.functions;
  const fn = functions && Object.hasOwn(functions, name) ? functions[name] : undefined;
  if (typeof fn !== "function") {
    throw new EvalFailure(`function "${name}" is not available`);
  }
  const result: unknown = fn(...values);
  if (isThenable(result)) {
    // Evaluation is synchronous: resolve secrets and the like before evaluating.
    throw new Error("returned a Promise; template functions must be synchronous");
  }
  return result;
}

function isThenable(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

function evaluateOperand(operand: Operand, context: EvalContext): unknown {
  switch (operand.kind) {
    case "literal":
      return operand.value;
    case "dot":
      return context.scope;
    case "field":
      return readChain(context.scope, operand.path, "");
    case "paren":
      return readChain(evaluatePipeline(operand.pipeline, context), operand.fields, "(...)");
  }
}

function readChain(start: unknown, path: readonly string[], prefix: string): unknown {
  let value = start;
  let where = prefix;
  for (const name of path) {
    value = readField(value, name, where === "" ? "." : where);
    where += `.${name}`;
  }
  return value;
}
