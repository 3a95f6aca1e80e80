/** Shorthands for the workflow-language tests: load by repository path, diagnostics as lines. */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { formatDiagnostic } from "../../src/workflow/diagnostics.js";
import { type LoadResult, loadWorkflow } from "../../src/workflow/load.js";
import type { Workflow } from "../../src/workflow/model.js";

/** The repository root, with a trailing separator. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const EXAMPLES = [
  "examples/workflows/hello_world.yaml",
  "examples/workflows/order_processing.yaml",
  "examples/workflows/user_onboarding.yaml",
] as const;

export const SEED = "test/fixtures/seed_readme.yaml";

export function readRepoFile(relative: string): string {
  return readFileSync(join(ROOT, relative), "utf8");
}

/** Loads a repository file, named in messages by its path from the root (as `maestro validate` prints it). */
export function loadRepoFile(relative: string): LoadResult {
  return loadWorkflow(readRepoFile(relative), relative, dirname(join(ROOT, relative)));
}

/** The diagnostics as `file:line:column: message` lines. */
export function lines(result: LoadResult): string[] {
  return result.diagnostics.map(formatDiagnostic);
}

/** The diagnostics of an inline document, as lines of `inline.yaml`. */
export function errorsOf(text: string): string[] {
  return lines(loadWorkflow(text, "inline.yaml"));
}

/** The compiled workflow; fails with the diagnostics when the text is invalid. */
export function compiled(result: LoadResult): Workflow {
  if (!result.ok) throw new Error(lines(result).join("\n"));
  return result.workflow;
}

/** Dependencies of every step, in the workflow's order: `{ step: [deps] }`. */
export function dependencies(workflow: Workflow): Record<string, string[]> {
  return Object.fromEntries(workflow.steps.map((s) => [s.id, [...s.dependsOn]]));
}

/** Joins lines with a newline after each: a YAML document from readable pieces. */
export function yaml(...text: string[]): string {
  return `${text.join("\n")}\n`;
}

/** The smallest valid header: name, version and one gRPC and one HTTP service. */
export const HEADER = yaml(
  "name: inline",
  'version: "1.0"',
  "services:",
  "  auth:",
  "    type: grpc",
  '    endpoint: "auth:50051"',
  "  crm:",
  "    type: http",
  '    endpoint: "http://crm:8080"',
  "steps:",
);
