/**
 * A workflow's optional `input_schema` (JSON Schema 2020-12) checked before a run starts,
 * so bad input is refused at the door with the field at fault instead of failing a step.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import type { Workflow } from "../workflow/model.js";
import { problem } from "./problem.js";

const ajv = new Ajv2020({ allErrors: true, strict: false });
const compiled = new WeakMap<Workflow, ValidateFunction>();

export function checkInput(workflow: Workflow, input: unknown): void {
  if (!workflow.inputSchema) return;
  let validate = compiled.get(workflow);
  if (!validate) {
    try {
      validate = ajv.compile(workflow.inputSchema);
    } catch (error) {
      throw problem(
        500,
        "invalid_input_schema",
        `${workflow.name}'s input_schema is not a valid JSON Schema: ${(error as Error).message}`,
      );
    }
    compiled.set(workflow, validate);
  }
  if (validate(input)) return;
  const first = validate.errors?.[0];
  const path = first?.instancePath ? first.instancePath.slice(1).replaceAll("/", ".") : "";
  const field =
    first?.keyword === "required"
      ? [path, (first.params as { missingProperty: string }).missingProperty]
          .filter(Boolean)
          .join(".")
      : path;
  const messages = (validate.errors ?? [])
    .map((e) => `${e.instancePath || "input"} ${e.message}`)
    .join("; ");
  throw problem(
    422,
    "invalid_input",
    `the input does not match ${workflow.name}'s input_schema: ${messages}`,
    field ? `input.${field}` : "input",
  );
}
