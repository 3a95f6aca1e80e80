/**
 * The value of a workflow's `concurrency.key` for one run, evaluated once when the run starts
 * and kept in its `run_started` event, so every worker holds the same slot for the run
 * whatever happens to the definition later.
 */
import { MaestroError } from "../errors.js";
import { evaluateTemplate } from "../template/index.js";
import type { Workflow } from "../workflow/model.js";
import { templateScope } from "./scope.js";
import type { RunState } from "./state.js";

/** Longer keys are refused: the key becomes part of a store key (DynamoDB: at most 2 KB). */
export const MAX_CONCURRENCY_KEY_LENGTH = 256;

/**
 * The key's text (a string as it is; any other value as JSON), `undefined` when the workflow
 * limits runs without a key, or the terminal error that fails the run (a template error, a
 * key that is empty or too long): bad input fails that run, not the worker.
 */
export function concurrencyKeyOf(
  workflow: Workflow,
  state: RunState,
): { readonly key?: string } | { readonly error: MaestroError } {
  const template = workflow.concurrency?.key;
  if (!template) return {};
  const fail = (message: string) => ({
    error: new MaestroError("template_error", `concurrency.key: ${message}`, { retryable: false }),
  });
  let value: unknown;
  try {
    value = evaluateTemplate(template, templateScope(workflow, state, new Set(["input", "run"])));
  } catch (error) {
    return fail((error as Error).message);
  }
  const key = typeof value === "string" ? value : JSON.stringify(value ?? null);
  if (key === "" || key === "null") return fail(`${template.source} is empty for this input`);
  if (key.length > MAX_CONCURRENCY_KEY_LENGTH) {
    return fail(`longer than ${MAX_CONCURRENCY_KEY_LENGTH} characters`);
  }
  return { key };
}
