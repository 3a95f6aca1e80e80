/**
 * A workflow's optional `input_schema` (JSON Schema 2020-12) checked before a run starts,
 * so bad input is refused at the door with the field at fault instead of failing a step.
 *
 * The validator is @cfworker/json-schema: it interprets the schema rather than generating
 * code, which keeps the api bundle ~100 KB smaller than ajv would. It asserts `format`
 * (`email`, `date-time`, `uuid`, …) as well.
 */
import { type OutputUnit, Validator } from "@cfworker/json-schema";
import { createSensitiveRedactor } from "../engine/sensitive.js";
import type { Workflow } from "../workflow/model.js";
import { problem } from "./problem.js";

const validators = new WeakMap<Workflow, Validator>();

/**
 * Keywords that only report that something beneath them failed: the failure beneath is
 * the one worth naming.
 */
const WRAPPERS = new Set([
  "properties",
  "patternProperties",
  "items",
  "prefixItems",
  "contains",
  "allOf",
  "$ref",
  "$dynamicRef",
  "dependentSchemas",
  "if",
  "then",
  "else",
]);

/** Keywords reported at the object whose member is at fault. */
const AT_PARENT = new Set(["additionalProperties", "unevaluatedProperties", "unevaluatedItems"]);

export function checkInput(workflow: Workflow, input: unknown): void {
  const schema = workflow.inputSchema;
  if (!schema) return;
  let errors: OutputUnit[];
  try {
    let validator = validators.get(workflow);
    if (!validator) {
      validator = new Validator(schema as object, "2020-12", false);
      validators.set(workflow, validator);
    }
    const result = validator.validate(input);
    if (result.valid) return;
    errors = result.errors;
  } catch (error) {
    throw problem(
      500,
      "invalid_input_schema",
      `${workflow.name}'s input_schema is not a valid JSON Schema: ${(error as Error).message}`,
    );
  }
  const leaves = errors.filter((e) => !WRAPPERS.has(e.keyword));
  const shown = leaves.length > 0 ? leaves : errors;
  // "b is not allowed" is reported at the object; the failure beneath names b itself.
  const first = shown.find((e) => !AT_PARENT.has(e.keyword)) ?? shown[0];
  const field = first ? fieldOf(first, schema, input) : "";
  const messages = shown.map((e) => `${pathOf(e.instanceLocation) || "input"}: ${e.error}`);
  // The validator's messages may quote the value at fault: never a sensitive one.
  const redactor = createSensitiveRedactor(workflow.sensitive);
  redactor.learn("input", input);
  const detail = redactor.scrub(messages.join("; "));
  throw problem(
    422,
    "invalid_input",
    `the input does not match ${workflow.name}'s input_schema: ${detail}`,
    field ? `input.${field}` : "input",
  );
}

/** `#/items/0/sku` → `items.0.sku` */
function pathOf(location: string): string {
  return pointerTokens(location).join(".");
}

function pointerTokens(location: string): string[] {
  return location
    .replace(/^#\/?/, "")
    .split("/")
    .filter(Boolean)
    .map((t) => decodeURIComponent(t).replaceAll("~1", "/").replaceAll("~0", "~"));
}

function resolve(root: unknown, location: string): unknown {
  let at = root;
  for (const token of pointerTokens(location)) {
    if (at === null || typeof at !== "object") return undefined;
    at = (at as Record<string, unknown>)[token];
  }
  return at;
}

/**
 * The field at fault. A missing required property is reported at its parent object, so
 * find which of the listed names the parent lacks and name that one.
 */
function fieldOf(error: OutputUnit, schema: unknown, input: unknown): string {
  const path = pathOf(error.instanceLocation);
  if (error.keyword !== "required") return path;
  const required = resolve(schema, error.keywordLocation);
  const parent = resolve(input, error.instanceLocation);
  const missing = Array.isArray(required)
    ? required.find(
        (name): name is string =>
          typeof name === "string" &&
          (parent === null || typeof parent !== "object" || !(name in parent)),
      )
    : undefined;
  return [path, missing].filter(Boolean).join(".");
}
